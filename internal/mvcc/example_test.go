package mvcc_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// An engine over the in-memory backend; store/bolt passes its own Backend
// to mvcc.New instead.
func ExampleNewMemory() {
	ctx := context.Background()
	e := mvcc.NewMemory(mvcc.Options{})
	defer e.Close()

	e.Create(ctx, "/a", []byte("1"), 0)
	e.Create(ctx, "/b", []byte("2"), 0)
	e.Delete(ctx, "/a", 0)
	now, _ := e.List(ctx, "/", store.ListOptions{})
	then, _ := e.List(ctx, "/", store.ListOptions{Revision: 2})
	fmt.Println(len(now.KVs), "key now,", len(then.KVs), "keys at revision 2")
	fmt.Printf("%+v\n", e.Stats())
	// Output:
	// 1 key now, 2 keys at revision 2
	// {Commits:3 Writes:3 Ops:3}
}
