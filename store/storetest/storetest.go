package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// Options relax the suite for backends whose behaviour is fixed by an
// external system. The zero value checks the contract exactly.
type Options struct {
	// Etcd accepts two behaviours of an external etcd that the contract
	// does not allow: a fresh store whose revision is not 0, and the keys
	// of an expired or revoked lease deleted at one shared revision
	// (instead of one revision each). Lease TTLs may also be raised to
	// etcd's minimum.
	Etcd bool
}

// Run runs the whole conformance suite against the stores newStore makes,
// checking the contract exactly. newStore returns a fresh, empty store for
// one subtest and registers its cleanup (Close) with t; each subtest calls
// it once.
func Run(t *testing.T, newStore func(t testing.TB) store.Store) {
	RunOptions(t, newStore, Options{})
}

// RunOptions is Run with relaxations for a backend on an external system.
func RunOptions(t *testing.T, newStore func(t testing.TB) store.Store, opts Options) {
	s := &suite{newStore: newStore, opts: opts}
	for _, c := range s.cases() {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	newStore func(t testing.TB) store.Store
	opts     Options
}

type testCase struct {
	name string
	fn   func(t *testing.T)
}

func (s *suite) cases() []testCase {
	return []testCase{
		{"FreshStore", s.testFreshStore},
		{"CreateGet", s.testCreateGet},
		{"CreateExisting", s.testCreateExisting},
		{"GetMissing", s.testGetMissing},
		{"Update", s.testUpdate},
		{"UpdateMissing", s.testUpdateMissing},
		{"Delete", s.testDelete},
		{"RecreateAfterDelete", s.testRecreate},
		{"BadInput", s.testBadInput},
		{"SizeLimits", s.testSizeLimits},
		{"ConcurrentCAS", s.testConcurrentCAS},
		{"ConcurrentRevisions", s.testConcurrentRevisions},
		{"ReadAtPastRevision", s.testPastRevisions},
		{"FutureRevision", s.testFutureRevision},
		{"ListPrefixIsolation", s.testListPrefix},
		{"ListPagination", s.testListPagination},
		{"ListContinueAnyToken", s.testContinueAnyToken},
		{"ListPaginationUnderWrites", s.testPaginationUnderWrites},
		{"Compact", s.testCompact},
		{"WatchEvents", s.testWatchEvents},
		{"WatchPrefix", s.testWatchPrefix},
		{"WatchFromNow", s.testWatchFromNow},
		{"WatchReplayThenLive", s.testWatchReplay},
		{"WatchCompacted", s.testWatchCompacted},
		{"WatchSlowConsumer", s.testSlowWatcher},
		{"WatchMany", s.testManyWatchers},
		{"WatchCancelContext", s.testWatchCancel},
		{"WatcherCloseIdempotent", s.testWatcherClose},
		{"WatchProgress", s.testWatchProgress},
		{"CloseStore", s.testCloseStore},
		{"LeaseGrant", s.testLeaseGrant},
		{"LeaseExpiry", s.testLeaseExpiry},
		{"LeaseKeepAlive", s.testLeaseKeepAlive},
		{"LeaseRevoke", s.testLeaseRevoke},
		{"LeaseUnknown", s.testLeaseUnknown},
		{"CancelledContext", s.testCancelledContext},
	}
}

// open returns a fresh store and the revision it stands at.
func (s *suite) open(t *testing.T) (store.Store, int64) {
	t.Helper()
	st := s.newStore(t)
	if st == nil {
		t.Fatal("factory returned a nil store")
	}
	cur, _, err := st.Revision(testCtx(t))
	if err != nil {
		t.Fatalf("Revision of a fresh store: %v", err)
	}
	if !s.opts.Etcd && cur != 0 {
		t.Fatalf("fresh store is at revision %d, want 0", cur)
	}
	return st, cur
}

// opTimeout bounds every single call the suite makes.
const opTimeout = 30 * time.Second

// testCtx returns a context bounding one subtest's calls.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// opCtx returns a context for one call.
func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want an error wrapping %v", what, err, target)
	}
}

func mustCreate(t testing.TB, s store.Store, key, value string) *store.KeyValue {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	kv, err := s.Create(ctx, key, []byte(value), 0)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	return kv
}

func mustUpdate(t testing.TB, s store.Store, key, value string, modRev int64) *store.KeyValue {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	kv, err := s.Update(ctx, key, []byte(value), modRev)
	if err != nil {
		t.Fatalf("Update(%q, %d): %v", key, modRev, err)
	}
	return kv
}

func mustGet(t testing.TB, s store.Store, key string, rev int64) *store.KeyValue {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	kv, err := s.Get(ctx, key, store.GetOptions{Revision: rev})
	if err != nil {
		t.Fatalf("Get(%q, rev %d): %v", key, rev, err)
	}
	return kv
}

func mustList(t testing.TB, s store.Store, prefix string, opts store.ListOptions) *store.ListResult {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	res, err := s.List(ctx, prefix, opts)
	if err != nil {
		t.Fatalf("List(%q, %+v): %v", prefix, opts, err)
	}
	return res
}

func currentRev(t testing.TB, s store.Store) int64 {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	cur, _, err := s.Revision(ctx)
	if err != nil {
		t.Fatalf("Revision: %v", err)
	}
	return cur
}

// checkKV compares every field of a KeyValue.
func checkKV(t testing.TB, what string, got *store.KeyValue, want store.KeyValue) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil KeyValue, want %s", what, fmtKV(&want))
	}
	if got.Key != want.Key || string(got.Value) != string(want.Value) ||
		got.CreateRevision != want.CreateRevision || got.ModRevision != want.ModRevision ||
		got.Version != want.Version || got.Lease != want.Lease {
		t.Fatalf("%s:\n got  %s\n want %s", what, fmtKV(got), fmtKV(&want))
	}
}

func fmtKV(kv *store.KeyValue) string {
	if kv == nil {
		return "<nil>"
	}
	v := string(kv.Value)
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Sprintf("{Key:%q Value:%q Create:%d Mod:%d Version:%d Lease:%d}",
		kv.Key, v, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)
}

// keys returns the keys of kvs.
func keys(kvs []store.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key
	}
	return out
}

// eventually polls cond every 10ms until it returns true or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runAll runs fn(i) for i in [0, n) concurrently and returns the first
// error.
func runAll(n int, fn func(i int) error) error {
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- fn(i) }()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
