package etcd

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
)

// TestWatchAcrossMemberLoss kills and restarts members of a 3-member
// cluster while a writer goes on and a watcher listens: the watcher must
// see every write in order, or end with an error; never skip one.
func TestWatchAcrossMemberLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts etcd members")
	}
	cluster := etcdproc.StartForTest(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := open(t, cluster, "/fault/")
	w, err := s.Watch(ctx, "", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	const n = 300
	writerDone := make(chan error, 1)
	go func() {
		for i := range n {
			key := fmt.Sprintf("k/%03d", i)
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, err := s.Create(ctx, key, []byte("v"), 0)
				// A create that timed out may have been applied: its
				// retry then finds the key.
				if err == nil || errors.Is(err, store.ErrExists) {
					break
				}
				if time.Now().After(deadline) {
					writerDone <- fmt.Errorf("create %s: %w", key, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		writerDone <- nil
	}()
	faultsDone := make(chan error, 1)
	go func() {
		for _, m := range []int{0, 1} {
			time.Sleep(300 * time.Millisecond)
			if err := cluster.Kill(m); err != nil {
				faultsDone <- err
				return
			}
			time.Sleep(500 * time.Millisecond)
			if err := cluster.Restart(ctx, m); err != nil {
				faultsDone <- err
				return
			}
		}
		faultsDone <- nil
	}()

	var last int64
	seen := map[string]bool{}
	ended := false
	for len(seen) < n && !ended {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				if w.Err() == nil {
					t.Fatalf("watch ended after %d events with a nil Err", len(seen))
				}
				t.Logf("watch ended after %d events: %v", len(seen), w.Err())
				ended = true
				break
			}
			if last == 0 && ev.KV.Key != "k/000" {
				t.Fatalf("first event is for %q, want k/000", ev.KV.Key)
			}
			if last != 0 && ev.Revision != last+1 {
				t.Fatalf("event at revision %d after %d: a gap", ev.Revision, last)
			}
			if ev.Type != store.EventPut || ev.Prev != nil || seen[ev.KV.Key] {
				t.Fatalf("unexpected event %+v", ev)
			}
			seen[ev.KV.Key] = true
			last = ev.Revision
		case <-time.After(60 * time.Second):
			t.Fatalf("watch stuck after %d events", len(seen))
		}
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	if err := <-faultsDone; err != nil {
		t.Fatal(err)
	}
	// Whatever happened to the watch, every write is in the store once.
	res, err := s.List(ctx, "k/", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.KVs) != n {
		t.Fatalf("store holds %d keys, want %d", len(res.KVs), n)
	}
	t.Logf("watch saw %d of %d writes; ended early: %v", len(seen), n, ended)
}
