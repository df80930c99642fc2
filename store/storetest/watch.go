package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// eventWait bounds the wait for one event that must come.
const eventWait = 10 * time.Second

func mustWatch(t testing.TB, st store.Store, prefix string, opts store.WatchOptions) store.Watcher {
	t.Helper()
	w, err := st.Watch(context.Background(), prefix, opts)
	if err != nil {
		t.Fatalf("Watch(%q, %+v): %v", prefix, opts, err)
	}
	t.Cleanup(w.Close)
	return w
}

// nextEvent returns the watcher's next event; it fails on a closed channel,
// on a progress event (the suite asks for them only in WatchProgress) and
// after d.
func nextEvent(t testing.TB, w store.Watcher, d time.Duration) store.Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended early: Err = %v", w.Err())
		}
		if ev.Type == store.EventProgress {
			t.Fatalf("progress event at %d on a watch that did not ask for progress", ev.Revision)
		}
		return ev
	case <-timer.C:
		t.Fatalf("no event within %v", d)
	}
	return store.Event{}
}

// noEvent checks that nothing arrives on w for d.
func noEvent(t testing.TB, w store.Watcher, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch ended: Err = %v", w.Err())
		}
		t.Fatalf("unexpected event %s", fmtEvent(ev))
	case <-time.After(d):
	}
}

// waitEnd drains w until its channel closes and returns the events it
// drained and Err; it fails if the channel stays open for d.
func waitEnd(t testing.TB, w store.Watcher, d time.Duration) ([]store.Event, error) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	var evs []store.Event
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				return evs, w.Err()
			}
			evs = append(evs, ev)
		case <-timer.C:
			t.Fatalf("watch still open after %v", d)
		}
	}
}

func fmtEvent(ev store.Event) string {
	return fmt.Sprintf("%s@%d kv=%s prev=%s", ev.Type, ev.Revision, fmtKV(&ev.KV), fmtKV(ev.Prev))
}

// putEvent and deleteEvent build the events the suite expects.
func putEvent(kv *store.KeyValue, prev *store.KeyValue) store.Event {
	return store.Event{Type: store.EventPut, Revision: kv.ModRevision, KV: *kv, Prev: prev}
}

func deleteEvent(key string, rev int64, prev *store.KeyValue) store.Event {
	return store.Event{Type: store.EventDelete, Revision: rev, KV: store.KeyValue{Key: key, ModRevision: rev}, Prev: prev}
}

func sameKV(a, b *store.KeyValue) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Key == b.Key && string(a.Value) == string(b.Value) && a.CreateRevision == b.CreateRevision &&
		a.ModRevision == b.ModRevision && a.Version == b.Version && a.Lease == b.Lease
}

func sameEvent(a, b store.Event) bool {
	return a.Type == b.Type && a.Revision == b.Revision && sameKV(&a.KV, &b.KV) && sameKV(a.Prev, b.Prev)
}

func checkEvent(t testing.TB, what string, got, want store.Event) {
	t.Helper()
	if !sameEvent(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, fmtEvent(got), fmtEvent(want))
	}
}

func (s *suite) testWatchEvents(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	w := mustWatch(t, st, "w/", store.WatchOptions{})
	a1 := mustCreate(t, st, "w/a", "1")
	a2 := mustUpdate(t, st, "w/a", "2", a1.ModRevision)
	_, drev, err := st.Delete(ctx, "w/a", a2.ModRevision)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, "x/outside", "v")
	b := mustCreate(t, st, "w/b", "b")
	a3 := mustCreate(t, st, "w/a", "3")
	a4 := mustUpdate(t, st, "w/a", "4", 0)
	want := []store.Event{
		putEvent(a1, nil),
		putEvent(a2, a1),
		deleteEvent("w/a", drev, a2),
		putEvent(b, nil),
		putEvent(a3, nil),
		putEvent(a4, a3),
	}
	for i, we := range want {
		checkEvent(t, fmt.Sprintf("event %d", i), nextEvent(t, w, eventWait), we)
	}
	noEvent(t, w, 100*time.Millisecond)
}

func (s *suite) testWatchPrefix(t *testing.T) {
	st, _ := s.open(t)
	watches := map[string][]string{
		"a/":  {"a/1", "a/2/x"},
		"a/2": {"a/2/x"},
		"a":   {"a/1", "ab", "a", "a/2/x"},
		"":    {"a/1", "ab", "b", "a", "a/2/x"},
		"c":   nil,
	}
	ws := map[string]store.Watcher{}
	for p := range watches {
		ws[p] = mustWatch(t, st, p, store.WatchOptions{})
	}
	for _, k := range []string{"a/1", "ab", "b", "a", "a/2/x"} {
		mustCreate(t, st, k, "v")
	}
	for p, want := range watches {
		for _, k := range want {
			ev := nextEvent(t, ws[p], eventWait)
			if ev.KV.Key != k {
				t.Fatalf("watch %q: event for %q, want %q", p, ev.KV.Key, k)
			}
		}
	}
	for p := range watches {
		noEvent(t, ws[p], 50*time.Millisecond)
	}
}

func (s *suite) testWatchFromNow(t *testing.T) {
	st, _ := s.open(t)
	mustCreate(t, st, "k/before", "v")
	mustUpdate(t, st, "k/before", "v2", 0)
	w := mustWatch(t, st, "k/", store.WatchOptions{})
	after := mustCreate(t, st, "k/after", "v")
	checkEvent(t, "first event of a watch from now", nextEvent(t, w, eventWait), putEvent(after, nil))
}

// writeHistory makes n writes under prefix with the given concurrency and
// returns the events they must produce, by revision. Each writer owns one
// key and cycles it through create, updates and delete.
func writeHistory(ctx context.Context, st store.Store, prefix string, writers, n int, into map[int64]store.Event, mu *sync.Mutex) error {
	return runAll(writers, func(w int) error {
		key := fmt.Sprintf("%s%d", prefix, w)
		var last *store.KeyValue
		for i := w; i < n; i += writers {
			var ev store.Event
			switch {
			case last == nil:
				kv, err := st.Create(ctx, key, []byte(fmt.Sprintf("c%d", i)), 0)
				if err != nil {
					return err
				}
				ev, last = putEvent(kv, nil), kv
			case i%(7*writers) < writers:
				prev, rev, err := st.Delete(ctx, key, last.ModRevision)
				if err != nil {
					return err
				}
				if !sameKV(prev, last) {
					return fmt.Errorf("Delete returned %s, want %s", fmtKV(prev), fmtKV(last))
				}
				ev, last = deleteEvent(key, rev, prev), nil
			default:
				kv, err := st.Update(ctx, key, []byte(fmt.Sprintf("u%d", i)), last.ModRevision)
				if err != nil {
					return err
				}
				ev, last = putEvent(kv, last), kv
			}
			mu.Lock()
			into[ev.Revision] = ev
			mu.Unlock()
		}
		return nil
	})
}

// testWatchReplay writes heavily, then watches from a past revision while
// writes go on: the watcher must replay history and continue live with no
// gap or duplicate at the seam.
func (s *suite) testWatchReplay(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	const past, live = 5000, 500
	var mu sync.Mutex
	hist := make(map[int64]store.Event, past+live)
	if err := writeHistory(ctx, st, "h/", 8, past, hist, &mu); err != nil {
		t.Fatal(err)
	}
	from := base + past/5
	w := mustWatch(t, st, "h/", store.WatchOptions{Revision: from})
	liveErr := make(chan error, 1)
	go func() { liveErr <- writeHistory(ctx, st, "h/live", 4, live, hist, &mu) }()
	last := base + past + live
	for rev := from; rev <= last; rev++ {
		ev := nextEvent(t, w, eventWait)
		if ev.Revision != rev {
			t.Fatalf("event at revision %d, want %d (gap or duplicate)", ev.Revision, rev)
		}
		// A live event can arrive before its writer has recorded it.
		var want store.Event
		eventually(t, eventWait, fmt.Sprintf("event %s matches a write of the suite", fmtEvent(ev)), func() bool {
			mu.Lock()
			defer mu.Unlock()
			var ok bool
			want, ok = hist[ev.Revision]
			return ok
		})
		checkEvent(t, fmt.Sprintf("replayed event at %d", rev), ev, want)
	}
	if err := <-liveErr; err != nil {
		t.Fatalf("live writes: %v", err)
	}
	noEvent(t, w, 50*time.Millisecond)
}

func (s *suite) testWatchCompacted(t *testing.T) {
	st, base := s.open(t)
	var kvs []*store.KeyValue
	for i := range 5 {
		kvs = append(kvs, mustCreate(t, st, fmt.Sprintf("c/%d", i), "v"))
	}
	ctx := testCtx(t)
	if err := st.Compact(ctx, base+4); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int64{base + 1, base + 3} {
		w, err := st.Watch(ctx, "c/", store.WatchOptions{Revision: rev})
		if err != nil {
			wantErr(t, fmt.Sprintf("Watch from compacted revision %d", rev), err, store.ErrCompacted)
			continue
		}
		evs, err := waitEnd(t, w, eventWait)
		if len(evs) != 0 {
			t.Fatalf("watch from compacted revision %d delivered %s", rev, fmtEvent(evs[0]))
		}
		wantErr(t, fmt.Sprintf("Err of a watch from compacted revision %d", rev), err, store.ErrCompacted)
		w.Close()
	}
	// The compaction point itself is still readable, so a watch from it
	// replays.
	w := mustWatch(t, st, "c/", store.WatchOptions{Revision: base + 4})
	checkEvent(t, "watch from the compaction point", nextEvent(t, w, eventWait), putEvent(kvs[3], nil))
	checkEvent(t, "watch from the compaction point", nextEvent(t, w, eventWait), putEvent(kvs[4], nil))
}

// testSlowWatcher lets a watcher fall thousands of events behind: it must
// then deliver every event in order, or end with an error; never a gap.
func (s *suite) testSlowWatcher(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	w := mustWatch(t, st, "s/", store.WatchOptions{})
	const n = 3000
	var mu sync.Mutex
	hist := make(map[int64]store.Event, n)
	if err := writeHistory(ctx, st, "s/", 8, n, hist, &mu); err != nil {
		t.Fatal(err)
	}
	got := 0
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	for got < n {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				if w.Err() == nil {
					t.Fatalf("slow watcher ended after %d of %d events with a nil Err", got, n)
				}
				t.Logf("slow watcher ended after %d of %d events: %v", got, n, w.Err())
				return
			}
			rev := base + 1 + int64(got)
			if ev.Revision != rev {
				t.Fatalf("slow watcher: event at %d, want %d (gap or duplicate)", ev.Revision, rev)
			}
			checkEvent(t, "slow watcher event", ev, hist[rev])
			got++
		case <-timer.C:
			t.Fatalf("slow watcher: %d of %d events after 30s", got, n)
		}
	}
	// Caught up: it goes on live.
	kv := mustCreate(t, st, "s/after", "v")
	checkEvent(t, "live event after catching up", nextEvent(t, w, eventWait), putEvent(kv, nil))
}

func (s *suite) testManyWatchers(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	const watchers, n = 24, 400
	ws := make([]store.Watcher, watchers)
	for i := range ws {
		prefix := "m/"
		if i%4 == 3 {
			prefix = "m/1" // sees only writer 1's key
		}
		ws[i] = mustWatch(t, st, prefix, store.WatchOptions{})
	}
	var mu sync.Mutex
	hist := make(map[int64]store.Event, n)
	type result struct {
		i   int
		err error
	}
	results := make(chan result, watchers)
	for i, w := range ws {
		go func() {
			filtered := i%4 == 3
			next := base + 1
			for {
				select {
				case ev, ok := <-w.Events():
					if !ok {
						results <- result{i, fmt.Errorf("ended: %v", w.Err())}
						return
					}
					if ev.Revision < next {
						results <- result{i, fmt.Errorf("event at %d after %d", ev.Revision, next-1)}
						return
					}
					if !filtered && ev.Revision != next {
						results <- result{i, fmt.Errorf("event at %d, want %d", ev.Revision, next)}
						return
					}
					if filtered && ev.KV.Key != "m/1" {
						results <- result{i, fmt.Errorf("event for %q on a watch of m/1", ev.KV.Key)}
						return
					}
					next = ev.Revision + 1
					if next > base+n {
						results <- result{i, nil}
						return
					}
				case <-time.After(30 * time.Second):
					results <- result{i, fmt.Errorf("stuck before revision %d", next)}
					return
				}
			}
		}()
	}
	// Writer 1's key gets the last write, so every watcher sees base+n.
	if err := writeHistory(ctx, st, "m/", 4, n-1, hist, &mu); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, "m/1", []byte("last"), 0); err != nil {
		if _, err := st.Create(ctx, "m/1", []byte("last"), 0); err != nil {
			t.Fatal(err)
		}
	}
	for range watchers {
		if r := <-results; r.err != nil {
			t.Fatalf("watcher %d: %v", r.i, r.err)
		}
	}
}

func (s *suite) testWatchCancel(t *testing.T) {
	st, _ := s.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := st.Watch(ctx, "", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	kv := mustCreate(t, st, "k", "v")
	checkEvent(t, "event before cancel", nextEvent(t, w, eventWait), putEvent(kv, nil))
	cancel()
	if _, err := waitEnd(t, w, eventWait); err != nil {
		t.Fatalf("Err after a cancelled context = %v, want nil", err)
	}
	// The store is unaffected.
	mustCreate(t, st, "k2", "v")
	w.Close()
}

func (s *suite) testWatcherClose(t *testing.T) {
	st, _ := s.open(t)
	w, err := st.Watch(context.Background(), "", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, "k", "v") // an event that may sit unread
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); w.Close() }()
	}
	wg.Wait()
	w.Close()
	if _, err := waitEnd(t, w, eventWait); err != nil {
		t.Fatalf("Err after Close = %v, want nil", err)
	}
	mustCreate(t, st, "k2", "v") // writes after a Close do not reach it
	if _, ok := <-w.Events(); ok {
		t.Fatal("event after the channel was closed")
	}
}

func (s *suite) testWatchProgress(t *testing.T) {
	st, _ := s.open(t)
	w := mustWatch(t, st, "p/", store.WatchOptions{Progress: true})
	plain := mustWatch(t, st, "p/", store.WatchOptions{})
	kv := mustCreate(t, st, "p/k", "v")
	other := mustCreate(t, st, "elsewhere", "v") // outside the prefix
	timer := time.NewTimer(eventWait)
	defer timer.Stop()
	sawPut := false
	for {
		var ev store.Event
		select {
		case e, ok := <-w.Events():
			if !ok {
				t.Fatalf("progress watch ended: %v", w.Err())
			}
			ev = e
		case <-timer.C:
			t.Fatalf("no progress event within %v of idleness", eventWait)
		}
		if ev.Type != store.EventProgress {
			if sawPut || !sameEvent(ev, putEvent(kv, nil)) {
				t.Fatalf("unexpected event %s", fmtEvent(ev))
			}
			sawPut = true
			continue
		}
		if !sawPut {
			if ev.Revision >= kv.ModRevision {
				t.Fatalf("progress at %d before the event at %d was delivered", ev.Revision, kv.ModRevision)
			}
			continue
		}
		if ev.Prev != nil || ev.KV.Key != "" {
			t.Fatalf("progress event carries data: %s", fmtEvent(ev))
		}
		if ev.Revision >= other.ModRevision {
			break
		}
	}
	checkEvent(t, "watch without progress", nextEvent(t, plain, eventWait), putEvent(kv, nil))
	noEvent(t, plain, 50*time.Millisecond)
}

// testCloseStore closes a store with watches open.
func (s *suite) testCloseStore(t *testing.T) {
	st, _ := s.open(t)
	var ws []store.Watcher
	for _, p := range []string{"", "a/", "b/"} {
		ws = append(ws, mustWatch(t, st, p, store.WatchOptions{}))
	}
	lease, err := st.Grant(testCtx(t), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	kv := mustCreate(t, st, "a/1", "v") // unread events pending on two watchers
	done := make(chan error, 1)
	go func() { done <- st.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(eventWait):
		t.Fatal("Close hangs with watches open")
	}
	for i, w := range ws {
		evs, err := waitEnd(t, w, eventWait)
		for _, ev := range evs {
			checkEvent(t, "event drained after Close", ev, putEvent(kv, nil))
		}
		wantErr(t, fmt.Sprintf("watcher %d after Close", i), err, store.ErrClosed)
		w.Close()
	}
	ctx := testCtx(t)
	v := []byte("v")
	calls := map[string]func() error{
		"Get":       func() error { _, err := st.Get(ctx, "a/1", store.GetOptions{}); return err },
		"List":      func() error { _, err := st.List(ctx, "", store.ListOptions{}); return err },
		"Create":    func() error { _, err := st.Create(ctx, "new", v, 0); return err },
		"Update":    func() error { _, err := st.Update(ctx, "a/1", v, 0); return err },
		"Delete":    func() error { _, _, err := st.Delete(ctx, "a/1", 0); return err },
		"Compact":   func() error { return st.Compact(ctx, 1) },
		"Revision":  func() error { _, _, err := st.Revision(ctx); return err },
		"Grant":     func() error { _, err := st.Grant(ctx, time.Minute); return err },
		"KeepAlive": func() error { _, err := st.KeepAlive(ctx, lease); return err },
		"Revoke":    func() error { return st.Revoke(ctx, lease) },
		"Watch": func() error {
			w, err := st.Watch(ctx, "", store.WatchOptions{})
			if err == nil {
				_, err = waitEnd(t, w, eventWait)
				w.Close()
			}
			return err
		},
	}
	for name, call := range calls {
		wantErr(t, name+" after Close", call(), store.ErrClosed)
	}
	_ = st.Close() // a second Close must not panic or hang
}
