package mvcc

import "github.com/longshore/longshore/store"

// Record is one write in the history: the version of a key that a revision
// produced, or the tombstone of a delete.
type Record struct {
	Key       string
	Value     []byte // nil for a tombstone
	CreateRev int64  // 0 for a tombstone
	ModRev    int64  // the revision of this write
	Version   int64  // 0 for a tombstone
	Lease     store.LeaseID
	// PrevRev is the revision of the version this write replaced (0 when the
	// key did not exist before it), so that a watcher replaying history can
	// report the previous value.
	PrevRev   int64
	Tombstone bool
}

// KeyValue returns the version the record describes.
func (r *Record) KeyValue() store.KeyValue {
	return store.KeyValue{
		Key:            r.Key,
		Value:          r.Value,
		CreateRevision: r.CreateRev,
		ModRevision:    r.ModRev,
		Version:        r.Version,
		Lease:          r.Lease,
	}
}

// Lease is a granted lease as the backend persists it.
type Lease struct {
	ID  store.LeaseID
	TTL int64 // seconds
}

// State is what a backend holds besides the records.
type State struct {
	Rev       int64 // current revision
	Compacted int64 // compaction point
	LeaseSeq  int64 // last lease ID handed out
	Leases    []Lease
}

// Batch is one group commit: the records of consecutive revisions and the
// state after them.
type Batch struct {
	Records  []Record
	Rev      int64
	LeaseSeq int64
	Granted  []Lease
	Revoked  []store.LeaseID
}

// Backend persists the history of an Engine.
//
// Commit and Compact are called by one goroutine at a time (the engine's
// committer); Range and Get may be called concurrently with them and with
// each other, and must see either all or none of a Commit.
type Backend interface {
	// Load calls fn for every record in revision order and returns the
	// persisted state. It is called when the engine starts and after Reset.
	Load(fn func(*Record) error) (State, error)
	// Commit makes a batch durable (as far as the backend promises).
	Commit(b *Batch) error
	// Range calls fn for the records with from <= revision <= to in
	// revision order until fn returns false.
	Range(from, to int64, fn func(*Record) bool) error
	// Get returns the records at the given revisions, in the same order;
	// a missing one (compacted meanwhile) is returned as nil.
	Get(revs []int64) ([]*Record, error)
	// Compact deletes the records at the given revisions and records the
	// new compaction point.
	Compact(revs []int64, compacted int64) error
}
