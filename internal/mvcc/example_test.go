package mvcc_test

import (
	"context"
	"fmt"
	"time"

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

// An ordered batch: one commit, revisions and lease IDs in op order, each
// op with its own result.
func ExampleEngine_Apply() {
	ctx := context.Background()
	e := mvcc.NewMemory(mvcc.Options{ManualLeaseExpiry: true})
	defer e.Close()

	res, _ := e.Apply(ctx, []mvcc.Op{
		{Kind: mvcc.OpGrant, TTL: 10 * time.Second},
		{Kind: mvcc.OpCreate, Key: "/a", Value: []byte("1"), Lease: 1},
		{Kind: mvcc.OpUpdate, Key: "/a", Value: []byte("2"), ModRevision: 7},
		{Kind: mvcc.OpDelete, Key: "/a", ModRevision: 1},
	})
	for _, r := range res {
		fmt.Println(r.Lease, r.Revision, r.Err)
	}
	fmt.Printf("%+v\n", e.Stats())
	// Output:
	// 1 0 <nil>
	// 0 1 <nil>
	// 0 0 update "/a": store: modification revision conflict: expected mod revision 7, found 1
	// 0 2 <nil>
	// {Commits:1 Writes:2 Ops:4}
}
