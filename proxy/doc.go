// Package proxy turns Services and Endpoints into a desired state of
// service ports and drives a data-plane Backend from it, as a node's
// kube-proxy does.
//
// # Architecture
//
// Three pieces, each usable alone:
//
//   - A Tracker receives Service and Endpoints changes (OnServiceUpdate,
//     OnEndpointsUpdate, safe from any goroutine, typically informer
//     handlers) and keeps them pending. Tracker.Apply moves them into a
//     State and returns a ChangeSet naming the service ports that were
//     added, updated or removed and those whose endpoints changed. Changes
//     to one object between two Applys coalesce, and Apply only looks at
//     the objects that changed.
//   - A Backend programs the data plane: Sync applies only what a
//     ChangeSet names, FullSync replaces everything, Cleanup removes
//     everything. Package proxy/nftables programs the kernel over netlink;
//     package proxy/userspace forwards in user space for machines without
//     root or nftables. Both pass the conformance suite in proxy/proxytest.
//   - A Runner owns the State and calls the Backend: a full sync on start,
//     then incremental syncs at most once per MinSyncInterval (bursts are
//     coalesced), a full resync every FullSyncInterval, and a full sync
//     RetryInterval after any failure. Metrics records sync durations,
//     failures and the size of what is programmed on a caller's
//     prometheus.Registerer.
//   - A Controller wires the two to the API server: Service and Endpoints
//     informers (package controller, shared through a Factory if given)
//     feed the Tracker, and a Runner drives the Backend. Controller.Run
//     waits for the informers' first lists before the first full sync, so
//     that a restarting proxy never programs an empty table over a
//     working one; Run(ctx, client, backend, opts) does it all in one call.
//
// # Model
//
// A ServicePortName (namespace, name, port name) is the unit every backend
// programs. Named targetPorts are resolved by the endpoints controller, as
// in Kubernetes: the ports of an Endpoints object carry the names of the
// service ports they serve, so endpoints are keyed by ServicePortName too.
// Only ready endpoints receive traffic; a service port without ready
// endpoints refuses connections.
//
// # Caveats
//
// The Service and Endpoints types here are the proxy's own small model, so
// that backends and tests need no API machinery. FromAPIService and
// FromAPIEndpoints convert api/core objects, and the Tracker's
// OnAPIServiceUpdate and OnAPIEndpointsUpdate take them straight from
// informer handlers. An invalid object is logged and treated as deleted,
// so that stale rules never outlive it.
package proxy
