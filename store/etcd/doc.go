// Package etcd implements the store.Store contract on an external etcd
// cluster (etcd v3 API, server 3.4 or later) through go.etcd.io/etcd's v3
// client: the external topology of a Longshore control plane.
//
// # Basics
//
// New dials a cluster from a Config; NewFromClient wraps a client the caller
// owns. Every key is stored under Config.Prefix, so several control planes
// (or test cases) can share one cluster; keys and events handed back have
// the prefix removed.
//
// Revisions are etcd's own: a fresh etcd already stands at revision 1, so
// the first write is revision 2, and writes by other clients of the same
// cluster advance the revision too. Create, Update and Delete are single
// etcd transactions guarded on the key's CreateRevision or ModRevision; the
// else branch reads the key, which tells a conflict from a missing key. A
// paginated List stays pinned to the revision of its first page (the
// continue token of store.EncodeContinue carries it), and Remaining comes
// from etcd's count.
//
// # Watches
//
// A watch with Revision 0 first reads the current revision and watches from
// the next one, so that it sees exactly the changes made after Watch
// returns. With Progress set the watch asks etcd for progress
// notifications; etcd sends them at its
// --experimental-watch-progress-notify-interval (10 minutes by default,
// internal/etcdproc sets 1 second). Watches use etcd's require-leader
// mode, so a member that loses its leader ends the watch with an error
// rather than leaving it silent. A compaction past the watch's position ends
// it with an error wrapping store.ErrCompacted.
//
// # Caveats
//
// etcd deletes all the keys of an expired or revoked lease in one
// transaction, so they share one revision (the store contract asks for one
// revision per key; the conformance suite accepts etcd's behaviour through
// storetest.Options.Etcd). etcd also raises lease TTLs below its minimum
// (1.5 × the election timeout) to that minimum, so KeepAlive may report a
// longer TTL than was granted. Revision finds the compaction point by
// probing reads (etcd has no call that reports it); it costs one extra read
// when the point has not moved since the last call, and a binary search when
// it has.
//
// The server must accept a request of a value of store.MaxValueSize plus
// its key: etcd's default --max-request-bytes (1.5 MiB) is exactly
// MaxValueSize and counts the whole request, so run etcd with a larger
// limit (internal/etcdproc uses 2 MiB); a request etcd refuses as too large
// fails with store.ErrTooLarge.
//
// # Performance
//
// Measured on the project's reference machine (2 shared cores, one etcd
// 3.4.23 member on loopback with fsync, 256-byte values), with
// go test -run XXX -bench . -benchtime=2000x -benchmem ./store/etcd:
//
//	BenchmarkCreate (4 parallel clients)  0.89 ms/op   8.5 KB/op  120 allocs/op
//	BenchmarkGet    (linearizable)        0.21 ms/op   7.7 KB/op  117 allocs/op
//	BenchmarkList   (100 keys)            0.82 ms/op  57 KB/op    529 allocs/op
package etcd
