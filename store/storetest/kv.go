package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

func (s *suite) testFreshStore(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	_, compacted, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if compacted < 0 || compacted > base {
		t.Fatalf("fresh store: compacted = %d, want 0..%d", compacted, base)
	}
	if !s.opts.Etcd && compacted != 0 {
		t.Fatalf("fresh store: compacted = %d, want 0", compacted)
	}
	res := mustList(t, st, "", store.ListOptions{})
	if len(res.KVs) != 0 || res.Continue != "" || res.Remaining != 0 {
		t.Fatalf("fresh store lists %v (continue %q, remaining %d), want nothing", keys(res.KVs), res.Continue, res.Remaining)
	}
	if res.Revision != base {
		t.Fatalf("List of a fresh store at revision %d, want %d", res.Revision, base)
	}
	kv := mustCreate(t, st, "first", "1")
	if kv.ModRevision != base+1 {
		t.Fatalf("first write at revision %d, want %d", kv.ModRevision, base+1)
	}
}

func (s *suite) testCreateGet(t *testing.T) {
	st, base := s.open(t)
	a := mustCreate(t, st, "a", "va")
	checkKV(t, "Create(a)", a, store.KeyValue{Key: "a", Value: []byte("va"), CreateRevision: base + 1, ModRevision: base + 1, Version: 1})
	checkKV(t, "Get(a)", mustGet(t, st, "a", 0), *a)
	b := mustCreate(t, st, "b/with/slashes", "vb")
	checkKV(t, "Create(b)", b, store.KeyValue{Key: "b/with/slashes", Value: []byte("vb"), CreateRevision: base + 2, ModRevision: base + 2, Version: 1})
	checkKV(t, "Get(b)", mustGet(t, st, "b/with/slashes", 0), *b)
	checkKV(t, "Get(a) after another write", mustGet(t, st, "a", 0), *a)
	if cur := currentRev(t, st); cur != base+2 {
		t.Fatalf("Revision after two creates = %d, want %d", cur, base+2)
	}
	// The returned value must not alias the caller's slice.
	buf := []byte("original")
	c, err := st.Create(testCtx(t), "c", buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXX")
	if got := mustGet(t, st, "c", 0); string(got.Value) != "original" || c.ModRevision != base+3 {
		t.Fatalf("Get(c) after the caller reused its buffer = %s, want value \"original\" at %d", fmtKV(got), base+3)
	}
}

func (s *suite) testCreateExisting(t *testing.T) {
	st, base := s.open(t)
	a := mustCreate(t, st, "a", "v1")
	_, err := st.Create(testCtx(t), "a", []byte("v2"), 0)
	wantErr(t, "Create of an existing key", err, store.ErrExists)
	checkKV(t, "Get after failed Create", mustGet(t, st, "a", 0), *a)
	if cur := currentRev(t, st); cur != base+1 {
		t.Fatalf("a failed Create moved the revision to %d, want %d", cur, base+1)
	}
}

func (s *suite) testGetMissing(t *testing.T) {
	st, _ := s.open(t)
	_, err := st.Get(testCtx(t), "missing", store.GetOptions{})
	wantErr(t, "Get of a missing key", err, store.ErrNotFound)
	mustCreate(t, st, "present", "v")
	_, err = st.Get(testCtx(t), "pres", store.GetOptions{})
	wantErr(t, "Get of a prefix of a key", err, store.ErrNotFound)
	_, err = st.Get(testCtx(t), "present/", store.GetOptions{})
	wantErr(t, "Get of a key's extension", err, store.ErrNotFound)
}

func (s *suite) testUpdate(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	a := mustCreate(t, st, "a", "v1")
	u1 := mustUpdate(t, st, "a", "v2", a.ModRevision)
	checkKV(t, "guarded Update", u1, store.KeyValue{Key: "a", Value: []byte("v2"), CreateRevision: base + 1, ModRevision: base + 2, Version: 2})
	checkKV(t, "Get after Update", mustGet(t, st, "a", 0), *u1)

	// A stale modRevision conflicts and changes nothing.
	_, err := st.Update(ctx, "a", []byte("stale"), a.ModRevision)
	wantErr(t, "Update with a stale modRevision", err, store.ErrConflict)
	_, err = st.Update(ctx, "a", []byte("future"), u1.ModRevision+100)
	wantErr(t, "Update with a modRevision from the future", err, store.ErrConflict)
	checkKV(t, "Get after conflicts", mustGet(t, st, "a", 0), *u1)
	if cur := currentRev(t, st); cur != base+2 {
		t.Fatalf("failed Updates moved the revision to %d, want %d", cur, base+2)
	}

	// modRevision 0 is unconditional.
	u2 := mustUpdate(t, st, "a", "v3", 0)
	checkKV(t, "unconditional Update", u2, store.KeyValue{Key: "a", Value: []byte("v3"), CreateRevision: base + 1, ModRevision: base + 3, Version: 3})

	// Another key's write does not disturb a's guard.
	mustCreate(t, st, "b", "x")
	u3 := mustUpdate(t, st, "a", "v4", u2.ModRevision)
	checkKV(t, "guarded Update after another key's write", u3, store.KeyValue{Key: "a", Value: []byte("v4"), CreateRevision: base + 1, ModRevision: base + 5, Version: 4})
}

func (s *suite) testUpdateMissing(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	_, err := st.Update(ctx, "missing", []byte("v"), 0)
	wantErr(t, "unconditional Update of a missing key", err, store.ErrNotFound)
	_, err = st.Update(ctx, "missing", []byte("v"), 1)
	wantErr(t, "guarded Update of a missing key", err, store.ErrNotFound)
	_, _, err = st.Delete(ctx, "missing", 0)
	wantErr(t, "unconditional Delete of a missing key", err, store.ErrNotFound)
	_, _, err = st.Delete(ctx, "missing", 1)
	wantErr(t, "guarded Delete of a missing key", err, store.ErrNotFound)
	if _, err := st.Get(ctx, "missing", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of a missing key created it: Get err = %v", err)
	}
	if cur := currentRev(t, st); cur != base {
		t.Fatalf("failed writes moved the revision to %d, want %d", cur, base)
	}
}

func (s *suite) testDelete(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	a := mustCreate(t, st, "a", "v1")
	u := mustUpdate(t, st, "a", "v2", 0)

	_, _, err := st.Delete(ctx, "a", a.ModRevision)
	wantErr(t, "Delete with a stale modRevision", err, store.ErrConflict)
	checkKV(t, "Get after a failed Delete", mustGet(t, st, "a", 0), *u)

	prev, rev, err := st.Delete(ctx, "a", u.ModRevision)
	if err != nil {
		t.Fatalf("guarded Delete: %v", err)
	}
	if rev != base+3 {
		t.Fatalf("Delete at revision %d, want %d", rev, base+3)
	}
	checkKV(t, "Delete's previous value", prev, *u)
	_, err = st.Get(ctx, "a", store.GetOptions{})
	wantErr(t, "Get after Delete", err, store.ErrNotFound)
	_, _, err = st.Delete(ctx, "a", 0)
	wantErr(t, "second Delete", err, store.ErrNotFound)
	_, err = st.Update(ctx, "a", []byte("v"), u.ModRevision)
	wantErr(t, "Update of a deleted key", err, store.ErrNotFound)

	b := mustCreate(t, st, "b", "vb")
	prev, rev, err = st.Delete(ctx, "b", 0)
	if err != nil {
		t.Fatalf("unconditional Delete: %v", err)
	}
	if rev != base+5 {
		t.Fatalf("unconditional Delete at revision %d, want %d", rev, base+5)
	}
	checkKV(t, "unconditional Delete's previous value", prev, *b)
	if cur := currentRev(t, st); cur != base+5 {
		t.Fatalf("Revision = %d, want %d", cur, base+5)
	}
}

func (s *suite) testRecreate(t *testing.T) {
	st, base := s.open(t)
	mustCreate(t, st, "a", "v1")
	mustUpdate(t, st, "a", "v2", 0)
	if _, _, err := st.Delete(testCtx(t), "a", 0); err != nil {
		t.Fatal(err)
	}
	again := mustCreate(t, st, "a", "new")
	checkKV(t, "recreated key", again, store.KeyValue{Key: "a", Value: []byte("new"), CreateRevision: base + 4, ModRevision: base + 4, Version: 1})
	checkKV(t, "Get of the recreated key", mustGet(t, st, "a", 0), *again)
	u := mustUpdate(t, st, "a", "newer", again.ModRevision)
	checkKV(t, "update of the recreated key", u, store.KeyValue{Key: "a", Value: []byte("newer"), CreateRevision: base + 4, ModRevision: base + 5, Version: 2})
}

func (s *suite) testBadInput(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	existing := mustCreate(t, st, "ok", "v")
	// A valid continue token of another prefix.
	for _, k := range []string{"x/1", "x/2"} {
		mustCreate(t, st, k, "v")
	}
	page := mustList(t, st, "x/", store.ListOptions{Limit: 1})
	if page.Continue == "" {
		t.Fatal("List(x/, limit 1) of two keys returned no continue token")
	}
	after := base + 3
	long := strings.Repeat("k", store.MaxKeySize+1)
	big := make([]byte, store.MaxValueSize+1)
	v := []byte("v")
	cases := []struct {
		name string
		want error
		call func() error
	}{
		{"Create empty key", store.ErrInvalid, func() error { _, err := st.Create(ctx, "", v, 0); return err }},
		{"Create key over MaxKeySize", store.ErrTooLarge, func() error { _, err := st.Create(ctx, long, v, 0); return err }},
		{"Create key not UTF-8", store.ErrInvalid, func() error { _, err := st.Create(ctx, "bad\xff", v, 0); return err }},
		{"Create empty value", store.ErrInvalid, func() error { _, err := st.Create(ctx, "new", nil, 0); return err }},
		{"Create value over MaxValueSize", store.ErrTooLarge, func() error { _, err := st.Create(ctx, "new", big, 0); return err }},
		{"Update empty key", store.ErrInvalid, func() error { _, err := st.Update(ctx, "", v, 0); return err }},
		{"Update empty value", store.ErrInvalid, func() error { _, err := st.Update(ctx, "ok", []byte{}, 0); return err }},
		{"Update value over MaxValueSize", store.ErrTooLarge, func() error { _, err := st.Update(ctx, "ok", big, 0); return err }},
		{"Update negative modRevision", store.ErrInvalid, func() error { _, err := st.Update(ctx, "ok", v, -1); return err }},
		{"Delete empty key", store.ErrInvalid, func() error { _, _, err := st.Delete(ctx, "", 0); return err }},
		{"Delete key over MaxKeySize", store.ErrTooLarge, func() error { _, _, err := st.Delete(ctx, long, 0); return err }},
		{"Delete negative modRevision", store.ErrInvalid, func() error { _, _, err := st.Delete(ctx, "ok", -1); return err }},
		{"Get empty key", store.ErrInvalid, func() error { _, err := st.Get(ctx, "", store.GetOptions{}); return err }},
		{"Get negative revision", store.ErrInvalid, func() error { _, err := st.Get(ctx, "ok", store.GetOptions{Revision: -1}); return err }},
		{"List negative revision", store.ErrInvalid, func() error { _, err := st.List(ctx, "", store.ListOptions{Revision: -1}); return err }},
		{"List garbage continue", store.ErrInvalid, func() error { _, err := st.List(ctx, "x/", store.ListOptions{Continue: "%%not a token%%"}); return err }},
		{"List continue of another prefix", store.ErrInvalid, func() error {
			_, err := st.List(ctx, "y/", store.ListOptions{Continue: page.Continue, Limit: 1})
			return err
		}},
		{"Watch negative revision", store.ErrInvalid, func() error {
			w, err := st.Watch(ctx, "", store.WatchOptions{Revision: -5})
			if w != nil {
				w.Close()
			}
			return err
		}},
		{"Compact negative revision", store.ErrInvalid, func() error { return st.Compact(ctx, -1) }},
		{"Grant zero TTL", store.ErrInvalid, func() error { _, err := st.Grant(ctx, 0); return err }},
		{"Grant TTL under a second", store.ErrInvalid, func() error { _, err := st.Grant(ctx, 999*time.Millisecond); return err }},
		{"Grant negative TTL", store.ErrInvalid, func() error { _, err := st.Grant(ctx, -time.Second); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.call(), tc.want)
			if cur := currentRev(t, st); cur != after {
				t.Fatalf("%s moved the revision to %d, want %d", tc.name, cur, after)
			}
		})
	}
	checkKV(t, "key after bad writes", mustGet(t, st, "ok", 0), *existing)
	res := mustList(t, st, "", store.ListOptions{})
	if got := keys(res.KVs); !slices.Equal(got, []string{"ok", "x/1", "x/2"}) {
		t.Fatalf("keys after bad input = %q, want [ok x/1 x/2]", got)
	}
}

func (s *suite) testSizeLimits(t *testing.T) {
	st, base := s.open(t)
	key := strings.Repeat("k", store.MaxKeySize)
	kv := mustCreate(t, st, key, "v")
	if kv.ModRevision != base+1 || mustGet(t, st, key, 0).Key != key {
		t.Fatalf("key of exactly MaxKeySize bytes: %s", fmtKV(kv))
	}
	value := make([]byte, store.MaxValueSize)
	for i := range value {
		value[i] = byte(i)
	}
	ctx := testCtx(t)
	big, err := st.Create(ctx, "big", value, 0)
	if err != nil {
		t.Fatalf("Create of a value of exactly MaxValueSize bytes: %v", err)
	}
	if got := mustGet(t, st, "big", 0); string(got.Value) != string(value) || big.ModRevision != base+2 {
		t.Fatalf("value of MaxValueSize bytes read back wrong (%d bytes, mod %d)", len(got.Value), big.ModRevision)
	}
}

// testConcurrentCAS runs read-modify-CAS increment loops on one counter.
// Writers meet at a barrier between reading and writing, so that every
// round all of them try to CAS the same revision: exactly one must win.
func (s *suite) testConcurrentCAS(t *testing.T) {
	st, base := s.open(t)
	mustCreate(t, st, "counter", "0")
	const writers, rounds = 8, 25
	type win struct{ rev, value int64 }
	var mu sync.Mutex
	var wins []win
	read, wrote := newBarrier(writers), newBarrier(writers)
	err := runAll(writers, func(int) error {
		ctx, cancel := opCtx()
		defer cancel()
		var err error
		for range rounds {
			var kv *store.KeyValue
			if err == nil {
				kv, err = st.Get(ctx, "counter", store.GetOptions{})
			}
			read.wait() // everyone has read the same revision
			if err == nil {
				err = casIncrement(ctx, st, kv, func(upd *store.KeyValue, n int64) {
					mu.Lock()
					wins = append(wins, win{upd.ModRevision, n})
					mu.Unlock()
				})
			}
			wrote.wait() // everyone has tried
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(wins) != rounds {
		t.Fatalf("%d CASes succeeded in %d rounds of %d writers racing on one revision, want exactly one per round", len(wins), rounds, writers)
	}
	slices.SortFunc(wins, func(a, b win) int { return int(a.rev - b.rev) })
	for i, w := range wins {
		// Each winner read the value the previous winner wrote: no lost
		// update, and one revision per win.
		if w.rev != base+2+int64(i) || w.value != int64(i)+1 {
			t.Fatalf("win %d: revision %d value %d, want revision %d value %d", i, w.rev, w.value, base+2+int64(i), i+1)
		}
	}
	final := mustGet(t, st, "counter", 0)
	if string(final.Value) != strconv.Itoa(len(wins)) || final.Version != int64(len(wins))+1 {
		t.Fatalf("final counter %s, want value %d after %d successful CASes", fmtKV(final), len(wins), len(wins))
	}
}

// casIncrement tries once to write kv's value plus one, guarded by its
// ModRevision; a conflict is not an error.
func casIncrement(ctx context.Context, st store.Store, kv *store.KeyValue, won func(*store.KeyValue, int64)) error {
	n, err := strconv.ParseInt(string(kv.Value), 10, 64)
	if err != nil {
		return fmt.Errorf("counter holds %q", kv.Value)
	}
	upd, err := st.Update(ctx, "counter", []byte(strconv.FormatInt(n+1, 10)), kv.ModRevision)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil
	case err != nil:
		return fmt.Errorf("CAS: %w", err)
	}
	if upd.Version != kv.Version+1 || upd.CreateRevision != kv.CreateRevision || string(upd.Value) != strconv.FormatInt(n+1, 10) {
		return fmt.Errorf("CAS result %s after reading %s", fmtKV(upd), fmtKV(kv))
	}
	won(upd, n+1)
	return nil
}

// barrier lets n goroutines wait for each other, round after round.
type barrier struct {
	mu    sync.Mutex
	cond  *sync.Cond
	n     int
	count int
	round int
}

func newBarrier(n int) *barrier {
	b := &barrier{n: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *barrier) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	round := b.round
	b.count++
	if b.count == b.n {
		b.count = 0
		b.round++
		b.cond.Broadcast()
		return
	}
	for round == b.round {
		b.cond.Wait()
	}
}

// testConcurrentRevisions checks that concurrent writes get unique,
// contiguous revisions.
func (s *suite) testConcurrentRevisions(t *testing.T) {
	st, base := s.open(t)
	const writers, each = 8, 40
	revs := make([][]int64, writers)
	err := runAll(writers, func(w int) error {
		ctx, cancel := opCtx()
		defer cancel()
		for i := range each {
			key := fmt.Sprintf("w%d/%d", w, i)
			kv, err := st.Create(ctx, key, []byte("v"), 0)
			if err != nil {
				return err
			}
			revs[w] = append(revs[w], kv.ModRevision)
			if i%4 == 3 { // mix in updates and deletes
				u, err := st.Update(ctx, key, []byte("v2"), kv.ModRevision)
				if err != nil {
					return err
				}
				_, drev, err := st.Delete(ctx, key, u.ModRevision)
				if err != nil {
					return err
				}
				revs[w] = append(revs[w], u.ModRevision, drev)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []int64
	for w, rs := range revs {
		for i := 1; i < len(rs); i++ {
			if rs[i] <= rs[i-1] {
				t.Fatalf("writer %d: revision %d after %d: one writer's revisions must increase", w, rs[i], rs[i-1])
			}
		}
		all = append(all, rs...)
	}
	slices.Sort(all)
	for i, r := range all {
		if r != base+1+int64(i) {
			t.Fatalf("revisions of %d concurrent writes are not unique and contiguous from %d: position %d holds %d", len(all), base+1, i, r)
		}
	}
	if cur := currentRev(t, st); cur != base+int64(len(all)) {
		t.Fatalf("Revision = %d after %d writes, want %d", cur, len(all), base+int64(len(all)))
	}
}

func (s *suite) testPastRevisions(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	a1 := mustCreate(t, st, "a", "1")                    // base+1
	a2 := mustUpdate(t, st, "a", "2", a1.ModRevision)    // base+2
	b := mustCreate(t, st, "b", "b")                     // base+3
	if _, _, err := st.Delete(ctx, "a", 0); err != nil { // base+4
		t.Fatal(err)
	}
	a3 := mustCreate(t, st, "a", "3") // base+5
	checkKV(t, "Get(a) at its create", mustGet(t, st, "a", base+1), *a1)
	checkKV(t, "Get(a) at its update", mustGet(t, st, "a", base+2), *a2)
	checkKV(t, "Get(a) one write after its update", mustGet(t, st, "a", base+3), *a2)
	_, err := st.Get(ctx, "a", store.GetOptions{Revision: base + 4})
	wantErr(t, "Get(a) at its delete", err, store.ErrNotFound)
	checkKV(t, "Get(a) latest", mustGet(t, st, "a", 0), *a3)
	checkKV(t, "Get(a) at the current revision", mustGet(t, st, "a", base+5), *a3)
	_, err = st.Get(ctx, "b", store.GetOptions{Revision: base + 2})
	wantErr(t, "Get(b) before its create", err, store.ErrNotFound)

	want := map[int64][]store.KeyValue{
		base + 1: {*a1},
		base + 2: {*a2},
		base + 3: {*a2, *b},
		base + 4: {*b},
		base + 5: {*a3, *b},
	}
	for rev := base + 1; rev <= base+5; rev++ {
		res := mustList(t, st, "", store.ListOptions{Revision: rev})
		if res.Revision != rev {
			t.Fatalf("List at %d reports revision %d", rev, res.Revision)
		}
		if len(res.KVs) != len(want[rev]) {
			t.Fatalf("List at %d = %q, want %q", rev, keys(res.KVs), keys(want[rev]))
		}
		for i := range res.KVs {
			checkKV(t, fmt.Sprintf("List at %d, item %d", rev, i), &res.KVs[i], want[rev][i])
		}
	}
	if base > 0 {
		res := mustList(t, st, "", store.ListOptions{Revision: base})
		if len(res.KVs) != 0 {
			t.Fatalf("List at the fresh store's revision = %q, want nothing", keys(res.KVs))
		}
	}
	latest := mustList(t, st, "", store.ListOptions{})
	if latest.Revision != base+5 || !slices.Equal(keys(latest.KVs), []string{"a", "b"}) {
		t.Fatalf("latest List = %q at %d, want [a b] at %d", keys(latest.KVs), latest.Revision, base+5)
	}
}

func (s *suite) testFutureRevision(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	mustCreate(t, st, "a", "v")
	_, err := st.Get(ctx, "a", store.GetOptions{Revision: base + 2})
	wantErr(t, "Get at a future revision", err, store.ErrFutureRevision)
	_, err = st.List(ctx, "", store.ListOptions{Revision: base + 2})
	wantErr(t, "List at a future revision", err, store.ErrFutureRevision)
	err = st.Compact(ctx, base+2)
	wantErr(t, "Compact at a future revision", err, store.ErrFutureRevision)
	if _, compacted, err := st.Revision(ctx); err != nil || compacted > base {
		t.Fatalf("a failed Compact moved the compaction point to %d (err %v)", compacted, err)
	}
}

func (s *suite) testListPrefix(t *testing.T) {
	st, _ := s.open(t)
	all := []string{"a", "a/", "a/1", "a/2", "a/2/x", "a0", "ab", "b/1", "\u00e9t\u00e9/1"}
	for _, k := range slices.Backward(all) { // insertion order must not matter
		mustCreate(t, st, k, "v-"+k)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/", "a/1", "a/2", "a/2/x"}},
		{"a/2", []string{"a/2", "a/2/x"}},
		{"a", []string{"a", "a/", "a/1", "a/2", "a/2/x", "a0", "ab"}},
		{"b/", []string{"b/1"}},
		{"c", nil},
		{"a/3", nil},
		{"\u00e9", []string{"\u00e9t\u00e9/1"}},
		{"", all},
	} {
		t.Run(fmt.Sprintf("prefix=%q", tc.prefix), func(t *testing.T) {
			res := mustList(t, st, tc.prefix, store.ListOptions{})
			if got := keys(res.KVs); !slices.Equal(got, tc.want) {
				t.Fatalf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
			for _, kv := range res.KVs {
				if string(kv.Value) != "v-"+kv.Key {
					t.Fatalf("List(%q): %s has the wrong value", tc.prefix, fmtKV(&kv))
				}
			}
			if res.Continue != "" || res.Remaining != 0 {
				t.Fatalf("unlimited List(%q): continue %q remaining %d", tc.prefix, res.Continue, res.Remaining)
			}
		})
	}
}

// testListPagination checks Limit, Continue and Remaining without
// concurrent writes.
func (s *suite) testListPagination(t *testing.T) {
	st, base := s.open(t)
	const n = 10
	for i := range n {
		mustCreate(t, st, fmt.Sprintf("p/%02d", i), "v")
	}
	mustCreate(t, st, "q", "outside")
	for _, limit := range []int64{1, 3, 9, 10, 11} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []string
			opts := store.ListOptions{Limit: limit}
			for page := 0; ; page++ {
				if page > n {
					t.Fatal("pagination does not end")
				}
				res := mustList(t, st, "p/", opts)
				if int64(len(res.KVs)) > limit {
					t.Fatalf("page of %d keys with limit %d", len(res.KVs), limit)
				}
				got = append(got, keys(res.KVs)...)
				wantRemaining := int64(n - len(got))
				if res.Remaining != wantRemaining {
					t.Fatalf("page %d: Remaining = %d, want %d", page, res.Remaining, wantRemaining)
				}
				if res.Revision != base+n+1 {
					t.Fatalf("page %d read at %d, want %d", page, res.Revision, base+n+1)
				}
				if (res.Continue != "") != (wantRemaining > 0) {
					t.Fatalf("page %d: Continue %q with %d keys remaining", page, res.Continue, wantRemaining)
				}
				if res.Continue == "" {
					break
				}
				opts.Continue = res.Continue
			}
			var want []string
			for i := range n {
				want = append(want, fmt.Sprintf("p/%02d", i))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages = %q, want %q", got, want)
			}
		})
	}
}

// testContinueAnyToken resumes lists from tokens the caller builds with
// store.EncodeContinue, which every backend must accept.
func (s *suite) testContinueAnyToken(t *testing.T) {
	st, _ := s.open(t)
	ctx := testCtx(t)
	for i := range 10 {
		mustCreate(t, st, fmt.Sprintf("p/%02d", i), fmt.Sprintf("v%d", i))
	}
	pinned := currentRev(t, st)
	// Writes after the pinned revision must not show.
	mustUpdate(t, st, "p/06", "changed", 0)
	if _, _, err := st.Delete(ctx, "p/07", 0); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, "p/055", "new")
	for _, tc := range []struct {
		name     string
		resumeAt string
		limit    int64
		want     []string
		remain   int64
	}{
		{"at a key, inclusive", "p/05", 0, []string{"p/05", "p/06", "p/07", "p/08", "p/09"}, 0},
		{"just after a key", "p/05\x00", 0, []string{"p/06", "p/07", "p/08", "p/09"}, 0},
		{"between keys", "p/045", 2, []string{"p/05", "p/06"}, 3},
		{"past the last key", "p/99", 0, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustList(t, st, "p/", store.ListOptions{Continue: store.EncodeContinue(pinned, tc.resumeAt), Limit: tc.limit})
			if got := keys(res.KVs); !slices.Equal(got, tc.want) {
				t.Fatalf("List resumed at %q = %q, want %q", tc.resumeAt, got, tc.want)
			}
			for _, kv := range res.KVs {
				if want := "v" + strings.TrimPrefix(kv.Key, "p/0"); string(kv.Value) != want {
					t.Fatalf("List resumed at %q: %s, want the value %q of the pinned revision", tc.resumeAt, fmtKV(&kv), want)
				}
			}
			if res.Revision != pinned || res.Remaining != tc.remain || (res.Continue != "") != (tc.remain > 0) {
				t.Fatalf("List resumed at %q: revision %d remaining %d continue %q, want revision %d remaining %d",
					tc.resumeAt, res.Revision, res.Remaining, res.Continue, pinned, tc.remain)
			}
		})
	}
	_, err := st.List(ctx, "p/", store.ListOptions{Continue: store.EncodeContinue(pinned+100, "p/00")})
	wantErr(t, "List resumed at a future revision", err, store.ErrFutureRevision)
}

// testPaginationUnderWrites pages through 1,000 keys with limit 7 while
// another goroutine updates, deletes and creates keys under the prefix:
// the pages must be exactly the snapshot at the first page's revision.
func (s *suite) testPaginationUnderWrites(t *testing.T) {
	st, _ := s.open(t)
	const n = 1000
	snapshot := make(map[string]store.KeyValue, n)
	var mu sync.Mutex
	err := runAll(8, func(w int) error {
		ctx, cancel := opCtx()
		defer cancel()
		for i := w; i < n; i += 8 {
			key := fmt.Sprintf("p/%04d", i*2) // even: room for new odd keys in between
			kv, err := st.Create(ctx, key, []byte("v0-"+key), 0)
			if err != nil {
				return err
			}
			mu.Lock()
			snapshot[key] = *kv
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, "p", "not under p/")
	mustCreate(t, st, "p0", "not under p/")

	first := mustList(t, st, "p/", store.ListOptions{Limit: 7})
	pinned := first.Revision

	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	var writes int
	go func() {
		ctx, cancel := opCtx()
		defer cancel()
		for i := 0; i < 3000; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			var err error
			switch i % 3 {
			case 0:
				_, err = st.Update(ctx, fmt.Sprintf("p/%04d", (i*7)%n*2), []byte("changed"), 0)
			case 1:
				_, _, err = st.Delete(ctx, fmt.Sprintf("p/%04d", (i*13)%n*2), 0)
			case 2:
				_, err = st.Create(ctx, fmt.Sprintf("p/%04d", (i*11)%n*2+1), []byte("new"), 0)
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExists) {
				writerDone <- err
				return
			}
			writes++
		}
		writerDone <- nil
	}()

	got := slices.Clone(first.KVs)
	res := first
	remaining := int64(n)
	pages := 1
	for res.Continue != "" {
		remaining -= int64(len(res.KVs))
		if res.Remaining != remaining {
			t.Errorf("page %d: Remaining = %d, want %d", pages, res.Remaining, remaining)
		}
		res = mustList(t, st, "p/", store.ListOptions{Limit: 7, Continue: res.Continue})
		if res.Revision != pinned {
			t.Fatalf("page %d read at revision %d, want the first page's %d", pages, res.Revision, pinned)
		}
		if len(res.KVs) > 7 {
			t.Fatalf("page %d has %d keys, limit 7", pages, len(res.KVs))
		}
		got = append(got, res.KVs...)
		pages++
		if pages > n {
			t.Fatal("pagination does not end")
		}
	}
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatalf("concurrent writer: %v", err)
	}
	if res.Remaining != 0 {
		t.Fatalf("last page: Remaining = %d", res.Remaining)
	}
	if len(got) != n {
		t.Fatalf("pages hold %d keys, want the %d of the snapshot (%d concurrent writes)", len(got), n, writes)
	}
	for i, kv := range got {
		want, ok := snapshot[kv.Key]
		if !ok {
			t.Fatalf("pages hold %s, not in the snapshot", fmtKV(&kv))
		}
		checkKV(t, "paged key", &got[i], want)
		if i > 0 && got[i-1].Key >= kv.Key {
			t.Fatalf("pages out of order or duplicated: %q then %q", got[i-1].Key, kv.Key)
		}
	}
	t.Logf("%d pages pinned at %d while %d writes went on", pages, pinned, writes)
}

func (s *suite) testCompact(t *testing.T) {
	st, base := s.open(t)
	ctx := testCtx(t)
	keep := mustCreate(t, st, "keep", "old")                               // base+1, never rewritten
	gone := mustCreate(t, st, "gone", "x")                                 // base+2
	if _, _, err := st.Delete(ctx, "gone", gone.ModRevision); err != nil { // base+3
		t.Fatal(err)
	}
	k := mustCreate(t, st, "k", "v1") // base+4
	var tokenBefore string
	{
		mustCreate(t, st, "pg/1", "v") // base+5
		mustCreate(t, st, "pg/2", "v") // base+6
		res := mustList(t, st, "pg/", store.ListOptions{Limit: 1})
		tokenBefore = res.Continue
	}
	k2 := mustUpdate(t, st, "k", "v2", k.ModRevision)  // base+7
	k3 := mustUpdate(t, st, "k", "v3", k2.ModRevision) // base+8
	at := k3.ModRevision
	if err := st.Compact(ctx, at-1); err != nil { // keep base+7 on
		t.Fatalf("Compact(%d): %v", at-1, err)
	}
	cur, compacted, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur != at || compacted != at-2 {
		t.Fatalf("after Compact(%d): Revision = (%d, %d), want (%d, %d)", at-1, cur, compacted, at, at-2)
	}
	_, err = st.Get(ctx, "k", store.GetOptions{Revision: at - 2})
	wantErr(t, "Get below the compaction point", err, store.ErrCompacted)
	_, err = st.Get(ctx, "keep", store.GetOptions{Revision: base + 1})
	wantErr(t, "Get of an unchanged key below the compaction point", err, store.ErrCompacted)
	_, err = st.List(ctx, "", store.ListOptions{Revision: at - 2})
	wantErr(t, "List below the compaction point", err, store.ErrCompacted)
	_, err = st.List(ctx, "pg/", store.ListOptions{Limit: 1, Continue: tokenBefore})
	wantErr(t, "continue token pinned below the compaction point", err, store.ErrCompacted)

	// At and above the compaction point, history is intact.
	checkKV(t, "Get(k) at the compaction point", mustGet(t, st, "k", at-1), *k2)
	checkKV(t, "Get(keep) at the compaction point", mustGet(t, st, "keep", at-1), *keep)
	_, err = st.Get(ctx, "gone", store.GetOptions{Revision: at - 1})
	wantErr(t, "Get of a key deleted before the compaction point", err, store.ErrNotFound)
	checkKV(t, "latest k", mustGet(t, st, "k", 0), *k3)
	checkKV(t, "latest keep", mustGet(t, st, "keep", 0), *keep)
	res := mustList(t, st, "", store.ListOptions{})
	if got := keys(res.KVs); !slices.Equal(got, []string{"k", "keep", "pg/1", "pg/2"}) {
		t.Fatalf("keys after Compact = %q", got)
	}

	// Compacting at or below the point is a no-op.
	for _, rev := range []int64{0, 1, at - 2, at - 1} {
		if err := st.Compact(ctx, rev); err != nil {
			t.Fatalf("Compact(%d) at or below the compaction point: %v", rev, err)
		}
	}
	if _, c, _ := st.Revision(ctx); c != at-2 {
		t.Fatalf("no-op compactions moved the compaction point to %d, want %d", c, at-2)
	}
	err = st.Compact(ctx, at+1)
	wantErr(t, "Compact above the current revision", err, store.ErrFutureRevision)

	// Compacting at the current revision keeps the latest values.
	if err := st.Compact(ctx, at); err != nil {
		t.Fatal(err)
	}
	checkKV(t, "k after compacting everything", mustGet(t, st, "k", 0), *k3)
	checkKV(t, "keep after compacting everything", mustGet(t, st, "keep", at), *keep)
	// Writes go on after a compaction.
	k4 := mustUpdate(t, st, "k", "v4", k3.ModRevision)
	if k4.ModRevision != at+1 || k4.Version != 4 {
		t.Fatalf("write after Compact: %s", fmtKV(k4))
	}
}
