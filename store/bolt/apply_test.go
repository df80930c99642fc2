package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// TestApplyOneTransactionDurable: an ordered batch is one commit (one
// fsync), survives a reopen with its revisions and leases, and a failing op
// leaves the others in place.
func TestApplyOneTransactionDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := Open(path, &Options{ManualLeaseExpiry: true})
	if err != nil {
		t.Fatal(err)
	}
	before := db.Stats()
	res, err := db.Apply(ctx, []Op{
		{Kind: OpGrant, TTL: time.Minute},
		{Kind: OpCreate, Key: "/a", Value: []byte("1"), Lease: 1},
		{Kind: OpCreate, Key: "/a", Value: []byte("dup")},
		{Kind: OpCreate, Key: "/b", Value: []byte("2")},
		{Kind: OpUpdate, Key: "/b", Value: []byte("3"), ModRevision: 2},
		{Kind: OpDelete, Key: "/nope"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []error{nil, nil, store.ErrExists, nil, nil, store.ErrNotFound}
	for i, w := range wantErr {
		if w == nil && res[i].Err != nil || w != nil && !errors.Is(res[i].Err, w) {
			t.Fatalf("op %d: err %v, want %v", i, res[i].Err, w)
		}
	}
	after := db.Stats()
	if c, f := after.Commits-before.Commits, after.Fsyncs-before.Fsyncs; c != 1 || f != 1 {
		t.Fatalf("%d commits and %d fsyncs for one batch, want 1 and 1", c, f)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, path, &Options{ManualLeaseExpiry: true})
	tests := []struct {
		key     string
		value   string
		modRev  int64
		leaseID store.LeaseID
	}{
		{"/a", "1", 1, 1},
		{"/b", "3", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			kv, err := db.Get(ctx, tt.key, store.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if string(kv.Value) != tt.value || kv.ModRevision != tt.modRev || kv.Lease != tt.leaseID {
				t.Fatalf("got %+v", kv)
			}
		})
	}
	if ls := db.Leases(); len(ls) != 1 || ls[0].ID != 1 || ls[0].Keys != 1 {
		t.Fatalf("leases after reopen: %+v", ls)
	}
}
