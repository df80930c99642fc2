package bolt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// ErrFormat reports a file that is not a Longshore store: not a bbolt file,
// a bbolt file of another program, a newer format, or a corrupt one.
var ErrFormat = errors.New("bolt: not a valid Longshore store file")

// Options tune a DB. The zero value (or nil) works.
type Options struct {
	// NoSync skips fsync on commit. A process crash loses nothing (the
	// writes are in the page cache), but an operating-system crash or a
	// power loss may lose acknowledged writes or corrupt the file: only for
	// an owner that keeps its own durable log and rebuilds the file from it
	// (store/raft).
	NoSync bool
	// AutoCompact compacts the history in the background; off by default.
	AutoCompact AutoCompact
	// WatchBufferSize is each watcher's channel capacity (default 128). A
	// watcher that falls further behind is caught up from the file.
	WatchBufferSize int
	// ProgressInterval is how often idle watchers that asked for progress
	// notifications receive one (default 1s).
	ProgressInterval time.Duration
	// Logger receives background errors (default: discard).
	Logger *slog.Logger
	// MaxBatch caps the writes of one group commit (default 512).
	MaxBatch int
	// CommitDelay is how long a group commit may wait for more writes when
	// the previous one carried at least two (clients writing at once): it
	// waits until it has as many as the previous one or the delay has
	// passed, so commits are fewer and larger (fewer fsyncs). A lone writer is never
	// delayed. Default 500µs (none with NoSync, where commits are cheap);
	// negative turns it off.
	CommitDelay time.Duration
	// ManualLeaseExpiry turns off local lease expiry: leases end only by
	// Revoke, and the owner tracks deadlines with DB.Leases (store/raft's
	// leader does, so that every replica deletes the same keys).
	ManualLeaseExpiry bool
	// LockTimeout is how long Open waits for the file lock held by another
	// process before failing (default 1s).
	LockTimeout time.Duration
}

// AutoCompact configures background compaction, as etcd's
// --auto-compaction-mode and --auto-compaction-retention do: Revisions > 0
// keeps that many revisions, compacting every Interval (default 1 minute);
// Interval alone compacts every Interval at the revision that was current
// one Interval earlier.
type AutoCompact = mvcc.AutoCompact

// Stats counts the work of group commit.
type Stats struct {
	// Commits is the number of write batches committed.
	Commits int64
	// Writes is the number of revisions those batches made.
	Writes int64
	// Ops is the number of write requests processed, successful or not.
	Ops int64
	// Fsyncs is the number of bbolt transactions made durable with fsync
	// (commits and compactions; 0 with NoSync).
	Fsyncs int64
}

// LeaseInfo describes a live lease: fields ID, TTL and Keys (the number of
// keys attached to it).
type LeaseInfo = mvcc.LeaseInfo

// DB is the embedded MVCC store on a bbolt file. It is safe for concurrent
// use by many goroutines, but one file can be open by one DB at a time.
type DB struct {
	e    *mvcc.Engine
	b    *backend
	opts Options
}

var _ store.Store = (*DB)(nil)

// Open opens the store file at path, creating it if it does not exist, and
// rebuilds the in-memory index from it. nil opts means defaults. A file
// that is not a Longshore store fails with an error wrapping ErrFormat; a
// file locked by another process fails after Options.LockTimeout.
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = lockTimeoutDefault
	}
	bopts := boltOptions(&o, false)
	db, err := openFile(path, bopts)
	if err != nil {
		return nil, err
	}
	b := &backend{db: db, path: path, bopts: bopts}
	e, err := mvcc.New(b, engineOptions(&o))
	if err != nil {
		b.close()
		if !errors.Is(err, ErrFormat) {
			err = fmt.Errorf("%w: %w", ErrFormat, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{e: e, b: b, opts: o}, nil
}

func engineOptions(o *Options) mvcc.Options {
	return mvcc.Options{
		WatchBufferSize:   o.WatchBufferSize,
		ProgressInterval:  o.ProgressInterval,
		Logger:            o.Logger,
		MaxBatch:          o.MaxBatch,
		CommitDelay:       commitDelay(o),
		ManualLeaseExpiry: o.ManualLeaseExpiry,
		AutoCompact:       o.AutoCompact,
	}
}

// DefaultCommitDelay is Options.CommitDelay's default.
const DefaultCommitDelay = 500 * time.Microsecond

func commitDelay(o *Options) time.Duration {
	switch {
	case o.CommitDelay < 0, o.CommitDelay == 0 && o.NoSync:
		return 0
	case o.CommitDelay == 0:
		return DefaultCommitDelay
	}
	return o.CommitDelay
}

// Path returns the file the DB was opened on.
func (db *DB) Path() string { return db.b.path }

// Get returns the key's value, at opts.Revision or the latest. Reads at the
// latest revision are served from memory.
func (db *DB) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	return db.e.Get(ctx, key, opts)
}

// List returns the keys under prefix in key order, paginated by
// opts.Limit and opts.Continue.
func (db *DB) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	return db.e.List(ctx, prefix, opts)
}

// Create writes key if it does not exist, optionally attached to a lease.
// It returns once the write is durable.
func (db *DB) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	return db.e.Create(ctx, key, value, lease)
}

// Update replaces key's value, guarded by modRevision when it is non-zero.
func (db *DB) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	return db.e.Update(ctx, key, value, modRevision)
}

// Delete removes key, guarded by modRevision when it is non-zero.
func (db *DB) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	return db.e.Delete(ctx, key, modRevision)
}

// Watch streams the changes under prefix from opts.Revision (0: from now).
func (db *DB) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	return db.e.Watch(ctx, prefix, opts)
}

// Compact discards the history before revision and frees its records in
// the file (the file itself does not shrink; bbolt reuses the pages).
func (db *DB) Compact(ctx context.Context, revision int64) error {
	return db.e.Compact(ctx, revision)
}

// Revision returns the current revision and the compaction point.
func (db *DB) Revision(ctx context.Context) (current, compacted int64, err error) {
	return db.e.Revision(ctx)
}

// Grant creates a lease of ttl, rounded up to whole seconds. Lease IDs are
// 1, 2, 3, ... in grant order, persisted, so that replicas applying the
// same operations agree on them.
func (db *DB) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	return db.e.Grant(ctx, ttl)
}

// KeepAlive renews a lease for its full TTL. Deadlines are not persisted:
// after a reopen every lease gets its full TTL again, as in etcd.
func (db *DB) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	return db.e.KeepAlive(ctx, id)
}

// Revoke ends a lease now and deletes its keys, each at its own revision.
func (db *DB) Revoke(ctx context.Context, id store.LeaseID) error {
	return db.e.Revoke(ctx, id)
}

// Leases lists the live leases in ID order, with their TTL and number of
// attached keys.
func (db *DB) Leases() []LeaseInfo { return db.e.Leases() }

// Stats returns the group-commit counters.
func (db *DB) Stats() Stats {
	s := db.e.Stats()
	return Stats{Commits: s.Commits, Writes: s.Writes, Ops: s.Ops, Fsyncs: db.b.fsyncs.Load()}
}

// Close stops the store (watchers end with an error wrapping
// store.ErrClosed) and closes the file. It is idempotent.
func (db *DB) Close() error {
	db.e.Close()
	if err := db.b.close(); err != nil {
		return fmt.Errorf("close %s: %w", db.b.path, err)
	}
	return nil
}

// Op is one write of an ordered batch (DB.Apply): its Kind (OpCreate,
// OpUpdate, OpDelete, OpGrant, OpRevoke), Key, Value, Lease, ModRevision
// and TTL, used as the matching single call uses them.
type Op = mvcc.Op

// OpKind names the write an Op makes.
type OpKind = mvcc.OpKind

// The kinds of Op.
const (
	OpCreate = mvcc.OpCreate
	OpUpdate = mvcc.OpUpdate
	OpDelete = mvcc.OpDelete
	OpGrant  = mvcc.OpGrant
	OpRevoke = mvcc.OpRevoke
)

// Result is what one Op of an ordered batch did: KV (create, update), Prev
// (delete), Revision (create, update, delete), Lease (grant), or the op's
// own Err wrapping a store sentinel error.
type Result = mvcc.Result

// Apply writes ops in the given order in one bbolt transaction (one commit,
// one fsync unless NoSync): revisions and lease IDs are assigned in op
// order, every op's Result is what the matching single call would have
// returned at that point of the sequence, a failing op does not abort the
// others, and watchers receive the events in order after the commit. This
// is how a replicated owner applies a batch of log entries with every
// replica assigning the same revisions. The error is for the batch as a
// whole (store closed, ctx done before it ran, an op of unknown kind).
func (db *DB) Apply(ctx context.Context, ops []Op) ([]Result, error) {
	return db.e.Apply(ctx, ops)
}
