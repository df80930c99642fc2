// Package apiserver is Longshore's API server: Kubernetes' REST API over a
// store.Store, the only component that touches the store. kubectl,
// client-go and apiserver/client all work against it.
//
// # Basics
//
// New builds a server from a Config whose only required field is the Store;
// Start loads the watch cache and creates what a cluster needs from the
// start (the system namespaces, default service accounts, bootstrap RBAC
// roles, system priority classes); Serve runs it on a listener. NewSecure
// does the same with HTTPS, a PKI created on first start, authentication
// (client certificates, a token file, service account JWTs) and RBAC, and
// writes kubeconfigs:
//
//	srv, sec, _ := apiserver.NewSecure(apiserver.Config{Store: db}, apiserver.SecureOptions{PKIDir: "pki"})
//	srv.Start(ctx)
//	sec.WriteKubeconfig("admin.kubeconfig", "https://127.0.0.1:6443", "admin", "system:masters")
//	srv.Serve(ctx, ln, sec.TLS)
//
// # What is served
//
// Every kind of the api packages at Kubernetes' paths, namespaced and
// cluster-scoped, with get, list, watch (bookmarks included), create
// (generateName), update, patch (JSON merge, JSON patch, strategic merge
// with Kubernetes' merge keys), delete (preconditions, graceful pod
// deletion, finalizers, Orphan/Background/Foreground propagation) and
// deletecollection; label and field selectors; limit/continue and
// resourceVersion/resourceVersionMatch with Kubernetes' semantics;
// metadata.generation bumped on spec changes only. Subresources: status,
// pods/binding, scale, namespaces/finalize, serviceaccounts/token, and
// pods/log, exec, attach, portforward forwarded to the node's kubelet.
// CustomResourceDefinitions serve new resources validated against their
// structural schema (pruning, defaults, status and scale subresources,
// printer columns). Discovery (classic, and aggregated apidiscovery v2 for
// clients that ask, as kubectl does), /version, /openapi/v2 and /openapi/v3 (what
// kubectl needs), Tables for kubectl get, access reviews for kubectl auth
// can-i, /healthz, /livez, /readyz and /metrics.
//
// # Request path
//
// authenticate → authorize (RBAC) → decode (JSON, YAML, or Kubernetes
// protobuf from client-go) with fieldValidation Strict, Warn (the default)
// or Ignore → default → mutating admission (ServiceAccount,
// DefaultTolerationSeconds, Priority, then configured plugins) → validate →
// validating admission → store, with compare-and-swap on the object's
// resourceVersion. Errors are Status objects with Kubernetes' codes and
// reasons; request bodies over 3 MiB get 413, too many requests in flight
// get 429 with Retry-After.
//
// # Watch cache
//
// Reads and watches are served from apiserver/storage: one store watch
// feeds an in-memory copy of every resource and a window of recent events,
// so lists need no store read and a thousand watchers share one event log.
// Objects are kept there as JSON ready to send, with the labels and fields
// selectors look at; see that package for the figures.
//
// # Compaction
//
// Every Config.CompactionInterval (default five minutes, as
// kube-apiserver's --etcd-compaction-interval) the server compacts the
// store's history up to the revision it had one interval before: recent
// continue tokens and resourceVersions stay valid, older ones get 410
// Gone, and the store does not keep every version ever written. Servers
// sharing a store take turns through a compare-and-swap on one key, so the
// store is compacted once per interval whatever their number. Set a
// negative interval when something else compacts the store.
//
// # Caveats
//
// Differences from Kubernetes, on purpose or not yet done: server-side
// apply is not supported (415); custom resources are served at their
// storage version only; strategic merge patch is not offered for custom
// resources (as in Kubernetes); the server creates each namespace's default
// ServiceAccount and kube-root-ca.crt itself, so pods can be created at
// once; answers are JSON or YAML (protobuf is accepted on requests only).
package apiserver
