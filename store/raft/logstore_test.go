package raft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// TestBoltLogStore runs a cluster on the LogStoreBolt format: writes
// through a follower, then every member stopped and started again, so
// that the replicas are rebuilt from the bbolt logs alone.
func TestBoltLogStore(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.LogStore = LogStoreBolt })
	ctx := testCtx(t, 60*time.Second)
	for i := range 3 {
		raftDir := filepath.Join(c.dirs[i], "raft")
		if _, err := os.Stat(filepath.Join(raftDir, boltLogFile)); err != nil {
			t.Fatalf("node %d: no bbolt log: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(raftDir, walMetaFile)); err == nil {
			t.Fatalf("node %d: a raft-wal log beside the bbolt one", i)
		}
	}
	f := c.node(c.follower())
	var revs []int64
	for i := range 20 {
		kv, err := f.Create(ctx, fmt.Sprintf("/bolt/%02d", i), []byte(fmt.Sprint(i)), 0)
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		revs = append(revs, kv.ModRevision)
	}
	for i := range 3 {
		c.stop(i)
	}
	for i := range 3 {
		c.start(i, nil, false)
	}
	if c.waitLeader(20*time.Second) < 0 {
		t.Fatal("no leader after restarting every member")
	}
	for n := range 3 {
		res, err := c.node(n).List(ctx, "/bolt/", store.ListOptions{})
		if err != nil {
			t.Fatalf("node %d: list: %v", n, err)
		}
		if len(res.KVs) != 20 {
			t.Fatalf("node %d: %d keys after restart, want 20", n, len(res.KVs))
		}
		for i, kv := range res.KVs {
			if string(kv.Value) != fmt.Sprint(i) || kv.ModRevision != revs[i] {
				t.Errorf("node %d: %s = %q at %d, want %q at %d", n, kv.Key, kv.Value, kv.ModRevision, fmt.Sprint(i), revs[i])
			}
		}
	}
}

// TestLogFormatMismatch checks that a data directory opened with the
// other log format is refused, both ways, and that an unknown format is
// a configuration error.
func TestLogFormatMismatch(t *testing.T) {
	for _, tt := range []struct {
		created, opened LogStoreKind
	}{
		{LogStoreWAL, LogStoreBolt},
		{LogStoreBolt, LogStoreWAL},
		{LogStoreBolt, ""}, // the default is the WAL
	} {
		t.Run(fmt.Sprintf("%s-then-%q", tt.created, tt.opened), func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{NodeID: "a", DataDir: dir, RaftAddr: "127.0.0.1:0", LogStore: tt.created,
				Bootstrap: []Peer{{ID: "a", Addr: "127.0.0.1:1"}}}
			n, err := Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			cfg.LogStore = tt.opened
			n, err = Open(context.Background(), cfg)
			if err == nil {
				n.Close()
				t.Fatalf("a %s log opened as %q", tt.created, tt.opened)
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
		})
	}
	_, err := Open(context.Background(), Config{NodeID: "a", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", LogStore: "leveldb"})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown LogStore: got %v, want ErrConfig", err)
	}
}
