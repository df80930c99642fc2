package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/longshore/longshore/store"
)

// refStore is a small, slow, obviously-correct in-memory store used only
// to validate the suite: it must pass, and each injected fault must make a
// named subtest fail.
type refStore struct {
	fault string // "" for the correct store

	mu        sync.Mutex
	rev       int64
	compacted int64
	history   map[string][]version
	events    []store.Event // events[i].Revision == i+1
	leases    map[store.LeaseID]*refLease
	nextLease store.LeaseID
	changed   chan struct{} // closed and replaced on every write
	closed    chan struct{}
	isClosed  bool
	wg        sync.WaitGroup
}

type version struct {
	kv      store.KeyValue
	deleted bool
}

type refLease struct {
	ttl    time.Duration
	expiry time.Time
	keys   map[string]bool
}

func newRefStore(fault string) *refStore {
	s := &refStore{
		fault:   fault,
		history: map[string][]version{},
		leases:  map[store.LeaseID]*refLease{},
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	s.wg.Add(1)
	go s.expireLoop()
	return s
}

var _ store.Store = (*refStore)(nil)

func (s *refStore) expireLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		for id, l := range s.leases {
			if time.Now().After(l.expiry) {
				s.revokeLocked(id)
			}
		}
		s.mu.Unlock()
	}
}

func (s *refStore) begin(ctx context.Context) error {
	if s.fault != "ignorectx" {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ref: %w", err)
		}
	}
	if s.isClosed {
		return fmt.Errorf("ref: %w", store.ErrClosed)
	}
	return nil
}

// latest returns the key's current version, or nil.
func (s *refStore) at(key string, rev int64) *version {
	vs := s.history[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].kv.ModRevision <= rev {
			if vs[i].deleted {
				return nil
			}
			return &vs[i]
		}
	}
	return nil
}

func (s *refStore) readRev(rev int64) (int64, error) {
	if err := store.ValidateRevision(rev); err != nil {
		return 0, err
	}
	if rev == 0 {
		return s.rev, nil
	}
	if rev > s.rev && s.fault != "futureok" {
		return 0, store.ErrFutureRevision
	}
	if rev <= s.compacted && s.fault != "nocompacterr" {
		return 0, store.ErrCompacted
	}
	if s.fault == "pastread" || s.fault == "futureok" || s.fault == "nocompacterr" {
		return s.rev, nil
	}
	return rev, nil
}

// write appends one event at the next revision.
func (s *refStore) write(ev store.Event, v version) {
	step := int64(1)
	if s.fault == "revskip" && len(s.events) == 1 {
		step = 2
	}
	s.rev += step
	ev.Revision = s.rev
	v.kv.ModRevision = s.rev
	if ev.Type == store.EventDelete {
		ev.KV = store.KeyValue{Key: v.kv.Key, ModRevision: s.rev}
	} else {
		if v.kv.CreateRevision == 0 {
			v.kv.CreateRevision = s.rev
		}
		ev.KV = v.kv
	}
	for int64(len(s.events)) < s.rev-1 {
		s.events = append(s.events, store.Event{Type: -1}) // a skipped revision
	}
	s.events = append(s.events, ev)
	s.history[v.kv.Key] = append(s.history[v.kv.Key], v)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *refStore) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	rev, err := s.readRev(opts.Revision)
	if err != nil {
		return nil, err
	}
	v := s.at(key, rev)
	if v == nil {
		return nil, fmt.Errorf("ref: get %q: %w", key, store.ErrNotFound)
	}
	kv := v.kv
	return &kv, nil
}

func (s *refStore) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	rev, start := opts.Revision, prefix
	if opts.Continue != "" {
		var err error
		if rev, start, err = store.DecodeContinue(opts.Continue, prefix); err != nil {
			return nil, err
		}
		if s.fault == "listnopin" {
			rev = 0
		}
		if s.fault == "continueexclusive" {
			start += "\x00"
		}
	}
	rev, err := s.readRev(rev)
	if err != nil {
		return nil, err
	}
	match := func(k string) bool { return strings.HasPrefix(k, prefix) }
	if s.fault == "prefixloose" {
		p := strings.TrimSuffix(prefix, "/")
		match = func(k string) bool { return strings.HasPrefix(k, p) }
	}
	var ks []string
	for k := range s.history {
		if match(k) && k >= start && s.at(k, rev) != nil {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	res := &store.ListResult{Revision: rev}
	for i, k := range ks {
		if opts.Limit > 0 && int64(i) == opts.Limit {
			res.Remaining = int64(len(ks) - i)
			if s.fault == "remainingoff" {
				res.Remaining++
			}
			res.Continue = store.EncodeContinue(rev, k)
			if s.fault == "continueexclusive" {
				res.Continue = store.EncodeContinue(rev, ks[i-1])
			}
			break
		}
		res.KVs = append(res.KVs, s.at(k, rev).kv)
	}
	return res, nil
}

func (s *refStore) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := store.ValidateValue(value); err != nil && !(s.fault == "badinputwrites" && len(value) == 0) {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if s.at(key, s.rev) != nil {
		return nil, fmt.Errorf("ref: create %q: %w", key, store.ErrExists)
	}
	if lease != 0 {
		l, ok := s.leases[lease]
		if !ok {
			return nil, fmt.Errorf("ref: create %q: %w", key, store.ErrLeaseNotFound)
		}
		l.keys[key] = true
	}
	v := version{kv: store.KeyValue{Key: key, Value: append([]byte(nil), value...), Version: 1, Lease: lease}}
	if s.fault == "recreatekeepsversion" {
		vs := s.history[key]
		for i := len(vs) - 1; i >= 0; i-- {
			if !vs[i].deleted {
				v.kv.Version = vs[i].kv.Version + 1
				break
			}
		}
	}
	s.write(store.Event{Type: store.EventPut}, v)
	kv := s.at(key, s.rev).kv
	return &kv, nil
}

func (s *refStore) guard(key string, modRevision int64) (*version, error) {
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, err
	}
	cur := s.at(key, s.rev)
	if cur == nil {
		return nil, fmt.Errorf("ref: %q: %w", key, store.ErrNotFound)
	}
	if modRevision != 0 && cur.kv.ModRevision != modRevision && s.fault != "conflictignored" {
		return nil, fmt.Errorf("ref: %q: %w", key, store.ErrConflict)
	}
	return cur, nil
}

func (s *refStore) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := store.ValidateValue(value); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	cur, err := s.guard(key, modRevision)
	if err != nil {
		return nil, err
	}
	prev := cur.kv
	v := version{kv: prev}
	v.kv.Value = append([]byte(nil), value...)
	v.kv.Version++
	if s.fault == "updatedropslease" {
		v.kv.Lease = 0
	}
	ev := store.Event{Type: store.EventPut, Prev: &prev}
	if s.fault == "noprev" {
		ev.Prev = nil
	}
	s.write(ev, v)
	kv := s.at(key, s.rev).kv
	return &kv, nil
}

func (s *refStore) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, 0, err
	}
	cur, err := s.guard(key, modRevision)
	if err != nil {
		return nil, 0, err
	}
	prev := cur.kv
	s.deleteLocked(prev)
	return &prev, s.rev, nil
}

func (s *refStore) deleteLocked(prev store.KeyValue) {
	if l := s.leases[prev.Lease]; l != nil {
		delete(l.keys, prev.Key)
	}
	s.write(store.Event{Type: store.EventDelete, Prev: &prev}, version{kv: store.KeyValue{Key: prev.Key}, deleted: true})
}

func (s *refStore) Compact(ctx context.Context, revision int64) error {
	if err := store.ValidateRevision(revision); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return err
	}
	if revision > s.rev {
		return store.ErrFutureRevision
	}
	if revision-1 > s.compacted {
		s.compacted = revision - 1
	}
	return nil
}

func (s *refStore) Revision(ctx context.Context) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return 0, 0, err
	}
	return s.rev, s.compacted, nil
}

func (s *refStore) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	if ttl < time.Second {
		return 0, fmt.Errorf("ref: %w: ttl %v", store.ErrInvalid, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	ttl = (ttl + time.Second - 1) / time.Second * time.Second
	s.nextLease++
	s.leases[s.nextLease] = &refLease{ttl: ttl, expiry: time.Now().Add(ttl), keys: map[string]bool{}}
	return s.nextLease, nil
}

func (s *refStore) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	l, ok := s.leases[id]
	if !ok {
		return 0, store.ErrLeaseNotFound
	}
	if s.fault != "keepaliveignored" {
		l.expiry = time.Now().Add(l.ttl)
	}
	return l.ttl, nil
}

func (s *refStore) Revoke(ctx context.Context, id store.LeaseID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return err
	}
	if _, ok := s.leases[id]; !ok {
		return store.ErrLeaseNotFound
	}
	s.revokeLocked(id)
	return nil
}

func (s *refStore) revokeLocked(id store.LeaseID) {
	l := s.leases[id]
	delete(s.leases, id)
	ks := make([]string, 0, len(l.keys))
	for k := range l.keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if v := s.at(k, s.rev); v != nil {
			if s.fault == "leasenodelete" {
				continue
			}
			s.deleteLocked(v.kv)
		}
	}
}

func (s *refStore) Close() error {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return nil
	}
	s.isClosed = true
	close(s.closed)
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

type refWatcher struct {
	events chan store.Event
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (w *refWatcher) Events() <-chan store.Event { return w.events }
func (w *refWatcher) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}
func (w *refWatcher) Close() { w.cancel(); <-w.done }

func (s *refStore) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	next := opts.Revision
	if next == 0 {
		next = s.rev + 1
		if s.fault == "watchnowreplays" && s.rev > 0 {
			next = s.rev
		}
	} else if s.fault == "seam" {
		next++
	}
	wctx, cancel := context.WithCancel(ctx)
	if s.fault == "nocancel" {
		wctx, cancel = context.WithCancel(context.Background())
	}
	w := &refWatcher{events: make(chan store.Event, 16), cancel: cancel, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		w.err = s.pump(wctx, w, prefix, next, opts.Progress)
		cancel()
		close(w.events)
		close(w.done)
	}()
	return w, nil
}

func (s *refStore) pump(ctx context.Context, w *refWatcher, prefix string, next int64, progress bool) error {
	idle := time.NewTimer(300 * time.Millisecond)
	defer idle.Stop()
	for {
		s.mu.Lock()
		if next <= s.compacted {
			s.mu.Unlock()
			return store.ErrCompacted
		}
		var batch []store.Event
		for ; next <= s.rev; next++ {
			ev := s.events[next-1]
			if ev.Type >= 0 && strings.HasPrefix(ev.KV.Key, prefix) {
				batch = append(batch, ev)
			}
		}
		changed, rev := s.changed, s.rev
		s.mu.Unlock()
		for _, ev := range batch {
			if s.fault == "watchgap" && len(w.events) == cap(w.events) {
				continue
			}
			select {
			case w.events <- ev:
			case <-ctx.Done():
				return nil
			case <-s.closed:
				if s.fault == "closenoerr" {
					return nil
				}
				return store.ErrClosed
			}
		}
		if len(batch) > 0 {
			idle.Reset(300 * time.Millisecond)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		case <-s.closed:
			if s.fault == "closenoerr" {
				return nil
			}
			return store.ErrClosed
		case <-idle.C:
			if progress && s.fault != "noprogress" {
				select {
				case w.events <- store.Event{Type: store.EventProgress, Revision: rev}:
				case <-ctx.Done():
					return nil
				}
			}
			idle.Reset(300 * time.Millisecond)
		}
	}
}
