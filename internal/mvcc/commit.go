package mvcc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/longshore/longshore/store"
)

type opKind int

const (
	opCreate opKind = iota
	opUpdate
	opDelete
	opGrant
	opRevoke
	opExpire // a revoke by the expiry loop
	opCompact
	opReset
	opBatch // an ordered batch (Engine.Apply): its ops in one transaction
)

// alone reports whether the op runs as a batch of its own.
func (k opKind) alone() bool { return k == opCompact || k == opReset || k == opBatch }

type op struct {
	kind   opKind
	key    string
	value  []byte
	lease  store.LeaseID
	modRev int64
	ttl    int64
	swap   func(int64) error
	batch  []*op // of an opBatch, in order

	res  result
	done chan struct{}
}

type result struct {
	kv    *store.KeyValue
	prev  *store.KeyValue
	rev   int64
	lease store.LeaseID
	err   error
}

// submit queues o for the committer and waits for its result. If ctx ends
// first the write may still happen, as with any store that acknowledges
// after the fact.
func (e *Engine) submit(ctx context.Context, o *op) (result, error) {
	if err := e.check(ctx); err != nil {
		return result{}, err
	}
	o.done = make(chan struct{})
	select {
	case e.queue <- o:
	case <-e.closing:
		return result{}, errClosed
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	select {
	case <-o.done:
	case <-ctx.Done():
		return result{}, ctx.Err()
	case <-e.stopped:
		select {
		case <-o.done:
		default:
			return result{}, errClosed
		}
	}
	return o.res, o.res.err
}

// CommitSiblings is how many writes the previous group commit must have
// carried for the next one to wait (Options.CommitDelay): two is the first
// sign that writers overlap. (Five, PostgreSQL's commit_siblings default,
// rarely triggered here: with commits of about a millisecond, batches of
// the scheduler's end-to-end run are mostly of one or two writes.)
const CommitSiblings = 2

func (e *Engine) commitLoop() {
	defer close(e.stopped)
	var carry *op
	batch := make([]*op, 0, e.opts.MaxBatch)
	var linger *time.Timer
	prev := 0 // writes of the previous batch
	// add puts o in the batch, or keeps it for after the batch when it must
	// run alone (then the batch is closed: false).
	add := func(o *op) bool {
		if o.kind.alone() {
			carry = o
			return false
		}
		batch = append(batch, o)
		return true
	}
	for {
		var first *op
		if carry != nil {
			first, carry = carry, nil
		} else {
			select {
			case <-e.closing:
				e.failQueued()
				return
			case first = <-e.queue:
			}
		}
		if first.kind.alone() {
			e.runAlone(first)
			continue
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < e.opts.MaxBatch {
			select {
			case o := <-e.queue:
				if !add(o) {
					break fill
				}
			default:
				break fill
			}
		}
		if want := min(prev, e.opts.MaxBatch); e.opts.CommitDelay > 0 && carry == nil && prev >= CommitSiblings && len(batch) < want {
			// Under load: give the other writers a moment to join.
			if linger == nil {
				linger = time.NewTimer(e.opts.CommitDelay)
			} else {
				linger.Reset(e.opts.CommitDelay)
			}
		wait:
			for len(batch) < want {
				select {
				case o := <-e.queue:
					if !add(o) {
						break wait
					}
				case <-linger.C:
					break wait
				case <-e.closing:
					break wait
				}
			}
			linger.Stop()
		}
		prev = len(batch)
		e.commit(batch)
		clear(batch)
	}
}

func (e *Engine) failQueued() {
	for {
		select {
		case o := <-e.queue:
			o.res.err = errClosed
			close(o.done)
		default:
			return
		}
	}
}

func (e *Engine) runAlone(o *op) {
	if o.kind == opBatch {
		e.commit(o.batch)
		close(o.done)
		return
	}
	e.opsCount.Add(1)
	switch o.kind {
	case opCompact:
		o.res.err = e.compact(o.modRev)
	case opReset:
		o.res.err = e.reset(o.swap)
	}
	close(o.done)
}

// txn is the state of a batch being assembled: writes see the writes
// before them in the same batch.
type txn struct {
	e        *Engine
	rev      int64
	leaseSeq int64
	keys     map[string]*store.KeyValue // pending head; nil value = deleted
	leases   map[store.LeaseID]bool     // pending liveness
	batch    Batch
	events   []store.Event
}

func (t *txn) get(key string) *store.KeyValue {
	if kv, ok := t.keys[key]; ok {
		return kv
	}
	if ki := t.e.idx.get(key); ki != nil {
		return ki.cur
	}
	return nil
}

func (t *txn) leaseAlive(id store.LeaseID) bool {
	if alive, ok := t.leases[id]; ok {
		return alive
	}
	return t.e.leases[id] != nil
}

func (t *txn) put(rec Record, prev *store.KeyValue) *store.KeyValue {
	t.rev++
	rec.ModRev = t.rev
	if rec.CreateRev == 0 {
		rec.CreateRev = t.rev
	}
	t.batch.Records = append(t.batch.Records, rec)
	kv := rec.KeyValue()
	t.keys[rec.Key] = &kv
	t.events = append(t.events, store.Event{Type: store.EventPut, Revision: t.rev, KV: kv, Prev: prev})
	return &kv
}

func (t *txn) del(cur *store.KeyValue) int64 {
	t.rev++
	t.batch.Records = append(t.batch.Records, Record{
		Key: cur.Key, ModRev: t.rev, Lease: cur.Lease, PrevRev: cur.ModRevision, Tombstone: true,
	})
	t.keys[cur.Key] = nil
	t.events = append(t.events, store.Event{
		Type: store.EventDelete, Revision: t.rev,
		KV: store.KeyValue{Key: cur.Key, ModRevision: t.rev}, Prev: cur,
	})
	return t.rev
}

// apply evaluates one write against the pending state.
func (t *txn) apply(o *op) {
	switch o.kind {
	case opCreate:
		if t.get(o.key) != nil {
			o.res.err = fmt.Errorf("create %q: %w", o.key, store.ErrExists)
			return
		}
		if o.lease != 0 && !t.leaseAlive(o.lease) {
			o.res.err = fmt.Errorf("create %q with lease %d: %w", o.key, o.lease, store.ErrLeaseNotFound)
			return
		}
		o.res.kv = t.put(Record{Key: o.key, Value: o.value, Version: 1, Lease: o.lease}, nil)
	case opUpdate:
		cur := t.get(o.key)
		if err := checkGuard("update", o.key, cur, o.modRev); err != nil {
			o.res.err = err
			return
		}
		o.res.kv = t.put(Record{
			Key: o.key, Value: o.value, CreateRev: cur.CreateRevision,
			Version: cur.Version + 1, Lease: cur.Lease, PrevRev: cur.ModRevision,
		}, cur)
	case opDelete:
		cur := t.get(o.key)
		if err := checkGuard("delete", o.key, cur, o.modRev); err != nil {
			o.res.err = err
			return
		}
		o.res.prev = cur
		o.res.rev = t.del(cur)
	case opGrant:
		t.leaseSeq++
		id := store.LeaseID(t.leaseSeq)
		t.leases[id] = true
		t.batch.Granted = append(t.batch.Granted, Lease{ID: id, TTL: o.ttl})
		o.res.lease = id
	case opRevoke, opExpire:
		if !t.leaseAlive(o.lease) {
			o.res.err = fmt.Errorf("revoke %d: %w", o.lease, store.ErrLeaseNotFound)
			return
		}
		var keys []string
		if l := t.e.leases[o.lease]; l != nil {
			for k := range l.keys {
				keys = append(keys, k)
			}
		}
		for k, kv := range t.keys {
			if kv != nil && kv.Lease == o.lease {
				keys = append(keys, k)
			}
		}
		// Sorted so that every replica applying the same operations
		// deletes the keys at the same revisions.
		sort.Strings(keys)
		keys = slices.Compact(keys)
		for _, k := range keys {
			if cur := t.get(k); cur != nil && cur.Lease == o.lease {
				t.del(cur)
			}
		}
		t.leases[o.lease] = false
		t.batch.Revoked = append(t.batch.Revoked, o.lease)
	}
}

func checkGuard(verb, key string, cur *store.KeyValue, modRev int64) error {
	if cur == nil {
		return fmt.Errorf("%s %q: %w", verb, key, store.ErrNotFound)
	}
	if modRev > 0 && cur.ModRevision != modRev {
		return fmt.Errorf("%s %q: %w: expected mod revision %d, found %d", verb, key, store.ErrConflict, modRev, cur.ModRevision)
	}
	return nil
}

// commit assembles, persists, applies and acknowledges one batch.
func (e *Engine) commit(ops []*op) {
	t := &txn{
		e: e, rev: e.rev, leaseSeq: e.leaseSeq,
		keys:   make(map[string]*store.KeyValue, len(ops)),
		leases: map[store.LeaseID]bool{},
	}
	for _, o := range ops {
		t.apply(o)
	}
	e.opsCount.Add(int64(len(ops)))
	if len(t.batch.Records) > 0 || len(t.batch.Granted) > 0 || len(t.batch.Revoked) > 0 {
		t.batch.Rev, t.batch.LeaseSeq = t.rev, t.leaseSeq
		if err := e.backend.Commit(&t.batch); err != nil {
			e.log.Error("group commit failed", "writes", len(t.batch.Records), "err", err)
			for _, o := range ops {
				o.res = result{err: fmt.Errorf("commit: %w", err)}
				o.finish()
			}
			return
		}
		e.commits.Add(1)
		e.writes.Add(int64(len(t.batch.Records)))
		e.applyBatch(&t.batch)
		e.hub.publish(t.events, t.rev)
	}
	for _, o := range ops {
		o.finish()
	}
}

// finish acknowledges o to its submitter; the ops of an ordered batch have
// none of their own (the batch is acknowledged as a whole).
func (o *op) finish() {
	if o.done != nil {
		close(o.done)
	}
}

// applyBatch makes a durable batch visible to readers.
func (e *Engine) applyBatch(b *Batch) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range b.Granted {
		l := &lease{id: g.ID, ttl: g.TTL, keys: map[string]struct{}{}}
		l.deadline.Store(now.Add(time.Duration(g.TTL) * time.Second).UnixNano())
		e.leases[g.ID] = l
	}
	for i := range b.Records {
		r := &b.Records[i]
		e.idx.apply(r)
		if r.Lease == 0 {
			continue
		}
		if l := e.leases[r.Lease]; l != nil {
			if r.Tombstone {
				delete(l.keys, r.Key)
			} else {
				l.keys[r.Key] = struct{}{}
			}
		}
	}
	for _, id := range b.Revoked {
		delete(e.leases, id)
	}
	e.rev, e.leaseSeq = b.Rev, b.LeaseSeq
}

// compact runs on the committer. Compacting at rev keeps rev readable: the
// compaction point becomes rev-1, and the index keeps every revision above
// it plus, for each key, the latest version at or below it.
func (e *Engine) compact(rev int64) error {
	point := rev - 1
	e.mu.Lock()
	if point <= e.compacted {
		e.mu.Unlock()
		return nil
	}
	if rev > e.rev {
		cur := e.rev
		e.mu.Unlock()
		return fmt.Errorf("compact at %d (current %d): %w", rev, cur, store.ErrFutureRevision)
	}
	e.compacted = point
	var removed []int64
	var empty []*keyIndex
	e.idx.tree.Ascend(func(ki *keyIndex) bool {
		var gone bool
		removed, gone = ki.compact(point, removed)
		if gone {
			empty = append(empty, ki)
		}
		return true
	})
	for _, ki := range empty {
		e.idx.tree.Delete(ki)
	}
	e.mu.Unlock()
	e.hub.kick()
	sort.Slice(removed, func(i, j int) bool { return removed[i] < removed[j] })
	if err := e.backend.Compact(removed, point); err != nil {
		return fmt.Errorf("compact at %d: %w", rev, err)
	}
	return nil
}

// reset runs on the committer.
func (e *Engine) reset(swap func(int64) error) error {
	// The hub stays locked throughout so that no watch starts against the
	// old state and no watcher sees a mix of the two.
	return e.hub.reset(func() (int64, error) {
		e.mu.RLock()
		cur := e.rev
		e.mu.RUnlock()
		if err := swap(cur); err != nil {
			return 0, err
		}
		if err := e.load(); err != nil {
			return 0, fmt.Errorf("reload after restore: %w", err)
		}
		e.mu.RLock()
		defer e.mu.RUnlock()
		return e.rev, nil
	})
}

// expiryLoop revokes the leases whose deadline has passed.
func (e *Engine) expiryLoop() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-e.closing:
			return
		case <-tick.C:
		}
		now := time.Now().UnixNano()
		var due []store.LeaseID
		e.mu.RLock()
		for id, l := range e.leases {
			if l.deadline.Load() <= now {
				due = append(due, id)
			}
		}
		e.mu.RUnlock()
		slices.Sort(due)
		// A bounded number per tick; the rest wait for the next one.
		const maxExpiries = 1000
		due = due[:min(len(due), maxExpiries)]
		// Queued together so that they share commits. Their order is not
		// deterministic; replicated owners use ManualLeaseExpiry.
		errs := make([]chan error, len(due))
		for i, id := range due {
			errs[i] = make(chan error, 1)
			o := &op{kind: opExpire, lease: id}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_, err := e.submit(ctx, o)
				errs[i] <- err
			}()
		}
		for i, id := range due {
			if err := <-errs[i]; err != nil && !isClosed(err) && !errors.Is(err, store.ErrLeaseNotFound) {
				e.log.Warn("lease expiry failed", "lease", id, "err", err)
			}
		}
	}
}

// autoCompactLoop compacts in the background (see Options).
func (e *Engine) autoCompactLoop() {
	tick := time.NewTicker(e.opts.AutoCompact.Interval)
	defer tick.Stop()
	var prev int64 // revision at the previous tick (periodic mode)
	for {
		select {
		case <-e.closing:
			return
		case <-tick.C:
		}
		e.mu.RLock()
		cur := e.rev
		e.mu.RUnlock()
		target := prev
		if e.opts.AutoCompact.Revisions > 0 {
			target = cur - e.opts.AutoCompact.Revisions
		}
		prev = cur
		if target <= 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := e.Compact(ctx, target)
		cancel()
		if err != nil && !isClosed(err) {
			e.log.Warn("auto-compaction failed", "revision", target, "err", err)
		} else if err == nil {
			e.log.Debug("auto-compacted", "revision", target)
		}
	}
}

func sortLeases(ls []LeaseInfo) {
	slices.SortFunc(ls, func(a, b LeaseInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}
