package mvcc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e := NewMemory(opts)
	t.Cleanup(func() { e.Close() })
	return e
}

func mustCreate(t testing.TB, e *Engine, key, val string) *store.KeyValue {
	t.Helper()
	kv, err := e.Create(context.Background(), key, []byte(val), 0)
	if err != nil {
		t.Fatalf("create %s: %v", key, err)
	}
	return kv
}

func TestCRUDAndGuards(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	a := mustCreate(t, e, "/a", "1")
	if a.ModRevision != 1 || a.CreateRevision != 1 || a.Version != 1 {
		t.Fatalf("create: got %+v", a)
	}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"create existing", func() error { _, err := e.Create(ctx, "/a", []byte("x"), 0); return err }, store.ErrExists},
		{"update wrong rev", func() error { _, err := e.Update(ctx, "/a", []byte("x"), 7); return err }, store.ErrConflict},
		{"update missing", func() error { _, err := e.Update(ctx, "/zz", []byte("x"), 0); return err }, store.ErrNotFound},
		{"delete wrong rev", func() error { _, _, err := e.Delete(ctx, "/a", 9); return err }, store.ErrConflict},
		{"empty key", func() error { _, err := e.Create(ctx, "", []byte("x"), 0); return err }, store.ErrInvalid},
		{"empty value", func() error { _, err := e.Create(ctx, "/b", nil, 0); return err }, store.ErrInvalid},
		{"big value", func() error { _, err := e.Create(ctx, "/b", make([]byte, store.MaxValueSize+1), 0); return err }, store.ErrTooLarge},
		{"unknown lease", func() error { _, err := e.Create(ctx, "/b", []byte("x"), 42); return err }, store.ErrLeaseNotFound},
		{"negative get rev", func() error { _, err := e.Get(ctx, "/a", store.GetOptions{Revision: -1}); return err }, store.ErrInvalid},
		{"future get rev", func() error { _, err := e.Get(ctx, "/a", store.GetOptions{Revision: 99}); return err }, store.ErrFutureRevision},
		{"bad continue", func() error { _, err := e.List(ctx, "/", store.ListOptions{Continue: "!!"}); return err }, store.ErrInvalid},
		{"short ttl", func() error { _, err := e.Grant(ctx, time.Millisecond); return err }, store.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	u, err := e.Update(ctx, "/a", []byte("2"), a.ModRevision)
	if err != nil || u.Version != 2 || u.CreateRevision != 1 || u.ModRevision != 2 {
		t.Fatalf("update: %+v %v", u, err)
	}
	prev, rev, err := e.Delete(ctx, "/a", u.ModRevision)
	if err != nil || rev != 3 || string(prev.Value) != "2" {
		t.Fatalf("delete: %+v %d %v", prev, rev, err)
	}
	if _, err := e.Get(ctx, "/a", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	for rev, want := range map[int64]string{1: "1", 2: "2"} {
		kv, err := e.Get(ctx, "/a", store.GetOptions{Revision: rev})
		if err != nil || string(kv.Value) != want {
			t.Fatalf("get at %d: %+v %v", rev, kv, err)
		}
	}
	again := mustCreate(t, e, "/a", "3")
	if again.CreateRevision != 4 || again.Version != 1 {
		t.Fatalf("recreate: %+v", again)
	}
}

func TestListPaginationPinned(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	for i := range 10 {
		mustCreate(t, e, fmt.Sprintf("/p/%02d", i), "v")
	}
	mustCreate(t, e, "/q", "other")
	var got []string
	res, err := e.List(ctx, "/p/", store.ListOptions{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	pinned := res.Revision
	for {
		for _, kv := range res.KVs {
			got = append(got, kv.Key)
		}
		if res.Continue == "" {
			break
		}
		// Writes between pages must not show up.
		mustCreate(t, e, fmt.Sprintf("/p/%02da", len(got)), "late")
		if res, err = e.List(ctx, "/p/", store.ListOptions{Limit: 4, Continue: res.Continue}); err != nil {
			t.Fatal(err)
		}
		if res.Revision != pinned {
			t.Fatalf("page revision %d, want %d", res.Revision, pinned)
		}
	}
	if len(got) != 10 {
		t.Fatalf("got %d keys: %v", len(got), got)
	}
	for i, k := range got {
		if want := fmt.Sprintf("/p/%02d", i); k != want {
			t.Fatalf("key %d = %s, want %s", i, k, want)
		}
	}
}

func TestCompaction(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	kv := mustCreate(t, e, "/k", "v1")
	kv, _ = e.Update(ctx, "/k", []byte("v2"), kv.ModRevision)
	mustCreate(t, e, "/gone", "x")
	e.Delete(ctx, "/gone", 0)
	e.Update(ctx, "/k", []byte("v3"), 0) // rev 5
	if err := e.Compact(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx, "/k", store.GetOptions{Revision: 3}); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("read below compaction: %v", err)
	}
	got, err := e.Get(ctx, "/k", store.GetOptions{Revision: 4})
	if err != nil || string(got.Value) != "v2" {
		t.Fatalf("latest version at compaction point: %+v %v", got, err)
	}
	if _, err := e.Watch(ctx, "/", store.WatchOptions{Revision: 2}); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("watch below compaction: %v", err)
	}
	if err := e.Compact(ctx, 99); !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("compact future: %v", err)
	}
	cur, comp, _ := e.Revision(ctx)
	if cur != 5 || comp != 3 {
		t.Fatalf("revision = %d/%d", cur, comp)
	}
	mb := e.backend.(*MemoryBackend)
	if n := len(mb.recs); n != 4 {
		t.Fatalf("backend keeps %d records, want 4 (v2 at 2, /gone at 3 as the previous value of its delete at 4, v3 at 5)", n)
	}
}

func TestGroupCommitBatchesAndChecksInOrder(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	mustCreate(t, e, "/cas", "0")
	const writers = 64
	var wg sync.WaitGroup
	var wins, conflicts sync.Map
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Create(ctx, fmt.Sprintf("/w/%d", i), []byte("x"), 0); err != nil {
				t.Error(err)
			}
			// Everyone races one CAS on the same version: exactly one wins.
			if _, err := e.Update(ctx, "/cas", []byte("x"), 1); err == nil {
				wins.Store(i, true)
			} else if errors.Is(err, store.ErrConflict) {
				conflicts.Store(i, true)
			} else {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d CAS winners, want 1", n)
	}
	st := e.Stats()
	if st.Writes != writers+2 {
		t.Fatalf("writes = %d, want %d", st.Writes, writers+2)
	}
	t.Logf("stats: %+v", st)
}

func recv(t testing.TB, w store.Watcher) store.Event {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended: %v", w.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return store.Event{}
}

func TestWatchSlowConsumerCatchesUpExactlyOnce(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{WatchBufferSize: 4})
	w, err := e.Watch(ctx, "/s/", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 200
	for i := range n {
		mustCreate(t, e, fmt.Sprintf("/s/%03d", i), "v")
		mustCreate(t, e, fmt.Sprintf("/other/%03d", i), "v")
	}
	last := int64(0)
	for i := range n {
		ev := recv(t, w)
		if ev.Type != store.EventPut || ev.KV.Key != fmt.Sprintf("/s/%03d", i) || ev.Revision <= last {
			t.Fatalf("event %d: %+v (last %d)", i, ev, last)
		}
		last = ev.Revision
	}
	select {
	case ev := <-w.Events():
		t.Fatalf("extra event %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestWatchFromPastWithPrev(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	kv := mustCreate(t, e, "/h", "1")
	e.Update(ctx, "/h", []byte("2"), kv.ModRevision)
	e.Delete(ctx, "/h", 0)
	w, err := e.Watch(ctx, "/h", store.WatchOptions{Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := []struct {
		typ  store.EventType
		rev  int64
		prev string
	}{{store.EventPut, 1, ""}, {store.EventPut, 2, "1"}, {store.EventDelete, 3, "2"}}
	for _, wnt := range want {
		ev := recv(t, w)
		prev := ""
		if ev.Prev != nil {
			prev = string(ev.Prev.Value)
		}
		if ev.Type != wnt.typ || ev.Revision != wnt.rev || prev != wnt.prev {
			t.Fatalf("got %v@%d prev %q, want %+v", ev.Type, ev.Revision, prev, wnt)
		}
	}
	mustCreate(t, e, "/h", "live")
	if ev := recv(t, w); ev.Revision != 4 {
		t.Fatalf("live event after replay: %+v", ev)
	}
}

func TestWatchLaggingPastCompactionEnds(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{WatchBufferSize: 1})
	w, err := e.Watch(ctx, "/", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		mustCreate(t, e, fmt.Sprintf("/%d", i), "v")
	}
	cur, _, _ := e.Revision(ctx)
	if err := e.Compact(ctx, cur); err != nil {
		t.Fatal(err)
	}
	got := 0
	for range w.Events() {
		got++
	}
	if !errors.Is(w.Err(), store.ErrCompacted) {
		t.Fatalf("err = %v after %d events", w.Err(), got)
	}
	if got >= 10 {
		t.Fatalf("received all %d events, expected the watch to end early", got)
	}
}

func TestWatchProgressAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := NewMemory(Options{ProgressInterval: 20 * time.Millisecond})
	mustCreate(t, e, "/x", "1")
	w, err := e.Watch(ctx, "/y/", store.WatchOptions{Progress: true})
	if err != nil {
		t.Fatal(err)
	}
	ev := recv(t, w)
	if ev.Type != store.EventProgress || ev.Revision != 1 {
		t.Fatalf("progress: %+v", ev)
	}
	w2, _ := e.Watch(ctx, "/", store.WatchOptions{})
	e.Close()
	for range w2.Events() {
	}
	if !errors.Is(w2.Err(), store.ErrClosed) {
		t.Fatalf("after store close: %v", w2.Err())
	}
	if _, err := e.Get(ctx, "/x", store.GetOptions{}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	cancel()
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	id, err := e.Grant(ctx, 1500*time.Millisecond)
	if err != nil || id != 1 {
		t.Fatalf("grant: %d %v", id, err)
	}
	w, _ := e.Watch(ctx, "/l/", store.WatchOptions{})
	defer w.Close()
	for _, k := range []string{"/l/b", "/l/a"} {
		if _, err := e.Create(ctx, k, []byte("v"), id); err != nil {
			t.Fatal(err)
		}
	}
	ls := e.Leases()
	if len(ls) != 1 || ls[0].TTL != 2*time.Second || ls[0].Keys != 2 {
		t.Fatalf("leases: %+v", ls)
	}
	recv(t, w)
	recv(t, w)
	start := time.Now()
	d1, d2 := recv(t, w), recv(t, w)
	if d1.Type != store.EventDelete || d1.KV.Key != "/l/a" || d2.KV.Key != "/l/b" || d2.Revision != d1.Revision+1 {
		t.Fatalf("expiry events %+v %+v", d1, d2)
	}
	t.Logf("expired %v after creation", time.Since(start))
	if _, err := e.KeepAlive(ctx, id); !errors.Is(err, store.ErrLeaseNotFound) {
		t.Fatalf("keepalive expired: %v", err)
	}
	id2, _ := e.Grant(ctx, time.Hour)
	if id2 != 2 {
		t.Fatalf("second lease id %d", id2)
	}
	e.Create(ctx, "/l/c", []byte("v"), id2)
	if err := e.Revoke(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx, "/l/c", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of revoked lease: %v", err)
	}
	if err := e.Revoke(ctx, id2); !errors.Is(err, store.ErrLeaseNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
}

func TestAutoCompact(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts Options
		want func(cur, compacted int64) bool
	}{
		{"revisions", Options{AutoCompact: AutoCompact{Revisions: 5, Interval: 20 * time.Millisecond}},
			func(cur, c int64) bool { return c == cur-5-1 }},
		{"periodic", Options{AutoCompact: AutoCompact{Interval: 20 * time.Millisecond}},
			func(cur, c int64) bool { return c > 0 && c < cur }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, tc.opts)
			for i := range 20 {
				mustCreate(t, e, fmt.Sprintf("/%d", i), "v")
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				cur, c, _ := e.Revision(ctx)
				if tc.want(cur, c) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("revision %d, compacted %d", cur, c)
				}
				if tc.name == "periodic" {
					mustCreate(t, e, fmt.Sprintf("/more/%d", cur), "v")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestManualLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{ManualLeaseExpiry: true})
	id, _ := e.Grant(ctx, time.Second)
	if _, err := e.Create(ctx, "/m", []byte("v"), id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1300 * time.Millisecond)
	if _, err := e.Get(ctx, "/m", store.GetOptions{}); err != nil {
		t.Fatalf("key of a lease past its TTL with manual expiry: %v", err)
	}
	if _, err := e.KeepAlive(ctx, id); err != nil {
		t.Fatalf("keepalive: %v", err)
	}
	if err := e.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ls := e.Leases(); len(ls) != 0 {
		t.Fatalf("leases after revoke: %+v", ls)
	}
}

func TestBatchSeesEarlierWritesOfTheBatch(t *testing.T) {
	// Ops are applied directly to one txn, as the committer does for a
	// batch: the second create must see the first, the update must see
	// the create's revision, the grant must be usable at once.
	e := newTestEngine(t, Options{})
	ops := []*op{
		{kind: opCreate, key: "/x", value: []byte("1")},
		{kind: opCreate, key: "/x", value: []byte("2")},
		{kind: opUpdate, key: "/x", value: []byte("3"), modRev: 1},
		{kind: opGrant, ttl: 60},
		{kind: opCreate, key: "/y", value: []byte("1"), lease: 1},
		{kind: opRevoke, lease: 1},
	}
	for _, o := range ops {
		o.done = make(chan struct{})
	}
	e.commit(ops)
	wantErrs := []error{nil, store.ErrExists, nil, nil, nil, nil}
	for i, o := range ops {
		if !errors.Is(o.res.err, wantErrs[i]) || (wantErrs[i] == nil && o.res.err != nil) {
			t.Fatalf("op %d: err %v, want %v", i, o.res.err, wantErrs[i])
		}
	}
	if ops[2].res.kv.ModRevision != 2 || ops[4].res.kv.ModRevision != 3 {
		t.Fatalf("revisions: update %d, leased create %d", ops[2].res.kv.ModRevision, ops[4].res.kv.ModRevision)
	}
	cur, _, _ := e.Revision(context.Background())
	if cur != 4 { // create, update, leased create, its delete by revoke
		t.Fatalf("revision %d, want 4", cur)
	}
	if _, err := e.Get(context.Background(), "/y", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of lease revoked in the same batch: %v", err)
	}
}

func TestWatchErrorsReturnNilWatcher(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	mustCreate(t, e, "/a", "1")
	mustCreate(t, e, "/a2", "1")
	e.Compact(ctx, 2)
	w, err := e.Watch(ctx, "/", store.WatchOptions{Revision: 1})
	if !errors.Is(err, store.ErrCompacted) || w != nil {
		t.Fatalf("watch below compaction: %v, watcher %v", err, w)
	}
	e.Close()
	w, err = e.Watch(ctx, "/", store.WatchOptions{})
	if !errors.Is(err, store.ErrClosed) || w != nil {
		t.Fatalf("watch after close: %v, watcher %v", err, w)
	}
}

func TestManyLaggingWatchersShareCatchUp(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{WatchBufferSize: 2})
	mustCreate(t, e, "/m/k", "0")
	var ws []store.Watcher
	for i := range 30 {
		// Every other watcher starts in the past, the others live.
		opts := store.WatchOptions{}
		if i%2 == 0 {
			opts.Revision = 1
		}
		w, err := e.Watch(ctx, "/m/", opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		ws = append(ws, w)
	}
	const updates = 300
	for i := range updates {
		if _, err := e.Update(ctx, "/m/k", []byte(fmt.Sprint(i+1)), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range ws {
		first := int64(2)
		if i%2 == 0 {
			first = 1
		}
		for rev := first; rev <= updates+1; rev++ {
			ev := recv(t, w)
			if ev.Revision != rev || string(ev.KV.Value) != fmt.Sprint(rev-1) {
				t.Fatalf("watcher %d: got rev %d value %q, want rev %d", i, ev.Revision, ev.KV.Value, rev)
			}
			if rev > 1 && (ev.Prev == nil || string(ev.Prev.Value) != fmt.Sprint(rev-2)) {
				t.Fatalf("watcher %d: rev %d prev %+v", i, rev, ev.Prev)
			}
		}
	}
}

func TestCloseUnderLoad(t *testing.T) {
	ctx := context.Background()
	e := NewMemory(Options{WatchBufferSize: 4})
	var ws []store.Watcher
	for range 8 {
		w, err := e.Watch(ctx, "/", store.WatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := e.Create(ctx, fmt.Sprintf("/%d/%d", g, i), []byte("v"), 0)
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("create: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { e.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung under load")
	}
	close(stop)
	wg.Wait()
	for i, w := range ws {
		for range w.Events() {
		}
		if !errors.Is(w.Err(), store.ErrClosed) {
			t.Fatalf("watcher %d: %v", i, w.Err())
		}
	}
}
