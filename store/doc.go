// Package store defines the contract of Longshore's state store: a
// watchable, versioned key-value store in the shape of etcd's v3 API, which
// the API server is the only component to use.
//
// # Basics
//
// A Store maps string keys to byte values. Every write advances one global
// revision by one, and every key remembers the revision that created it
// (CreateRevision) and the revision of its last write (ModRevision).
// Updates and deletes can be guarded by the ModRevision the caller last
// read, which gives optimistic concurrency: two writers racing on one key
// see exactly one success and one ErrConflict.
//
// History is kept until Compact, so Get and List can read the store as it
// was at a past revision, a paginated List stays pinned to the revision of
// its first page, and Watch can start from any revision that has not been
// compacted.
//
// # Watches
//
// A Watcher delivers the changes under a prefix in revision order, each
// exactly once, with the previous value of the key. A watcher never
// silently loses an event: a slow consumer is caught up from history or
// ended with an error (see Watcher).
//
// # Leases
//
// Grant creates a lease with a TTL; keys created with it vanish, with a
// DELETE event each, when the lease expires or is revoked. The API server
// uses leases for objects with a time to live, such as Events.
//
// # Backends
//
//   - store/bolt: the embedded default, MVCC on bbolt in one file.
//   - store/memory: the same engine without persistence, for tests.
//   - store/raft: replicated on hashicorp/raft (stacked HA control plane).
//   - store/etcd: an external etcd cluster.
//
// store/storetest holds the conformance suite every backend passes.
//
// # Errors
//
// Failures wrap the sentinel errors of this package (ErrNotFound,
// ErrExists, ErrConflict, ErrCompacted, ...); test them with errors.Is.
package store
