package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// Example shows the contract every backend keeps, on the in-memory store:
// revisions, compare-and-swap on ModRevision, and a watch that starts at
// a past revision and replays what happened since.
func Example() {
	ctx := context.Background()
	var s store.Store = memory.New(nil)
	defer s.Close()

	kv, _ := s.Create(ctx, "/pods/default/web", []byte("v1"), 0)
	fmt.Println("created at revision", kv.ModRevision)

	// Compare-and-swap: the update names the revision it read.
	kv2, _ := s.Update(ctx, "/pods/default/web", []byte("v2"), kv.ModRevision)
	fmt.Println("updated at revision", kv2.ModRevision, "version", kv2.Version)

	// A second writer holding the old revision loses.
	_, err := s.Update(ctx, "/pods/default/web", []byte("v2-bis"), kv.ModRevision)
	fmt.Println("stale update:", errors.Is(err, store.ErrConflict))

	// Creating an existing key fails too.
	_, err = s.Create(ctx, "/pods/default/web", []byte("v3"), 0)
	fmt.Println("second create:", errors.Is(err, store.ErrExists))

	// A watch from the first revision replays the history in order.
	w, _ := s.Watch(ctx, "/pods/", store.WatchOptions{Revision: kv.ModRevision})
	defer w.Close()
	for range 2 {
		ev := <-w.Events()
		fmt.Printf("%s %s=%s at %d\n", ev.Type, ev.KV.Key, ev.KV.Value, ev.Revision)
	}
	// Output:
	// created at revision 1
	// updated at revision 2 version 2
	// stale update: true
	// second create: true
	// PUT /pods/default/web=v1 at 1
	// PUT /pods/default/web=v2 at 2
}

// ExampleEncodeContinue shows the continue token of a paginated List: it
// pins the pages to the revision of the first one.
func ExampleEncodeContinue() {
	tok := store.EncodeContinue(42, "/pods/default/web-7")
	rev, next, err := store.DecodeContinue(tok, "/pods/")
	fmt.Println(rev, next, err)

	// A token used with another prefix is refused.
	_, _, err = store.DecodeContinue(tok, "/services/")
	fmt.Println(errors.Is(err, store.ErrInvalid))
	// Output:
	// 42 /pods/default/web-7 <nil>
	// true
}
