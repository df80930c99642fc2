package mvcc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// randomOps makes n random writes over a few keys and leases, with guards
// that sometimes match and sometimes do not, and some invalid ops.
func randomOps(r *rand.Rand, n int, maxRev int64, maxLease int64) []Op {
	ops := make([]Op, n)
	for i := range ops {
		key := fmt.Sprintf("/k/%d", r.IntN(8))
		guard := int64(0)
		if r.IntN(2) == 0 {
			guard = r.Int64N(maxRev + 2)
		}
		switch p := r.IntN(100); {
		case p < 30:
			var lease store.LeaseID
			if r.IntN(3) == 0 {
				lease = store.LeaseID(r.Int64N(maxLease + 2))
			}
			ops[i] = Op{Kind: OpCreate, Key: key, Value: fmt.Appendf(nil, "c%d", i), Lease: lease}
		case p < 55:
			ops[i] = Op{Kind: OpUpdate, Key: key, Value: fmt.Appendf(nil, "u%d", i), ModRevision: guard}
		case p < 75:
			ops[i] = Op{Kind: OpDelete, Key: key, ModRevision: guard}
		case p < 85:
			ops[i] = Op{Kind: OpGrant, TTL: time.Duration(1+r.IntN(5)) * time.Second}
		case p < 93:
			ops[i] = Op{Kind: OpRevoke, Lease: store.LeaseID(r.Int64N(maxLease + 2))}
		case p < 96:
			ops[i] = Op{Kind: OpCreate, Key: "", Value: []byte("x")} // invalid key
		default:
			ops[i] = Op{Kind: OpUpdate, Key: key, ModRevision: -1, Value: []byte("x")} // invalid guard
		}
	}
	return ops
}

// applyOne runs op through the single-call API.
func applyOne(ctx context.Context, e *Engine, o Op) Result {
	var r Result
	switch o.Kind {
	case OpCreate:
		r.KV, r.Err = e.Create(ctx, o.Key, o.Value, o.Lease)
	case OpUpdate:
		r.KV, r.Err = e.Update(ctx, o.Key, o.Value, o.ModRevision)
	case OpDelete:
		r.Prev, r.Revision, r.Err = e.Delete(ctx, o.Key, o.ModRevision)
	case OpGrant:
		r.Lease, r.Err = e.Grant(ctx, o.TTL)
	case OpRevoke:
		r.Err = e.Revoke(ctx, o.Lease)
	}
	if r.KV != nil {
		r.Revision = r.KV.ModRevision
	}
	return r
}

// sameResult compares two results, errors by message and sentinel.
func sameResult(a, b Result) error {
	if (a.Err == nil) != (b.Err == nil) || (a.Err != nil && a.Err.Error() != b.Err.Error()) {
		return fmt.Errorf("errors differ: %v vs %v", a.Err, b.Err)
	}
	a.Err, b.Err = nil, nil
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("results differ: %+v vs %+v", a, b)
	}
	return nil
}

// collect reads events from w until one at revision rev (or a timeout).
func collect(t testing.TB, w store.Watcher, rev int64) []store.Event {
	t.Helper()
	var out []store.Event
	timeout := time.After(10 * time.Second)
	for rev > 0 {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended: %v", w.Err())
			}
			if ev.Type == store.EventProgress {
				continue
			}
			out = append(out, ev)
			if ev.Revision >= rev {
				return out
			}
		case <-timeout:
			t.Fatalf("timed out waiting for revision %d (have %d events)", rev, len(out))
		}
	}
	return out
}

func TestApplyEquivalentToSequential(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			r := rand.New(rand.NewPCG(seed, 7))
			// Watch buffers large enough that both watchers see the live
			// events, not a catch-up from history.
			opts := Options{ManualLeaseExpiry: true, WatchBufferSize: 1 << 14}
			batched, single := newTestEngine(t, opts), newTestEngine(t, opts)
			wb, err := batched.Watch(ctx, "/", store.WatchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer wb.Close()
			ws, err := single.Watch(ctx, "/", store.WatchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()

			var nOps, nFailed int
			for round := range 40 {
				rev, _, _ := single.Revision(ctx)
				ops := randomOps(r, 1+r.IntN(30), rev, int64(len(single.Leases()))+3)
				got, err := batched.Apply(ctx, ops)
				if err != nil {
					t.Fatalf("round %d: apply: %v", round, err)
				}
				if len(got) != len(ops) {
					t.Fatalf("round %d: %d results for %d ops", round, len(got), len(ops))
				}
				for i, o := range ops {
					want := applyOne(ctx, single, o)
					if err := sameResult(got[i], want); err != nil {
						t.Fatalf("round %d op %d (%v): %v", round, i, o.Kind, err)
					}
					nOps++
					if want.Err != nil {
						nFailed++
					}
				}
			}
			if nFailed == 0 || nFailed == nOps {
				t.Fatalf("%d of %d ops failed: the workload does not exercise both paths", nFailed, nOps)
			}
			rb, _, _ := batched.Revision(ctx)
			rs, _, _ := single.Revision(ctx)
			if rb != rs || rb == 0 {
				t.Fatalf("revisions %d (batched) vs %d (single)", rb, rs)
			}
			lb, _ := batched.List(ctx, "/", store.ListOptions{})
			ls, _ := single.List(ctx, "/", store.ListOptions{})
			if !reflect.DeepEqual(lb, ls) {
				t.Fatalf("final state differs:\n%+v\n%+v", lb, ls)
			}
			if !reflect.DeepEqual(batched.Leases(), single.Leases()) {
				t.Fatalf("leases differ: %+v vs %+v", batched.Leases(), single.Leases())
			}
			eb, es := collect(t, wb, rb), collect(t, ws, rs)
			if !reflect.DeepEqual(eb, es) {
				t.Fatalf("events differ: %d batched vs %d single", len(eb), len(es))
			}
			for i, ev := range eb {
				if ev.Revision != int64(i+1) {
					t.Fatalf("event %d at revision %d: out of order", i, ev.Revision)
				}
			}
			if st := batched.Stats(); st.Commits > 40 {
				t.Fatalf("%d commits for 40 batches", st.Commits)
			}
		})
	}
}

func TestApplyErrorsPerOp(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{ManualLeaseExpiry: true})
	mustCreate(t, e, "/a", "1") // revision 1
	ops := []Op{
		{Kind: OpCreate, Key: "/a", Value: []byte("x")},                        // exists
		{Kind: OpCreate, Key: "/b", Value: []byte("2")},                        // rev 2
		{Kind: OpUpdate, Key: "/a", Value: []byte("y"), ModRevision: 9},        // conflict
		{Kind: OpUpdate, Key: "/a", Value: []byte("z"), ModRevision: 1},        // rev 3
		{Kind: OpDelete, Key: "/missing"},                                      // not found
		{Kind: OpCreate, Key: "", Value: []byte("x")},                          // invalid
		{Kind: OpCreate, Key: "/c", Value: nil},                                // invalid value
		{Kind: OpGrant, TTL: time.Millisecond},                                 // invalid ttl
		{Kind: OpGrant, TTL: 10 * time.Second},                                 // lease 1
		{Kind: OpCreate, Key: "/l", Value: []byte("l"), Lease: 1},              // rev 4, sees the grant
		{Kind: OpCreate, Key: "/m", Value: []byte("m"), Lease: 5},              // lease not found
		{Kind: OpRevoke, Lease: 1},                                             // deletes /l at rev 5
		{Kind: OpRevoke, Lease: 1},                                             // lease not found
		{Kind: OpDelete, Key: "/b", ModRevision: 2},                            // rev 6
		{Kind: OpCreate, Key: "/b", Value: []byte("again")},                    // rev 7
		{Kind: OpCreate, Key: "/x", Value: make([]byte, store.MaxValueSize+1)}, // too large
	}
	want := []struct {
		err error
		rev int64
	}{
		{store.ErrExists, 0}, {nil, 2}, {store.ErrConflict, 0}, {nil, 3}, {store.ErrNotFound, 0},
		{store.ErrInvalid, 0}, {store.ErrInvalid, 0}, {store.ErrInvalid, 0}, {nil, 0}, {nil, 4},
		{store.ErrLeaseNotFound, 0}, {nil, 0}, {store.ErrLeaseNotFound, 0}, {nil, 6}, {nil, 7},
		{store.ErrTooLarge, 0},
	}
	res, err := e.Apply(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		t.Run(fmt.Sprintf("op%d-%v", i, ops[i].Kind), func(t *testing.T) {
			if w.err == nil && res[i].Err != nil || w.err != nil && !errors.Is(res[i].Err, w.err) {
				t.Fatalf("err %v, want %v", res[i].Err, w.err)
			}
			if res[i].Revision != w.rev {
				t.Fatalf("revision %d, want %d", res[i].Revision, w.rev)
			}
		})
	}
	if res[8].Lease != 1 {
		t.Fatalf("granted lease %d, want 1", res[8].Lease)
	}
	if res[13].Prev == nil || string(res[13].Prev.Value) != "2" {
		t.Fatalf("delete prev %+v", res[13].Prev)
	}
	if rev, _, _ := e.Revision(ctx); rev != 7 {
		t.Fatalf("revision %d, want 7", rev)
	}
	if _, err := e.Get(ctx, "/l", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("leased key after revoke: %v", err)
	}
	if st := e.Stats(); st.Commits != 2 {
		t.Fatalf("%d commits, want 2 (the create, then the whole batch)", st.Commits)
	}
}

func TestApplyWholeBatchErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(*Engine) context.Context
		ops   []Op
		want  error
	}{
		{"unknown kind", func(*Engine) context.Context { return ctx }, []Op{{Kind: OpCreate, Key: "/a", Value: []byte("1")}, {Kind: 99}}, store.ErrInvalid},
		{"closed", func(e *Engine) context.Context { e.Close(); return ctx }, []Op{{Kind: OpCreate, Key: "/a", Value: []byte("1")}}, store.ErrClosed},
		{"cancelled", func(*Engine) context.Context {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return c
		}, []Op{{Kind: OpCreate, Key: "/a", Value: []byte("1")}}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, Options{})
			res, err := e.Apply(tc.setup(e), tc.ops)
			if !errors.Is(err, tc.want) || res != nil {
				t.Fatalf("got %v, %v; want %v", res, err, tc.want)
			}
			if tc.name == "unknown kind" {
				if rev, _, _ := e.Revision(ctx); rev != 0 {
					t.Fatalf("revision %d after a refused batch", rev)
				}
			}
		})
	}
}

func TestApplyEmpty(t *testing.T) {
	e := newTestEngine(t, Options{})
	res, err := e.Apply(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("got %v, %v", res, err)
	}
	if st := e.Stats(); st.Commits != 0 {
		t.Fatalf("%d commits for an empty batch", st.Commits)
	}
}
