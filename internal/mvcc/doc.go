// Package mvcc is the multi-version engine behind store/memory and
// store/bolt: one implementation of the store.Store semantics over a
// pluggable Backend that persists the history.
//
// The engine keeps an index of every key's revisions in a B-tree, split in
// generations ended by tombstones as in etcd's key index, together with the
// current value of every live key, so that reads at the head never touch the
// backend. Reads at a past revision find the revision in the index and read
// the record from the backend.
//
// Writes go through one committer goroutine. Writes that arrive while a
// commit is in flight are queued and committed together: the committer
// evaluates them in order against the state including the earlier writes of
// the same batch, assigns consecutive revisions, hands the batch to
// Backend.Commit (one transaction, one fsync for store/bolt), then applies it
// to the index, publishes the events to watchers and acknowledges every
// write. Nothing is visible before it is durable.
//
// Engine.Apply hands the committer an ordered batch: its ops go through the
// same evaluation as single writes, in exactly the given order, as one batch
// of their own (one Backend.Commit), each with its own result. A group
// commit's order depends on which caller reached the queue first; an
// ordered batch's does not, which is what replicas applying the same log
// need (store/raft).
//
// Watchers are served by a hub: a watcher that keeps up receives events
// directly; one that falls behind is replayed from the backend's history in
// the background and rejoins once caught up, or ends with an error wrapping
// store.ErrCompacted if the history it needs is gone.
package mvcc
