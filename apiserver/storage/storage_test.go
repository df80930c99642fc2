package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// widget is a minimal object for these tests.
type widget struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            struct {
		Size int    `json:"size"`
		Tag  string `json:"tag,omitempty"`
	} `json:"spec"`
}

func (w *widget) DeepCopyObject() meta.Object {
	c := *w
	c.ObjectMeta.Labels = nil
	if w.Labels != nil {
		c.Labels = map[string]string{}
		for k, v := range w.Labels {
			c.Labels[k] = v
		}
	}
	return &c
}

var widgetGVK = meta.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}

type fixture struct {
	st  store.Store
	c   *Cacher
	res *Resource
}

func newFixture(t testing.TB, opts *Options) *fixture {
	t.Helper()
	st := memory.New(&memory.Options{ProgressInterval: 50 * time.Millisecond})
	t.Cleanup(func() { st.Close() })
	c := NewCacher(st, opts)
	res, err := c.Register(context.Background(), ResourceConfig{
		Prefix: "/registry/example.com/widgets/", GVK: widgetGVK,
		New: func() meta.Object { return &widget{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-c.Ready()
	return &fixture{st: st, c: c, res: res}
}

func key(ns, name string) string { return "/registry/example.com/widgets/" + ns + "/" + name }

func (f *fixture) create(t testing.TB, ns, name string, size int, labels map[string]string) *Entry {
	t.Helper()
	w := &widget{}
	w.Name, w.Namespace, w.Labels = name, ns, labels
	w.Spec.Size = size
	e, err := f.res.Create(context.Background(), key(ns, name), w, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCreateGetListConsistent(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	e := f.create(t, "a", "one", 1, nil)
	if obj(t, e).GetObjectMeta().ResourceVersion != strconv.FormatInt(e.ModRevision, 10) || e.ModRevision == 0 {
		t.Fatalf("created entry rv %q / %d", obj(t, e).GetObjectMeta().ResourceVersion, e.ModRevision)
	}
	// A consistent read right after the write must see it (read-your-writes).
	got, err := f.res.Get(ctx, key("a", "one"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.ModRevision != e.ModRevision || obj(t, got).GetTypeMeta().Kind != "Widget" {
		t.Fatalf("get = %+v", got)
	}
	f.create(t, "a", "two", 2, nil)
	f.create(t, "b", "three", 3, nil)
	res, err := f.res.List(ctx, "/registry/example.com/widgets/a/", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || obj(t, res.Items[0]).GetObjectMeta().Name != "one" || obj(t, res.Items[1]).GetObjectMeta().Name != "two" {
		t.Fatalf("namespace list = %d items", len(res.Items))
	}
	all, _ := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{})
	if len(all.Items) != 3 || all.Revision < e.ModRevision+2 {
		t.Fatalf("list all: %d items at rv %d", len(all.Items), all.Revision)
	}
	if _, err := f.res.Get(ctx, key("a", "missing"), ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := f.res.Create(ctx, key("a", "one"), &widget{ObjectMeta: meta.ObjectMeta{Name: "one"}}, CreateOptions{}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
}

func TestResourceVersionSemantics(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	e1 := f.create(t, "a", "x", 1, nil)
	if _, err := f.res.Update(ctx, key("a", "x"), func(o meta.Object) (meta.Object, error) {
		o.(*widget).Spec.Size = 2
		return o, nil
	}, false); err != nil {
		t.Fatal(err)
	}
	// Exact read at the first revision comes from the store's history.
	old, err := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{ResourceVersion: strconv.FormatInt(e1.ModRevision, 10), ResourceVersionMatch: MatchExact})
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Items) != 1 || obj(t, old.Items[0]).(*widget).Spec.Size != 1 || old.Revision != e1.ModRevision {
		t.Fatalf("exact list: %+v", old)
	}
	for _, tc := range []struct{ rv, match string }{
		{"abc", ""}, {"-1", ""}, {"", MatchExact}, {"0", MatchExact}, {"5", "Sometimes"},
	} {
		if _, err := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{ResourceVersion: tc.rv, ResourceVersionMatch: tc.match}); !errors.Is(err, ErrInvalid) {
			t.Errorf("rv=%q match=%q: %v, want ErrInvalid", tc.rv, tc.match, err)
		}
	}
	// A resourceVersion in the future times out (Kubernetes: 504).
	short := NewCacher(f.st, &Options{FreshnessTimeout: 50 * time.Millisecond})
	if _, err := short.Register(ctx, ResourceConfig{Prefix: "/registry/example.com/widgets/", New: func() meta.Object { return &widget{} }}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go short.Run(cctx)
	<-short.Ready()
	r := short.resources["/registry/example.com/widgets/"]
	if _, err := r.List(ctx, "/registry/example.com/widgets/", ListOptions{ResourceVersion: "999999"}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("future rv: %v", err)
	}
	// Compacted exact read: 410.
	cur, _, _ := f.st.Revision(ctx)
	if err := f.st.Compact(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{ResourceVersion: strconv.FormatInt(e1.ModRevision, 10), ResourceVersionMatch: MatchExact}); !errors.Is(err, ErrGone) {
		t.Fatalf("compacted exact: %v", err)
	}
}

func TestPaginationFilteredAndPinned(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for i := range 50 {
		f.create(t, "ns", fmt.Sprintf("w%02d", i), i, nil)
	}
	even := PredicateFunc(func(o meta.Object) bool { return o.(*widget).Spec.Size%2 == 0 })
	var names []string
	opts := ListOptions{Limit: 7, Predicate: even}
	var firstRV int64
	for page := 0; ; page++ {
		res, err := f.res.List(ctx, "/registry/example.com/widgets/", opts)
		if err != nil {
			t.Fatal(err)
		}
		if page == 0 {
			firstRV = res.Revision
			// Writes after the first page must not show up in later pages.
			f.create(t, "ns", "w99", 98, nil)
			if _, err := f.res.Delete(ctx, key("ns", "w48"), nil, false); err != nil {
				t.Fatal(err)
			}
		} else if res.Revision != firstRV {
			t.Fatalf("page %d at rv %d, want pinned %d", page, res.Revision, firstRV)
		}
		if len(res.Items) > 7 {
			t.Fatalf("page of %d items", len(res.Items))
		}
		for _, e := range res.Items {
			names = append(names, obj(t, e).GetObjectMeta().Name)
		}
		if res.Continue == "" {
			break
		}
		opts = ListOptions{Limit: 7, Continue: res.Continue, Predicate: even}
	}
	if len(names) != 25 || names[0] != "w00" || names[24] != "w48" {
		t.Fatalf("paged %d names %v", len(names), names)
	}
	if _, err := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{Continue: "garbage"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad continue: %v", err)
	}
	res, err := f.res.List(ctx, "/registry/example.com/widgets/", ListOptions{Limit: 10})
	if err != nil || res.Remaining == nil || *res.Remaining != 40 {
		t.Fatalf("remaining = %v, err %v", res.Remaining, err)
	}
}

func TestUpdateConcurrentCAS(t *testing.T) {
	f := newFixture(t, nil)
	f.create(t, "a", "counter", 0, nil)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := f.res.Update(context.Background(), key("a", "counter"), func(o meta.Object) (meta.Object, error) {
					o.(*widget).Spec.Size++
					return o, nil
				}, false); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	e, err := f.res.Get(context.Background(), key("a", "counter"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := obj(t, e).(*widget).Spec.Size; got != workers*each {
		t.Fatalf("counter = %d, want %d", got, workers*each)
	}
	// A no-op update writes nothing.
	before := e.ModRevision
	e2, err := f.res.Update(context.Background(), key("a", "counter"), func(o meta.Object) (meta.Object, error) { return o, nil }, false)
	if err != nil || e2.ModRevision != before {
		t.Fatalf("no-op update moved rv %d -> %d (%v)", before, e2.ModRevision, err)
	}
	// An update function's error aborts.
	boom := errors.New("boom")
	if _, err := f.res.Update(context.Background(), key("a", "counter"), func(meta.Object) (meta.Object, error) { return nil, boom }, false); !errors.Is(err, boom) {
		t.Fatalf("abort: %v", err)
	}
}

func next(t *testing.T, w *Watch) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("watch next: %v", err)
	}
	return ev
}

// obj returns e's object, failing the test if it cannot be decoded.
func obj(t *testing.T, e *Entry) meta.Object {
	t.Helper()
	if e == nil {
		t.Fatal("no entry")
	}
	o, err := e.Object()
	if err != nil {
		t.Fatalf("object of %s: %v", e.Key, err)
	}
	return o
}

func TestWatchResumeAndWindow(t *testing.T) {
	f := newFixture(t, &Options{EventWindow: 8})
	ctx := context.Background()
	e := f.create(t, "a", "w", 0, nil)
	for i := 1; i <= 5; i++ {
		f.res.Update(ctx, key("a", "w"), func(o meta.Object) (meta.Object, error) { o.(*widget).Spec.Size = i; return o, nil }, false)
	}
	// Resume after the create: exactly the five updates follow, in order.
	w, err := f.res.Watch(ctx, "/registry/example.com/widgets/", WatchOptions{ResourceVersion: strconv.FormatInt(e.ModRevision, 10)})
	if err != nil {
		t.Fatal(err)
	}
	last := e.ModRevision
	for i := 1; i <= 5; i++ {
		ev := next(t, w)
		if ev.Type != meta.Modified || obj(t, ev.Object).(*widget).Spec.Size != i || ev.Revision <= last {
			t.Fatalf("event %d: %s size %d rv %d", i, ev.Type, obj(t, ev.Object).(*widget).Spec.Size, ev.Revision)
		}
		last = ev.Revision
	}
	// Live events continue after the replay.
	f.res.Delete(ctx, key("a", "w"), nil, false)
	if ev := next(t, w); ev.Type != meta.Deleted || obj(t, ev.Object).(*widget).Spec.Size != 5 || obj(t, ev.Object).GetObjectMeta().ResourceVersion != strconv.FormatInt(ev.Revision, 10) {
		t.Fatalf("delete event %+v", ev)
	}
	// Push the create out of the 8-event window: resuming from it is 410.
	for i := range 10 {
		f.create(t, "a", fmt.Sprint("n", i), i, nil)
	}
	if _, err := f.c.waitConsistent(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.res.Watch(ctx, "/registry/example.com/widgets/", WatchOptions{ResourceVersion: strconv.FormatInt(e.ModRevision, 10)}); !errors.Is(err, ErrGone) {
		t.Fatalf("resume before window: %v", err)
	}
	// A watch that does not read while the window moves past it ends with 410.
	slow, err := f.res.Watch(ctx, "/registry/example.com/widgets/", WatchOptions{ResourceVersion: strconv.FormatInt(f.c.Revision(), 10)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		f.create(t, "b", fmt.Sprint("m", i), i, nil)
	}
	f.c.waitConsistent(ctx)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := slow.Next(cctx); !errors.Is(err, ErrGone) {
		t.Fatalf("slow watcher: %v", err)
	}
}

func TestWatchInitialStateAndPredicateTransitions(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.create(t, "a", "big", 10, nil)
	f.create(t, "a", "small", 1, nil)
	big := PredicateFunc(func(o meta.Object) bool { return o.(*widget).Spec.Size >= 5 })
	w, err := f.res.Watch(ctx, "/registry/example.com/widgets/a/", WatchOptions{Predicate: big})
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, w); ev.Type != meta.Added || obj(t, ev.Object).GetObjectMeta().Name != "big" {
		t.Fatalf("initial: %s %s", ev.Type, obj(t, ev.Object).GetObjectMeta().Name)
	}
	set := func(name string, size int) {
		if _, err := f.res.Update(ctx, key("a", name), func(o meta.Object) (meta.Object, error) { o.(*widget).Spec.Size = size; return o, nil }, false); err != nil {
			t.Fatal(err)
		}
	}
	set("small", 7) // enters the selection: Added
	if ev := next(t, w); ev.Type != meta.Added || obj(t, ev.Object).GetObjectMeta().Name != "small" {
		t.Fatalf("enter: %s %s", ev.Type, obj(t, ev.Object).GetObjectMeta().Name)
	}
	set("big", 2) // leaves it: Deleted
	if ev := next(t, w); ev.Type != meta.Deleted || obj(t, ev.Object).GetObjectMeta().Name != "big" {
		t.Fatalf("leave: %s %s", ev.Type, obj(t, ev.Object).GetObjectMeta().Name)
	}
	f.create(t, "other", "huge", 100, nil) // another namespace: not seen
	set("small", 8)
	if ev := next(t, w); ev.Type != meta.Modified || obj(t, ev.Object).GetObjectMeta().Name != "small" {
		t.Fatalf("modify: %s %s", ev.Type, obj(t, ev.Object).GetObjectMeta().Name)
	}
}

func TestWatchBookmarks(t *testing.T) {
	f := newFixture(t, &Options{BookmarkInterval: 50 * time.Millisecond})
	e := f.create(t, "a", "x", 1, nil)
	w, err := f.res.Watch(context.Background(), "/registry/example.com/widgets/", WatchOptions{ResourceVersion: strconv.FormatInt(e.ModRevision, 10), Bookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	// Writes elsewhere in the store advance the global revision.
	f.st.Create(context.Background(), "/registry/other/x", []byte("v"), 0)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ev := next(t, w)
		if ev.Type != meta.Bookmark {
			t.Fatalf("want bookmark, got %s", ev.Type)
		}
		if ev.Revision > e.ModRevision {
			return
		}
	}
	t.Fatal("bookmark never advanced past the other resource's write")
}

func TestRegisterWhileRunning(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.st.Create(ctx, "/registry/gadgets/ns/g1", []byte(`{"metadata":{"name":"g1","namespace":"ns"},"spec":{"size":4}}`), 0)
	r, err := f.c.Register(ctx, ResourceConfig{Prefix: "/registry/gadgets/", New: func() meta.Object { return &widget{} }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.List(ctx, "/registry/gadgets/", ListOptions{})
	if err != nil || len(res.Items) != 1 || obj(t, res.Items[0]).(*widget).Spec.Size != 4 {
		t.Fatalf("list after register: %+v %v", res, err)
	}
	for _, bad := range []string{"/registry/gadgets/x/", "/elsewhere/", "/registry/nope"} {
		if _, err := f.c.Register(ctx, ResourceConfig{Prefix: bad, New: func() meta.Object { return &widget{} }}); !errors.Is(err, ErrInvalid) {
			t.Errorf("register %q: %v", bad, err)
		}
	}
}

func TestCreateWithTTL(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	w := &widget{}
	w.Name = "ephemeral"
	if _, err := f.res.Create(ctx, key("a", "ephemeral"), w, CreateOptions{TTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	kv, err := f.st.Get(ctx, key("a", "ephemeral"), store.GetOptions{})
	if err != nil || kv.Lease == 0 {
		t.Fatalf("object must be attached to a lease: %+v %v", kv, err)
	}
	// A second TTL object within the minute shares the lease.
	w2 := &widget{}
	w2.Name = "ephemeral2"
	f.res.Create(ctx, key("a", "ephemeral2"), w2, CreateOptions{TTL: time.Second})
	kv2, _ := f.st.Get(ctx, key("a", "ephemeral2"), store.GetOptions{})
	if kv2 == nil || kv2.Lease != kv.Lease {
		t.Fatalf("lease not shared: %v vs %v", kv2, kv.Lease)
	}
}

// TestSharedEntriesStayUntouched checks that reads and writes which reuse
// the cache's entries (updates, deletes and store-paged lists of a version
// the cache holds) never change an entry that other readers share.
func TestSharedEntriesStayUntouched(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.create(t, "ns", "a", 1, map[string]string{"k": "v"})
	f.create(t, "ns", "b", 2, nil)
	cached := func(t *testing.T, name string) *Entry {
		t.Helper()
		e, err := f.res.Get(ctx, key("ns", name), "")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name string
		op   func(t *testing.T)
	}{
		{"update", func(t *testing.T) {
			_, err := f.res.Update(ctx, key("ns", "a"), func(cur meta.Object) (meta.Object, error) {
				cur.(*widget).Spec.Size = 10
				cur.GetObjectMeta().Labels["k"] = "changed"
				return cur, nil
			}, false)
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"update aborted", func(t *testing.T) {
			_, err := f.res.Update(ctx, key("ns", "a"), func(cur meta.Object) (meta.Object, error) {
				cur.(*widget).Spec.Size = 99
				return nil, errors.New("veto")
			}, false)
			if err == nil {
				t.Fatal("update not vetoed")
			}
		}},
		{"delete dry run", func(t *testing.T) {
			_, err := f.res.Delete(ctx, key("ns", "a"), func(cur meta.Object) error {
				cur.GetObjectMeta().Name = "mangled"
				return nil
			}, true)
			if err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := cached(t, "a")
			js := string(before.JSON)
			size, label := obj(t, before).(*widget).Spec.Size, obj(t, before).GetObjectMeta().Labels["k"]
			tc.op(t)
			if string(before.JSON) != js || obj(t, before).(*widget).Spec.Size != size ||
				obj(t, before).GetObjectMeta().Labels["k"] != label || obj(t, before).GetObjectMeta().Name != "a" {
				t.Fatalf("shared entry changed: %s, size %d, labels %v", before.JSON, obj(t, before).(*widget).Spec.Size, obj(t, before).GetObjectMeta().Labels)
			}
		})
	}
	// A paged read sees the latest version, and its entry is the cache's.
	if _, err := f.c.waitConsistent(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := f.res.List(ctx, key("ns", ""), ListOptions{Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("paged list: %v, %d items", err, len(page.Items))
	}
	if got := obj(t, page.Items[0]).(*widget).Spec.Size; got != 10 {
		t.Fatalf("paged list size = %d, want 10 (the update)", got)
	}
	if page.Items[0] != cached(t, "a") {
		t.Error("paged list decoded a version the cache holds")
	}
	// An update that changes nothing is not written.
	rv := cached(t, "a").ModRevision
	if _, err := f.res.Update(ctx, key("ns", "a"), func(cur meta.Object) (meta.Object, error) { return cur, nil }, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.waitConsistent(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cached(t, "a").ModRevision; got != rv {
		t.Errorf("no-op update wrote revision %d (was %d)", got, rv)
	}
}
