package bolt_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

// Writes survive a reopen, with their revisions.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bolt-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.db")

	db, err := bolt.Open(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	db.Create(ctx, "/registry/namespaces/default", []byte(`{"kind":"Namespace"}`), 0)
	db.Create(ctx, "/registry/namespaces/kube-system", []byte(`{"kind":"Namespace"}`), 0)
	db.Close()

	db, _ = bolt.Open(path, nil)
	defer db.Close()
	res, _ := db.List(ctx, "/registry/namespaces/", store.ListOptions{})
	for _, kv := range res.KVs {
		fmt.Println(kv.ModRevision, kv.Key)
	}
	// Output:
	// 1 /registry/namespaces/default
	// 2 /registry/namespaces/kube-system
}

// A snapshot of one store restores into another, as a raft follower
// installs its leader's snapshot.
func ExampleDB_Snapshot() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bolt-example")
	defer os.RemoveAll(dir)

	leader, _ := bolt.Open(filepath.Join(dir, "leader.db"), nil)
	defer leader.Close()
	leader.Create(ctx, "/k", []byte("v"), 0)
	var snap bytes.Buffer
	rev, _ := leader.Snapshot(ctx, &snap)

	follower, _ := bolt.Open(filepath.Join(dir, "follower.db"), nil)
	defer follower.Close()
	if err := follower.Restore(ctx, &snap); err != nil {
		fmt.Println(err)
		return
	}
	kv, _ := follower.Get(ctx, "/k", store.GetOptions{})
	fmt.Println(rev, string(kv.Value))
	// Output:
	// 1 v
}

// An ordered batch: one transaction, revisions in op order, and each op's
// own result (the second create fails without aborting the others).
func ExampleDB_Apply() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bolt-example")
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "state.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	res, err := db.Apply(ctx, []bolt.Op{
		{Kind: bolt.OpCreate, Key: "/a", Value: []byte("1")},
		{Kind: bolt.OpCreate, Key: "/a", Value: []byte("again")},
		{Kind: bolt.OpUpdate, Key: "/a", Value: []byte("2"), ModRevision: 1},
		{Kind: bolt.OpCreate, Key: "/b", Value: []byte("3")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.Revision, r.Err)
	}
	fmt.Println("commits:", db.Stats().Commits)
	// Output:
	// 1 <nil>
	// 0 create "/a": store: key already exists
	// 2 <nil>
	// 3 <nil>
	// commits: 1
}
