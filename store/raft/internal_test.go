package raft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"

	"github.com/longshore/longshore/store"
)

func newTestFSM(t testing.TB) (*fsm, boltReplica) {
	t.Helper()
	dir := t.TempDir()
	db, err := openReplica(filepath.Join(dir, "replica.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newFSM(db, dir, newLeaseTracker(), slog.New(slog.DiscardHandler)), db.(boltReplica)
}

// randomLogs makes log entries of every kind: writes that succeed and
// fail, compactions, keepalives, nops, configuration entries and garbage.
func randomLogs(r *rand.Rand, first uint64, n int, rev int64) []*hraft.Log {
	logs := make([]*hraft.Log, n)
	for i := range logs {
		key := fmt.Sprintf("/k/%d", r.IntN(6))
		lease := r.Int64N(4)
		var c command
		switch p := r.IntN(100); {
		case p < 25:
			c = command{Op: opCreate, Key: key, Value: fmt.Appendf(nil, "c%d", i), N: lease * int64(r.IntN(2))}
		case p < 45:
			c = command{Op: opUpdate, Key: key, Value: fmt.Appendf(nil, "u%d", i), N: r.Int64N(rev + 2)}
		case p < 60:
			c = command{Op: opDelete, Key: key, N: r.Int64N(2) * r.Int64N(rev+2)}
		case p < 70:
			c = command{Op: opGrant, N: int64(time.Duration(1+r.IntN(3)) * time.Second)}
		case p < 77:
			c = command{Op: opRevoke, N: lease}
		case p < 83:
			c = command{Op: opKeepAlive, N: lease}
		case p < 87:
			c = command{Op: opCompact, N: r.Int64N(rev + 2)}
		case p < 90:
			c = command{Op: opNop}
		case p < 93:
			c = command{Op: opCreate, Key: "", Value: []byte("x")} // invalid key
		}
		l := &hraft.Log{Index: first + uint64(i), Type: hraft.LogCommand, Data: c.encode()}
		switch {
		case c.Op == 0 && r.IntN(2) == 0:
			l.Type = hraft.LogConfiguration
			l.Data = nil
		case c.Op == 0:
			l.Data = []byte{0xff, 1, 2} // undecodable
		}
		logs[i] = l
	}
	return logs
}

// TestApplyBatchMatchesOneByOne applies the same log to two replicas, one
// through the FSM in raft batches, one with a store call per entry: same
// results, revisions, state and leases, with far fewer local commits for
// the batched one.
func TestApplyBatchMatchesOneByOne(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(seed, 11))
			batched, bdb := newTestFSM(t)
			_, sdb := newTestFSM(t)
			index := uint64(1)
			var writes, failed int
			for range 30 {
				rev, _, _ := sdb.Revision(ctx)
				logs := randomLogs(r, index, 1+r.IntN(40), rev)
				index += uint64(len(logs))
				got := batched.ApplyBatch(logs)
				for i, l := range logs {
					want := applyDirect(sdb, l)
					if err := sameFSMResult(got[i], want); err != nil {
						t.Fatalf("entry %d: %v", l.Index, err)
					}
					if res, ok := want.(*result); ok && res != nil {
						writes++
						if res.Err != nil {
							failed++
						}
					}
				}
				if batched.applied.Load() != index-1 {
					t.Fatalf("applied %d, want %d", batched.applied.Load(), index-1)
				}
			}
			if failed == 0 || failed == writes {
				t.Fatalf("%d of %d entries failed: the log does not exercise both paths", failed, writes)
			}
			rb, cb, _ := bdb.Revision(ctx)
			rs, cs, _ := sdb.Revision(ctx)
			if rb != rs || cb != cs || rb == 0 {
				t.Fatalf("revision %d/%d (batched) vs %d/%d (one by one)", rb, cb, rs, cs)
			}
			lb, _ := bdb.List(ctx, "/", store.ListOptions{})
			ls, _ := sdb.List(ctx, "/", store.ListOptions{})
			if !reflect.DeepEqual(lb, ls) {
				t.Fatalf("state differs:\n%+v\n%+v", lb, ls)
			}
			if !reflect.DeepEqual(bdb.leaseTTLs(), sdb.leaseTTLs()) {
				t.Fatalf("leases differ: %v vs %v", bdb.leaseTTLs(), sdb.leaseTTLs())
			}
			if !reflect.DeepEqual(batched.leases.ttls, sdb.leaseTTLs()) {
				t.Fatalf("lease tracker %v, want %v", batched.leases.ttls, sdb.leaseTTLs())
			}
			if b, s := bdb.Stats().Commits, sdb.Stats().Commits; b*2 > s {
				t.Fatalf("%d local commits batched vs %d one by one", b, s)
			}
		})
	}
}

// sameFSMResult compares two FSM results by their wire form.
func sameFSMResult(a, b interface{}) error {
	ra, _ := a.(*result)
	rb, _ := b.(*result)
	if (ra == nil) != (rb == nil) {
		return fmt.Errorf("result %v vs %v", a, b)
	}
	if ra == nil {
		return nil
	}
	if ea, eb := ra.encode(), rb.encode(); !bytes.Equal(ea, eb) {
		return fmt.Errorf("result %+v (err %v) vs %+v (err %v)", *ra, ra.Err, *rb, rb.Err)
	}
	return nil
}

// applyDirect is the reference: the entry applied with the store's single
// calls, as the FSM did before batching.
func applyDirect(db boltReplica, l *hraft.Log) interface{} {
	if l.Type != hraft.LogCommand {
		return nil
	}
	c, err := decodeCommand(l.Data)
	if err != nil {
		return &result{Err: err}
	}
	ctx := context.Background()
	r := &result{}
	switch c.Op {
	case opCreate:
		r.KV, r.Err = db.Create(ctx, c.Key, c.Value, store.LeaseID(c.N))
	case opUpdate:
		r.KV, r.Err = db.Update(ctx, c.Key, c.Value, c.N)
	case opDelete:
		r.Prev, r.Rev, r.Err = db.Delete(ctx, c.Key, c.N)
	case opCompact:
		r.Err = db.Compact(ctx, c.N)
	case opGrant:
		var id store.LeaseID
		id, r.Err = db.Grant(ctx, time.Duration(c.N))
		r.N = int64(id)
	case opKeepAlive:
		var ttl time.Duration
		ttl, r.Err = db.KeepAlive(ctx, store.LeaseID(c.N))
		r.N = int64(ttl)
	case opRevoke:
		r.Err = db.Revoke(ctx, store.LeaseID(c.N))
	}
	return r
}

func TestOpenRefusesBoltLog(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "raft"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "raft", "raft.db"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := Open(context.Background(), Config{NodeID: "a", DataDir: dir, RaftAddr: "127.0.0.1:0"})
	if err == nil {
		n.Close()
		t.Fatal("opened a data directory holding a bbolt raft log")
	}
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("got %v, want ErrConfig", err)
	}
}

func TestWALLogHidesTruncatedEntries(t *testing.T) {
	w, err := wal.Open(t.TempDir(), wal.WithSegmentSize(walSegmentSize))
	if err != nil {
		t.Fatal(err)
	}
	logs := walLog{w}
	t.Cleanup(func() { logs.Close() })
	var entries []*hraft.Log
	for i := uint64(1); i <= 10; i++ {
		entries = append(entries, &hraft.Log{Index: i, Term: 1, Type: hraft.LogCommand, Data: []byte{byte(i)}})
	}
	if err := logs.StoreLogs(entries); err != nil {
		t.Fatal(err)
	}
	if err := logs.DeleteRange(1, 5); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		index uint64
		found bool
	}{{1, false}, {5, false}, {6, true}, {10, true}, {11, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.index), func(t *testing.T) {
			var l hraft.Log
			err := logs.GetLog(tt.index, &l)
			switch {
			case tt.found && (err != nil || l.Index != tt.index || l.Data[0] != byte(tt.index)):
				t.Fatalf("got %+v, %v", l, err)
			case !tt.found && !errors.Is(err, hraft.ErrLogNotFound):
				t.Fatalf("got %v, want ErrLogNotFound", err)
			}
		})
	}
}

func TestConnSetWaitsForHandlers(t *testing.T) {
	tests := []struct {
		name    string
		handled bool // a handler closes the conn once reads fail
		want    bool
	}{
		{"handler returns", true, true},
		{"handler stuck", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s connSet
			a, b := net.Pipe()
			defer b.Close()
			c := s.add(a)
			if c == nil {
				t.Fatal("add refused a connection before closeAll")
			}
			if tt.handled {
				go func() {
					buf := make([]byte, 1)
					for {
						if _, err := c.Read(buf); err != nil {
							c.Close()
							return
						}
					}
				}()
			}
			if got := s.closeAll(200 * time.Millisecond); got != tt.want {
				t.Fatalf("closeAll = %v, want %v", got, tt.want)
			}
			x, y := net.Pipe()
			defer y.Close()
			if s.add(x) != nil {
				t.Fatal("add accepted a connection after closeAll")
			}
		})
	}
}
