package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// Optimistic concurrency: an update guarded by a stale ModRevision fails.
func Example() {
	ctx := context.Background()
	s := memory.New(nil)
	defer s.Close()

	kv, _ := s.Create(ctx, "/registry/pods/default/web", []byte("v1"), 0)
	_, _ = s.Update(ctx, kv.Key, []byte("v2"), kv.ModRevision)
	_, err := s.Update(ctx, kv.Key, []byte("v3"), kv.ModRevision) // stale
	fmt.Println(errors.Is(err, store.ErrConflict))

	old, _ := s.Get(ctx, kv.Key, store.GetOptions{Revision: 1})
	cur, _ := s.Get(ctx, kv.Key, store.GetOptions{})
	fmt.Printf("%s at revision 1, %s now (version %d)\n", old.Value, cur.Value, cur.Version)
	// Output:
	// true
	// v1 at revision 1, v2 now (version 2)
}

// A watch from a past revision replays the history, then follows live
// changes.
func ExampleStore_Watch() {
	ctx := context.Background()
	s := memory.New(nil)
	defer s.Close()

	s.Create(ctx, "/a", []byte("1"), 0)
	s.Update(ctx, "/a", []byte("2"), 0)
	w, _ := s.Watch(ctx, "/", store.WatchOptions{Revision: 1})
	defer w.Close()
	s.Delete(ctx, "/a", 0)
	for range 3 {
		ev := <-w.Events()
		prev := "-"
		if ev.Prev != nil {
			prev = string(ev.Prev.Value)
		}
		fmt.Println(ev.Revision, ev.Type, ev.KV.Key, "prev:", prev)
	}
	// Output:
	// 1 PUT /a prev: -
	// 2 PUT /a prev: 1
	// 3 DELETE /a prev: 2
}
