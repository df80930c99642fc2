package mvcc

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// With CommitDelay, a lone writer is not held back, and many writers at
// once are committed in batches about as large as their number.
func TestCommitDelay(t *testing.T) {
	ctx := context.Background()
	const delay = 200 * time.Millisecond // long next to a commit, so that a wrong wait shows
	e := newTestEngine(t, Options{CommitDelay: delay})

	begin := time.Now()
	for i := range 5 {
		mustCreate(t, e, fmt.Sprint("/lone/", i), "x")
	}
	if d := time.Since(begin); d >= delay {
		t.Fatalf("5 sequential writes took %v: a lone writer waited for siblings", d)
	}

	const writers, rounds = 32, 20
	before := e.Stats()
	// The writers start together: on a loaded machine, writers started one
	// after another may each finish before the next begins, and then there
	// is nothing to batch.
	var wg, ready sync.WaitGroup
	start := make(chan struct{})
	ready.Add(writers)
	for w := range writers {
		wg.Go(func() {
			ready.Done()
			<-start
			for r := range rounds {
				if _, err := e.Create(ctx, fmt.Sprintf("/busy/%d/%d", w, r), []byte("x"), 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	st := e.Stats()
	writes, commits := st.Writes-before.Writes, st.Commits-before.Commits
	if writes != writers*rounds {
		t.Fatalf("%d writes, want %d", writes, writers*rounds)
	}
	// Once a batch of CommitSiblings or more has gone through, each commit
	// waits for as many writers as the last one had: batches stay large.
	if per := float64(writes) / float64(commits); per < writers/4 {
		t.Fatalf("%.1f writes per commit with %d writers: commits did not wait for them", per, writers)
	}
	t.Logf("%d writes in %d commits", writes, commits)
}
