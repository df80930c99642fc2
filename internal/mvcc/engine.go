package mvcc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/longshore/longshore/store"
)

// Options tune an Engine. The zero value works.
type Options struct {
	// WatchBufferSize is the capacity of each watcher's channel (default
	// 128). A watcher whose channel is full is caught up from history.
	WatchBufferSize int
	// ProgressInterval is how often idle watchers that asked for progress
	// notifications get one (default 1s).
	ProgressInterval time.Duration
	// Logger receives background errors (default: discard).
	Logger *slog.Logger
	// MaxBatch caps the writes of one group commit (default 512).
	MaxBatch int
	// CommitDelay, when positive, lets a group commit wait up to that long
	// for more writes, but only under load: when the previous commit
	// carried at least CommitSiblings writes, the next one waits until it
	// has as many or the delay has passed. A lone writer is never delayed.
	// It trades a fraction of a millisecond of latency for fewer, larger
	// commits (fewer fsyncs) when many clients write at once. Zero or
	// negative: commit at once.
	CommitDelay time.Duration
	// ManualLeaseExpiry turns off local lease expiry: leases only end by
	// Revoke, and the owner tracks deadlines (see Engine.Leases).
	ManualLeaseExpiry bool
	// AutoCompact compacts the history in the background; off when zero.
	AutoCompact AutoCompact
}

// AutoCompact configures background compaction, as etcd's
// --auto-compaction-mode and --auto-compaction-retention do.
type AutoCompact struct {
	// Revisions, when positive, keeps that many revisions of history:
	// every Interval (default 1 minute) the store compacts at the current
	// revision minus Revisions.
	Revisions int64
	// Interval alone (Revisions zero) compacts every Interval at the
	// revision that was current one Interval earlier, keeping between one
	// and two intervals of history.
	Interval time.Duration
}

func (o Options) withDefaults() Options {
	if o.WatchBufferSize <= 0 {
		o.WatchBufferSize = 128
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.AutoCompact.Revisions > 0 && o.AutoCompact.Interval <= 0 {
		o.AutoCompact.Interval = time.Minute
	}
	return o
}

// Stats counts the engine's group commits.
type Stats struct {
	// Commits is the number of batches handed to the backend.
	Commits int64
	// Writes is the number of revisions those batches made.
	Writes int64
	// Ops is the number of write requests processed (including failed
	// ones and lease grants and revocations).
	Ops int64
}

// LeaseInfo describes a live lease.
type LeaseInfo struct {
	// ID names the lease.
	ID store.LeaseID
	// TTL is the lease's time to live.
	TTL time.Duration
	// Keys is the number of keys attached to it.
	Keys int
}

type lease struct {
	id       store.LeaseID
	ttl      int64 // seconds
	keys     map[string]struct{}
	deadline atomic.Int64 // unix nanoseconds
}

// Engine is the MVCC store shared by store/memory and store/bolt: an
// in-memory index of every key's revisions, the current values, a watcher
// hub, a lease table, and group commit to a Backend.
type Engine struct {
	opts    Options
	log     *slog.Logger
	backend Backend

	mu        sync.RWMutex // guards idx, rev, compacted, leases
	idx       *index
	rev       int64
	compacted int64
	leaseSeq  int64 // owned by the committer
	leases    map[store.LeaseID]*lease

	hub *hub

	queue    chan *op
	closing  chan struct{}
	stopped  chan struct{} // closed when the committer has exited
	closed   atomic.Bool
	closeMu  sync.Mutex
	loops    sync.WaitGroup
	commits  atomic.Int64
	writes   atomic.Int64
	opsCount atomic.Int64
}

// New loads the backend's history and starts the engine.
func New(b Backend, opts Options) (*Engine, error) {
	e := newEngine(b, opts)
	if err := e.load(); err != nil {
		return nil, err
	}
	e.start()
	return e, nil
}

// NewMemory starts an engine over an empty MemoryBackend.
func NewMemory(opts Options) *Engine {
	e := newEngine(NewMemoryBackend(), opts)
	e.idx = newIndex()
	e.leases = map[store.LeaseID]*lease{}
	e.start()
	return e
}

func newEngine(b Backend, opts Options) *Engine {
	opts = opts.withDefaults()
	return &Engine{
		opts:    opts,
		log:     opts.Logger,
		backend: b,
		queue:   make(chan *op, 4*opts.MaxBatch),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

func (e *Engine) start() {
	e.hub = newHub(e)
	go e.commitLoop()
	e.loops.Add(1)
	go func() { defer e.loops.Done(); e.hub.run(e.closing) }()
	if !e.opts.ManualLeaseExpiry {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.expiryLoop() }()
	}
	if e.opts.AutoCompact.Interval > 0 {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.autoCompactLoop() }()
	}
}

// load (re)builds the index and lease table from the backend.
func (e *Engine) load() error {
	idx := newIndex()
	var last int64
	st, err := e.backend.Load(func(r *Record) error {
		if r.ModRev <= last {
			return fmt.Errorf("record at revision %d follows revision %d", r.ModRev, last)
		}
		last = r.ModRev
		idx.apply(r)
		return nil
	})
	if err != nil {
		return err
	}
	if last > st.Rev {
		return fmt.Errorf("record at revision %d is above the stored revision %d", last, st.Rev)
	}
	now := time.Now()
	leases := make(map[store.LeaseID]*lease, len(st.Leases))
	for _, l := range st.Leases {
		ls := &lease{id: l.ID, ttl: l.TTL, keys: map[string]struct{}{}}
		ls.deadline.Store(now.Add(time.Duration(l.TTL) * time.Second).UnixNano())
		leases[l.ID] = ls
	}
	idx.tree.Ascend(func(ki *keyIndex) bool {
		if ki.cur != nil && ki.cur.Lease != 0 {
			if l := leases[ki.cur.Lease]; l != nil {
				l.keys[ki.key] = struct{}{}
			} else {
				e.log.Warn("key attached to an unknown lease", "key", ki.key, "lease", ki.cur.Lease)
			}
		}
		return true
	})
	e.mu.Lock()
	e.idx, e.rev, e.compacted, e.leaseSeq, e.leases = idx, st.Rev, st.Compacted, st.LeaseSeq, leases
	e.mu.Unlock()
	return nil
}

// check fails once the engine is closed or ctx is done.
func (e *Engine) check(ctx context.Context) error {
	if e.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Stats returns the group-commit counters.
func (e *Engine) Stats() Stats {
	return Stats{Commits: e.commits.Load(), Writes: e.writes.Load(), Ops: e.opsCount.Load()}
}

// Revision implements store.Store.
func (e *Engine) Revision(ctx context.Context) (current, compacted int64, err error) {
	if err := e.check(ctx); err != nil {
		return 0, 0, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.rev, e.compacted, nil
}

// checkReadRev resolves rev (0 = head) against the current state; e.mu
// must be held.
func (e *Engine) checkReadRev(rev int64) (int64, error) {
	switch {
	case rev < 0:
		return 0, store.ValidateRevision(rev)
	case rev == 0:
		return e.rev, nil
	case rev > e.rev:
		return 0, fmt.Errorf("revision %d (current %d): %w", rev, e.rev, store.ErrFutureRevision)
	case rev <= e.compacted:
		return 0, fmt.Errorf("revision %d (compacted at %d): %w", rev, e.compacted, store.ErrCompacted)
	}
	return rev, nil
}

// Get implements store.Store.
func (e *Engine) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	e.mu.RLock()
	rev, err := e.checkReadRev(opts.Revision)
	if err != nil {
		e.mu.RUnlock()
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	ki := e.idx.get(key)
	if rev == e.rev {
		var kv *store.KeyValue
		if ki != nil && ki.cur != nil {
			c := *ki.cur
			kv = &c
		}
		e.mu.RUnlock()
		if kv == nil {
			return nil, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
		}
		return kv, nil
	}
	var at int64
	if ki != nil {
		at = ki.at(rev)
	}
	e.mu.RUnlock()
	if at == 0 {
		return nil, fmt.Errorf("get %q at revision %d: %w", key, rev, store.ErrNotFound)
	}
	recs, err := e.backend.Get([]int64{at})
	if err != nil {
		return nil, fmt.Errorf("get %q at revision %d: %w", key, rev, err)
	}
	if recs[0] == nil {
		return nil, fmt.Errorf("get %q at revision %d: %w", key, rev, store.ErrCompacted)
	}
	kv := recs[0].KeyValue()
	return &kv, nil
}

// List implements store.Store.
func (e *Engine) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	if len(prefix) > store.MaxKeySize {
		return nil, fmt.Errorf("list: %w: prefix of %d bytes", store.ErrTooLarge, len(prefix))
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("list %q: %w: negative limit %d", prefix, store.ErrInvalid, opts.Limit)
	}
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	rev, from := opts.Revision, prefix
	if opts.Continue != "" {
		var err error
		if rev, from, err = store.DecodeContinue(opts.Continue, prefix); err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
	}
	e.mu.RLock()
	rev, err := e.checkReadRev(rev)
	if err != nil {
		e.mu.RUnlock()
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	res := &store.ListResult{Revision: rev}
	var next string
	if rev == e.rev {
		e.idx.ascendPrefix(prefix, from, func(ki *keyIndex) bool {
			if ki.cur == nil {
				return true
			}
			if opts.Limit > 0 && int64(len(res.KVs)) >= opts.Limit {
				if res.Remaining == 0 {
					next = ki.key
				}
				res.Remaining++
				return true
			}
			res.KVs = append(res.KVs, *ki.cur)
			return true
		})
		e.mu.RUnlock()
	} else {
		var revs []int64
		e.idx.ascendPrefix(prefix, from, func(ki *keyIndex) bool {
			at := ki.at(rev)
			if at == 0 {
				return true
			}
			if opts.Limit > 0 && int64(len(revs)) >= opts.Limit {
				if res.Remaining == 0 {
					next = ki.key
				}
				res.Remaining++
				return true
			}
			revs = append(revs, at)
			return true
		})
		e.mu.RUnlock()
		recs, err := e.backend.Get(revs)
		if err != nil {
			return nil, fmt.Errorf("list %q at revision %d: %w", prefix, rev, err)
		}
		res.KVs = make([]store.KeyValue, len(recs))
		for i, r := range recs {
			if r == nil {
				return nil, fmt.Errorf("list %q at revision %d: %w", prefix, rev, store.ErrCompacted)
			}
			res.KVs[i] = r.KeyValue()
		}
	}
	if res.Remaining > 0 {
		res.Continue = store.EncodeContinue(rev, next)
	}
	return res, nil
}

// Create implements store.Store.
func (e *Engine) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	o, err := createOp(key, value, lease)
	if err != nil {
		return nil, err
	}
	res, err := e.submit(ctx, o)
	if err != nil {
		return nil, err
	}
	return copyKV(res.kv), nil
}

// Update implements store.Store.
func (e *Engine) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	o, err := updateOp(key, value, modRevision)
	if err != nil {
		return nil, err
	}
	res, err := e.submit(ctx, o)
	if err != nil {
		return nil, err
	}
	return copyKV(res.kv), nil
}

// Delete implements store.Store.
func (e *Engine) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	o, err := deleteOp(key, modRevision)
	if err != nil {
		return nil, 0, err
	}
	res, err := e.submit(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	return copyKV(res.prev), res.rev, nil
}

// Compact implements store.Store.
func (e *Engine) Compact(ctx context.Context, revision int64) error {
	if err := store.ValidateRevision(revision); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	_, err := e.submit(ctx, &op{kind: opCompact, modRev: revision})
	return err
}

// Grant implements store.Store.
func (e *Engine) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	o, err := grantOp(ttl)
	if err != nil {
		return 0, err
	}
	res, err := e.submit(ctx, o)
	if err != nil {
		return 0, err
	}
	return res.lease, nil
}

// KeepAlive implements store.Store.
func (e *Engine) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	e.mu.RLock()
	l := e.leases[id]
	e.mu.RUnlock()
	now := time.Now()
	if l == nil || (!e.opts.ManualLeaseExpiry && now.UnixNano() >= l.deadline.Load()) {
		return 0, fmt.Errorf("keepalive %d: %w", id, store.ErrLeaseNotFound)
	}
	ttl := time.Duration(l.ttl) * time.Second
	l.deadline.Store(now.Add(ttl).UnixNano())
	return ttl, nil
}

// Revoke implements store.Store.
func (e *Engine) Revoke(ctx context.Context, id store.LeaseID) error {
	_, err := e.submit(ctx, revokeOp(id))
	return err
}

// Leases lists the live leases in ID order, for an owner that tracks
// deadlines itself (Options.ManualLeaseExpiry).
func (e *Engine) Leases() []LeaseInfo {
	e.mu.RLock()
	out := make([]LeaseInfo, 0, len(e.leases))
	for _, l := range e.leases {
		out = append(out, LeaseInfo{ID: l.id, TTL: time.Duration(l.ttl) * time.Second, Keys: len(l.keys)})
	}
	e.mu.RUnlock()
	sortLeases(out)
	return out
}

// Reset replaces the whole state: swap runs on the committer, between two
// batches, with the current revision; it replaces the backend's content (or
// refuses with an error), after which the engine reloads from the backend.
// Every open watcher ends with an error wrapping store.ErrCompacted.
func (e *Engine) Reset(ctx context.Context, swap func(current int64) error) error {
	_, err := e.submit(ctx, &op{kind: opReset, swap: swap})
	return err
}

// Watch implements store.Store.
func (e *Engine) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	if len(prefix) > store.MaxKeySize {
		return nil, fmt.Errorf("watch: %w: prefix of %d bytes", store.ErrTooLarge, len(prefix))
	}
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	w, err := e.hub.watch(ctx, prefix, opts)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return w, nil
}

// Close stops the engine: pending writes fail with store.ErrClosed and
// watchers end with an error wrapping it. The backend is left to the
// caller. Close is idempotent.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	close(e.closing)
	<-e.stopped
	e.loops.Wait()
	e.hub.endAll(fmt.Errorf("watch: %w", store.ErrClosed))
	return nil
}

// createOp, updateOp, deleteOp, grantOp and revokeOp validate a write and
// build the op the committer runs; the methods and Apply share them.
func createOp(key string, value []byte, lease store.LeaseID) (*op, error) {
	if err := validateWrite(key, value); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	if lease < 0 {
		return nil, fmt.Errorf("create %q: %w: negative lease %d", key, store.ErrInvalid, lease)
	}
	return &op{kind: opCreate, key: key, value: clone(value), lease: lease}, nil
}

func updateOp(key string, value []byte, modRevision int64) (*op, error) {
	if err := validateWrite(key, value); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, fmt.Errorf("update %q: %w", key, err)
	}
	return &op{kind: opUpdate, key: key, value: clone(value), modRev: modRevision}, nil
}

func deleteOp(key string, modRevision int64) (*op, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, fmt.Errorf("delete %q: %w", key, err)
	}
	return &op{kind: opDelete, key: key, modRev: modRevision}, nil
}

func grantOp(ttl time.Duration) (*op, error) {
	if ttl < time.Second {
		return nil, fmt.Errorf("grant: %w: ttl %v is under one second", store.ErrInvalid, ttl)
	}
	const maxTTL = 1 << 40 // seconds; keeps deadlines far from overflow
	secs := int64((ttl + time.Second - 1) / time.Second)
	if secs > maxTTL {
		return nil, fmt.Errorf("grant: %w: ttl %v too long", store.ErrInvalid, ttl)
	}
	return &op{kind: opGrant, ttl: secs}, nil
}

func revokeOp(id store.LeaseID) *op { return &op{kind: opRevoke, lease: id} }

func validateWrite(key string, value []byte) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	return store.ValidateValue(value)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// copyKV gives callers their own KeyValue: the engine's is shared with
// watchers' events. The value bytes stay shared (callers must not modify
// them, as store.KeyValue says).
func copyKV(kv *store.KeyValue) *store.KeyValue {
	c := *kv
	return &c
}

// errClosed reports a write that could not be completed because the engine
// closed.
var errClosed = fmt.Errorf("write: %w", store.ErrClosed)

// isClosed reports whether err means the engine was closed.
func isClosed(err error) bool { return errors.Is(err, store.ErrClosed) }
