package apiserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// Two servers' compactors on one store: in every round exactly one of
// them compacts, whichever ticks first, and always to a revision of the
// round before, so one round of history stays readable.
func TestCompactorTakesTurns(t *testing.T) {
	ctx := context.Background()
	st := memory.New(nil)
	defer st.Close()
	quiet := slog.New(slog.DiscardHandler)
	a, b := newCompactor(st, quiet), newCompactor(st, quiet)
	write := func(n int) {
		for i := range n {
			if _, err := st.Create(ctx, fmt.Sprintf("/registry/things/%d-%d", time.Now().UnixNano(), i), []byte("x"), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	var lastRoundEnd int64 // store revision at the end of the previous round
	for round := range 8 {
		write(3)
		first, second := a, b
		if round%3 == 2 {
			first, second = b, a
		}
		r1, err := first.tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := second.tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r2 != 0 {
			t.Fatalf("round %d: the second compactor compacted too (to %d)", round, r2)
		}
		cur, compacted, err := st.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case round < 1 && r1 != 0:
			t.Fatalf("round %d: compacted to %d with no earlier round", round, r1)
		case round >= 1 && (r1 <= 0 || r1 > lastRoundEnd):
			t.Fatalf("round %d: compacted to %d, want a revision of the previous round (<= %d)", round, r1, lastRoundEnd)
		case round >= 1 && compacted != r1-1:
			t.Fatalf("round %d: compaction point %d after compacting to %d", round, compacted, r1)
		}
		if r1 > 0 {
			// The compacted revision itself is still readable; the one
			// before is not.
			if _, err := st.List(ctx, "/registry/", store.ListOptions{Revision: r1}); err != nil {
				t.Fatalf("round %d: list at the compacted revision %d: %v", round, r1, err)
			}
			if _, err := st.List(ctx, "/registry/", store.ListOptions{Revision: r1 - 1}); !errors.Is(err, store.ErrCompacted) {
				t.Fatalf("round %d: list below the compaction point: %v", round, err)
			}
		}
		lastRoundEnd = cur
	}
}

// A server compacts its store on its own every CompactionInterval, and
// not at all with a negative one.
func TestServerCompactsStore(t *testing.T) {
	for _, interval := range []time.Duration{20 * time.Millisecond, -1} {
		t.Run(fmt.Sprint(interval), func(t *testing.T) {
			ts := newTestServer(t, Config{CompactionInterval: interval})
			st := ts.s.cfg.Store
			ctx := context.Background()
			for i := range 20 {
				if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json",
					fmt.Sprintf(`{"metadata":{"name":"c%d"}}`, i), nil); code != 201 {
					t.Fatalf("create: %d", code)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			var compacted int64
			for time.Now().Before(deadline) {
				var err error
				if _, compacted, err = st.Revision(ctx); err != nil {
					t.Fatal(err)
				}
				if compacted > 0 || interval < 0 && time.Now().After(deadline.Add(-4800*time.Millisecond)) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if interval > 0 && compacted == 0 {
				t.Fatal("the store was never compacted")
			}
			if interval < 0 && compacted != 0 {
				t.Fatalf("compacted to %d with compaction off", compacted)
			}
			// The server still serves, lists and watches after compactions.
			if code := ts.do(t, "GET", "/api/v1/namespaces/default/configmaps", "", "", nil); code != 200 {
				t.Fatalf("list after compaction: %d", code)
			}
		})
	}
}

// The compactor's key lies where the watch cache sees its writes: with
// the store's progress reports an hour apart, the cache still reaches the
// revision of a compaction turn, so consistent reads after it need not
// wait for one.
func TestCompactKeySeenByCache(t *testing.T) {
	st := memory.New(&memory.Options{ProgressInterval: time.Hour})
	defer st.Close()
	s, err := New(Config{Store: st, CompactionInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := newCompactor(st, slog.New(slog.DiscardHandler))
	for range 2 {
		if _, err := c.tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	rev, err := s.cacher.Store().Get(ctx, compactKey, store.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for s.cacher.Revision() < rev.ModRevision {
		select {
		case <-wctx.Done():
			t.Fatalf("the watch cache is at %d, never reached the compaction turn at %d", s.cacher.Revision(), rev.ModRevision)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
