// Package client is how every Longshore block talks to the API server:
// controllers, the scheduler, the kubelet and the proxy never touch the
// store, they use this client. It speaks Kubernetes' wire format, so it
// also works against a Kubernetes API server.
//
// # Basics
//
// Build a Config by hand or from a kubeconfig (LoadKubeconfig), create a
// Client, and take a typed client per kind:
//
//	c, _ := client.New(cfg)
//	pods := client.MustFor[*core.Pod](c).Namespace("default")
//	pod, err := pods.Get(ctx, "web")
//
// Errors from the server are *apierror.Error values: test them with
// apierror.IsNotFound, IsConflict, IsGone and the like.
//
// # Rate limits and retries
//
// Requests wait on a token bucket (Config.QPS, Config.Burst). Answers 429
// and 5xx are retried with exponential back-off, honouring Retry-After;
// writes are retried on 5xx only when the server asked for it.
//
// # Watches
//
// Watch opens one stream. WatchResume keeps a watch going across server
// timeouts and dropped connections by reopening it from the last
// resourceVersion seen, and returns a Gone error when the server no longer
// has that version, which is the signal to list again (informers in the
// controller package do exactly that).
//
// # Custom resources
//
// Dynamic serves any resource, custom ones included, with
// unstructured.Object values.
package client
