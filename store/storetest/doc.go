// Package storetest is the conformance suite of the store.Store contract:
// every backend (store/bolt, store/memory, store/raft, store/etcd) runs it
// from its own tests.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t testing.TB) store.Store {
//			s := memory.New(nil)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Each check is its own subtest with a fresh store from the factory: basic
// reads and writes with exact revisions and KeyValue fields, bad input,
// compare-and-swap under concurrent writers, revision monotonicity, reads
// at past revisions, prefix isolation, consistent pagination under
// concurrent writes, compaction, watches (order, previous values,
// replay from history with a seamless switch to live events, slow and many
// watchers, cancellation, Close, progress notifications), leases and
// cancelled contexts. Waits poll with deadlines; nothing sleeps a fixed
// time to wait for a result.
//
// # Options
//
// RunOptions relaxes, for a backend on an external etcd, the two places
// where etcd's behaviour differs from the contract: a fresh store need not
// stand at revision 0 (a new etcd is at revision 1, and the suite may share
// one etcd between subtests, each under its own key prefix), and the keys
// of an expired or revoked lease may share one revision. Every other check
// is the same; revisions are always checked relative to the store's
// revision when the subtest starts.
//
// # Cost
//
// The suite makes about 13,000 writes. Against an in-memory store it takes
// about 5 seconds, most of it in the two lease subtests, which wait for
// real one-second TTLs (go test -run TestReference ./store/storetest, on
// the project's 2-core reference machine); against a one-member etcd about
// 17 seconds (go test -run 'TestConformance$' ./store/etcd).
//
// # How the suite is checked
//
// The package's own tests run the suite against a small reference store
// kept in its test files, which must pass, and then once per injected
// fault (a guard ignored, a watch gap at a slow consumer, a page read at
// the wrong revision, a lease that never deletes, ...), each of which must
// make the subtest meant to catch it fail. A check that cannot fail shows
// up there.
package storetest
