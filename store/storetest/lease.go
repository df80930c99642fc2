package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// grant grants a lease and revokes it when the subtest ends (before the
// factory's Close), so that no lease outlives its subtest.
func grant(t testing.TB, st store.Store, ttl time.Duration) store.LeaseID {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	id, err := st.Grant(ctx, ttl)
	if err != nil {
		t.Fatalf("Grant(%v): %v", ttl, err)
	}
	if id == 0 {
		t.Fatalf("Grant(%v) returned the zero LeaseID", ttl)
	}
	t.Cleanup(func() {
		ctx, cancel := opCtx()
		defer cancel()
		_ = st.Revoke(ctx, id)
	})
	return id
}

func createWithLease(t testing.TB, st store.Store, key, value string, id store.LeaseID) *store.KeyValue {
	t.Helper()
	ctx, cancel := opCtx()
	defer cancel()
	kv, err := st.Create(ctx, key, []byte(value), id)
	if err != nil {
		t.Fatalf("Create(%q, lease %d): %v", key, id, err)
	}
	if kv.Lease != id {
		t.Fatalf("Create(%q, lease %d) returned lease %d", key, id, kv.Lease)
	}
	return kv
}

func (s *suite) testLeaseGrant(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	for _, tc := range []struct {
		ttl, want time.Duration
	}{
		{time.Second, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{2 * time.Second, 2 * time.Second},
		{10*time.Second + time.Nanosecond, 11 * time.Second},
	} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			id := grant(t, st, tc.ttl)
			got, err := st.KeepAlive(ctx, id)
			if err != nil {
				t.Fatalf("KeepAlive: %v", err)
			}
			// etcd raises TTLs below its minimum (2 s with default
			// timing); above it, TTLs are exact there too.
			if got != tc.want && !(s.opts.Etcd && tc.want < 3*time.Second && got > tc.want && got <= 3*time.Second) {
				t.Fatalf("Grant(%v): KeepAlive reports a TTL of %v, want %v", tc.ttl, got, tc.want)
			}
		})
	}
	a, b := grant(t, st, time.Minute), grant(t, st, time.Minute)
	if a == b {
		t.Fatalf("two Grants returned the same lease %d", a)
	}
}

// waitDeletes reads n DELETE events from w and returns them.
func waitDeletes(t testing.TB, w store.Watcher, n int, d time.Duration) []store.Event {
	t.Helper()
	var evs []store.Event
	for len(evs) < n {
		ev := nextEvent(t, w, d)
		if ev.Type != store.EventDelete {
			t.Fatalf("want a DELETE event, got %s", fmtEvent(ev))
		}
		evs = append(evs, ev)
	}
	return evs
}

// checkLeaseDeletes checks the DELETE events of a lease's keys against the
// keys' last values, and returns the highest revision.
func (s *suite) checkLeaseDeletes(t testing.TB, evs []store.Event, prevs ...*store.KeyValue) int64 {
	t.Helper()
	slices.SortFunc(evs, func(a, b store.Event) int {
		if a.Revision != b.Revision {
			return int(a.Revision - b.Revision)
		}
		return compareStrings(a.KV.Key, b.KV.Key)
	})
	byKey := map[string]*store.KeyValue{}
	for _, p := range prevs {
		byKey[p.Key] = p
	}
	for i, ev := range evs {
		prev, ok := byKey[ev.KV.Key]
		if !ok {
			t.Fatalf("DELETE event for %q, which is not a key of the lease", ev.KV.Key)
		}
		delete(byKey, ev.KV.Key)
		checkEvent(t, "lease DELETE event", ev, deleteEvent(prev.Key, ev.Revision, prev))
		if i > 0 {
			step := ev.Revision - evs[i-1].Revision
			if step != 1 && !(s.opts.Etcd && step == 0) {
				t.Fatalf("lease deletes at revisions %d and %d: want one revision each, consecutive", evs[i-1].Revision, ev.Revision)
			}
		}
	}
	return evs[len(evs)-1].Revision
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *suite) testLeaseExpiry(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	w := mustWatch(t, st, "l/", store.WatchOptions{})
	start := time.Now()
	id := grant(t, st, time.Second)
	k1 := createWithLease(t, st, "l/1", "v", id)
	k2 := createWithLease(t, st, "l/2", "v", id)
	free := mustCreate(t, st, "l/free", "v")
	u1 := mustUpdate(t, st, "l/1", "v2", k1.ModRevision)
	if u1.Lease != id {
		t.Fatalf("Update dropped the key's lease: %s", fmtKV(u1))
	}
	if got := mustGet(t, st, "l/1", 0); got.Lease != id {
		t.Fatalf("Get of a leased key: %s, want lease %d", fmtKV(got), id)
	}
	for _, want := range []store.Event{putEvent(k1, nil), putEvent(k2, nil), putEvent(free, nil), putEvent(u1, k1)} {
		checkEvent(t, "write before expiry", nextEvent(t, w, eventWait), want)
	}
	evs := waitDeletes(t, w, 2, 15*time.Second)
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("lease of 1s expired after %v", elapsed)
	}
	last := s.checkLeaseDeletes(t, evs, u1, k2)
	for _, k := range []string{"l/1", "l/2"} {
		_, err := st.Get(ctx, k, store.GetOptions{})
		wantErr(t, "Get of an expired lease's key", err, store.ErrNotFound)
	}
	checkKV(t, "key without the lease", mustGet(t, st, "l/free", 0), *free)
	if cur := currentRev(t, st); cur != last {
		t.Fatalf("Revision after expiry = %d, want the last delete's %d", cur, last)
	}
	_, err := st.KeepAlive(ctx, id)
	wantErr(t, "KeepAlive of an expired lease", err, store.ErrLeaseNotFound)
	_, err = st.Create(ctx, "l/3", []byte("v"), id)
	wantErr(t, "Create with an expired lease", err, store.ErrLeaseNotFound)
	err = st.Revoke(ctx, id)
	wantErr(t, "Revoke of an expired lease", err, store.ErrLeaseNotFound)
	noEvent(t, w, 50*time.Millisecond)
}

func (s *suite) testLeaseKeepAlive(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	id := grant(t, st, time.Second)
	ttl, err := st.KeepAlive(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	createWithLease(t, st, "k", "v", id)
	// Renew at an eighth of the TTL (a wide margin on a loaded machine)
	// for one and a half TTLs: the key outlives its TTL.
	deadline := time.Now().Add(ttl + ttl/2)
	for time.Now().Before(deadline) {
		if _, err := st.KeepAlive(ctx, id); err != nil {
			t.Fatalf("KeepAlive: %v", err)
		}
		if _, err := st.Get(ctx, "k", store.GetOptions{}); err != nil {
			t.Fatalf("key of a kept-alive lease: %v", err)
		}
		time.Sleep(ttl / 8)
	}
	// Left alone, it expires.
	eventually(t, ttl+10*time.Second, "key of a lease no longer kept alive is deleted", func() bool {
		_, err := st.Get(ctx, "k", store.GetOptions{})
		return errors.Is(err, store.ErrNotFound)
	})
}

func (s *suite) testLeaseRevoke(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	id := grant(t, st, time.Minute)
	other := grant(t, st, time.Minute)
	k1 := createWithLease(t, st, "r/1", "v", id)
	k2 := createWithLease(t, st, "r/2", "v", id)
	k3 := createWithLease(t, st, "r/3", "v", other)
	before := currentRev(t, st)
	w := mustWatch(t, st, "r/", store.WatchOptions{})
	if err := st.Revoke(ctx, id); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	for _, k := range []string{"r/1", "r/2"} {
		_, err := st.Get(ctx, k, store.GetOptions{})
		wantErr(t, "Get right after Revoke", err, store.ErrNotFound)
	}
	checkKV(t, "key of another lease", mustGet(t, st, "r/3", 0), *k3)
	last := s.checkLeaseDeletes(t, waitDeletes(t, w, 2, eventWait), k1, k2)
	wantLast := before + 2
	if s.opts.Etcd {
		wantLast = before + 1
	}
	if last != wantLast {
		t.Fatalf("revoke's deletes end at revision %d, want %d", last, wantLast)
	}
	err := st.Revoke(ctx, id)
	wantErr(t, "second Revoke", err, store.ErrLeaseNotFound)
	_, err = st.KeepAlive(ctx, id)
	wantErr(t, "KeepAlive of a revoked lease", err, store.ErrLeaseNotFound)
	noEvent(t, w, 50*time.Millisecond)
}

func (s *suite) testLeaseUnknown(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	const unknown = store.LeaseID(0x7eadbeef)
	_, err := st.Create(ctx, "k", []byte("v"), unknown)
	wantErr(t, "Create with an unknown lease", err, store.ErrLeaseNotFound)
	_, err = st.Get(ctx, "k", store.GetOptions{})
	wantErr(t, "Get after a Create with an unknown lease", err, store.ErrNotFound)
	_, err = st.KeepAlive(ctx, unknown)
	wantErr(t, "KeepAlive of an unknown lease", err, store.ErrLeaseNotFound)
	err = st.Revoke(ctx, unknown)
	wantErr(t, "Revoke of an unknown lease", err, store.ErrLeaseNotFound)
	if cur := currentRev(t, st); cur != base {
		t.Fatalf("failed lease calls moved the revision to %d, want %d", cur, base)
	}
}

func (s *suite) testCancelledContext(t *testing.T) {
	st, base := s.open(t)
	kv := mustCreate(t, st, "k", "v")
	id := grant(t, st, time.Minute)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	v := []byte("v2")
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		ctx := c.ctx
		calls := []struct {
			name string
			call func() error
		}{
			{"Get", func() error { _, err := st.Get(ctx, "k", store.GetOptions{}); return err }},
			{"List", func() error { _, err := st.List(ctx, "", store.ListOptions{}); return err }},
			{"Create", func() error { _, err := st.Create(ctx, "new", v, 0); return err }},
			{"Update", func() error { _, err := st.Update(ctx, "k", v, 0); return err }},
			{"Delete", func() error { _, _, err := st.Delete(ctx, "k", 0); return err }},
			{"Compact", func() error { return st.Compact(ctx, base+1) }},
			{"Revision", func() error { _, _, err := st.Revision(ctx); return err }},
			{"Grant", func() error { _, err := st.Grant(ctx, time.Minute); return err }},
			{"KeepAlive", func() error { _, err := st.KeepAlive(ctx, id); return err }},
			{"Revoke", func() error { return st.Revoke(ctx, id) }},
		}
		for _, call := range calls {
			t.Run(fmt.Sprintf("%s/%v", call.name, c.want), func(t *testing.T) {
				done := make(chan error, 1)
				go func() { done <- call.call() }()
				select {
				case err := <-done:
					wantErr(t, call.name+" with a done context", err, c.want)
				case <-time.After(5 * time.Second):
					t.Fatalf("%s with a done context still running after 5s", call.name)
				}
			})
		}
		t.Run(fmt.Sprintf("Watch/%v", c.want), func(t *testing.T) {
			// Either form is prompt: an error now, or a watch that ends
			// at once with a nil Err (a done context ends a watch cleanly).
			w, err := st.Watch(ctx, "", store.WatchOptions{})
			if err != nil {
				wantErr(t, "Watch with a done context", err, c.want)
				return
			}
			defer w.Close()
			if _, err := waitEnd(t, w, 5*time.Second); err != nil {
				t.Fatalf("Err of a watch with a done context = %v, want nil", err)
			}
		})
	}
	checkKV(t, "key after calls with done contexts", mustGet(t, st, "k", 0), *kv)
	if cur := currentRev(t, st); cur != base+1 {
		t.Fatalf("calls with done contexts moved the revision to %d, want %d", cur, base+1)
	}
	if _, err := st.KeepAlive(context.Background(), id); err != nil {
		t.Fatalf("lease after calls with done contexts: %v", err)
	}
}
