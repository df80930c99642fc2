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
