package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// fakeAPI serves pods from a map and scripted watch streams, so that tests
// control exactly which events an informer sees.
type fakeAPI struct {
	mu      sync.Mutex
	items   map[string]*core.Pod
	rv      int
	lists   int
	watches chan *fakeWatch
}

type fakeWatch struct {
	rv     string
	events chan []byte
}

func (w *fakeWatch) send(t testing.TB, typ meta.EventType, obj any) {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"type": typ, "object": json.RawMessage(raw)})
	w.events <- line
}

func (w *fakeWatch) gone(t testing.TB) {
	w.send(t, meta.Error, meta.Status{Status: "Failure", Code: http.StatusGone, Reason: meta.StatusReasonExpired, Message: "too old"})
}

func fakePod(name, uid string, rv int, lbls map[string]string) *core.Pod {
	return &core.Pod{TypeMeta: meta.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "ns", UID: uid, ResourceVersion: strconv.Itoa(rv), Labels: lbls}}
}

func (f *fakeAPI) set(p *core.Pod) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[p.Name] = p
	if n, _ := strconv.Atoi(p.ResourceVersion); n > f.rv {
		f.rv = n
	}
}

func (f *fakeAPI) del(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.items, name)
}

func (f *fakeAPI) listCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("watch") == "true" {
		fw := &fakeWatch{rv: r.URL.Query().Get("resourceVersion"), events: make(chan []byte, 16)}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case f.watches <- fw:
		case <-r.Context().Done():
			return
		}
		for {
			select {
			case line, ok := <-fw.events:
				if !ok {
					return // the server ends the stream
				}
				_, _ = w.Write(append(line, '\n'))
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}
	f.mu.Lock()
	f.lists++
	l := core.PodList{TypeMeta: meta.TypeMeta{Kind: "PodList", APIVersion: "v1"}, ListMeta: meta.ListMeta{ResourceVersion: strconv.Itoa(f.rv)}}
	for _, p := range f.items {
		l.Items = append(l.Items, *p)
	}
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(l)
}

func startFake(t testing.TB, initial ...*core.Pod) (*fakeAPI, *client.Client) {
	t.Helper()
	f := &fakeAPI{items: map[string]*core.Pod{}, watches: make(chan *fakeWatch, 4)}
	for _, p := range initial {
		f.set(p)
	}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// recorder logs handler calls as strings.
type recorder struct {
	mu  sync.Mutex
	log []string
	ch  chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1000)} }

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
	r.ch <- struct{}{}
}

func (r *recorder) OnAdd(p *core.Pod) { r.add("add " + p.Name + "@" + p.ResourceVersion) }
func (r *recorder) OnUpdate(o, p *core.Pod) {
	r.add("update " + p.Name + "@" + o.ResourceVersion + "->" + p.ResourceVersion)
}
func (r *recorder) OnDelete(p *core.Pod, unknown bool) {
	r.add(fmt.Sprintf("delete %s@%s unknown=%v", p.Name, p.ResourceVersion, unknown))
}

// expect waits for exactly want (in order) beyond what was seen before.
func (r *recorder) expect(t testing.TB, want ...string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		got := slices.Clone(r.log)
		r.mu.Unlock()
		if len(got) >= len(want) {
			slices.Sort(got[:len(want)])
			w := slices.Clone(want)
			slices.Sort(w)
			if !slices.Equal(got[:len(want)], w) || len(got) > len(want) {
				t.Fatalf("events %q, want %q", got, want)
			}
			r.mu.Lock()
			r.log = r.log[len(want):]
			r.mu.Unlock()
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("timed out: events %q, want %q", got, want)
		}
	}
}

// quiet checks that no event arrives for a short while.
func (r *recorder) quiet(t testing.TB) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.log) != 0 {
		t.Fatalf("unexpected events %q", r.log)
	}
}

func nextWatch(t testing.TB, f *fakeAPI) *fakeWatch {
	t.Helper()
	select {
	case w := <-f.watches:
		return w
	case <-time.After(5 * time.Second):
		t.Fatal("no watch opened")
		return nil
	}
}

func runInformer(t testing.TB, inf SharedInformer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = inf.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func TestInformerEdgeCases(t *testing.T) {
	f, c := startFake(t, fakePod("a", "ua", 1, map[string]string{"app": "web"}), fakePod("b", "ub", 2, nil))
	inf := NewInformer(client.MustFor[*core.Pod](c), InformerOptions{})
	rec := newRecorder()
	inf.AddEventHandler(rec)
	runInformer(t, inf)
	rec.expect(t, "add a@1", "add b@2")
	w := nextWatch(t, f)
	if w.rv != "2" || !inf.HasSynced() {
		t.Fatalf("watch from %q, synced %v", w.rv, inf.HasSynced())
	}

	t.Run("duplicated events are dropped", func(t *testing.T) {
		w.send(t, meta.Added, fakePod("c", "uc", 3, nil))
		w.send(t, meta.Added, fakePod("c", "uc", 3, nil))
		w.send(t, meta.Modified, fakePod("c", "uc", 3, nil))
		rec.expect(t, "add c@3")
		rec.quiet(t)
	})
	t.Run("stale update is dropped", func(t *testing.T) {
		w.send(t, meta.Modified, fakePod("a", "ua", 4, map[string]string{"app": "web"}))
		w.send(t, meta.Modified, fakePod("a", "ua", 2, nil))
		w.send(t, meta.Modified, fakePod("c", "uc", 5, nil))
		rec.expect(t, "update a@1->4", "update c@3->5")
		rec.quiet(t)
		if got, _ := inf.Get("ns", "a"); got.ResourceVersion != "4" {
			t.Fatalf("cache holds a@%s", got.ResourceVersion)
		}
	})
	t.Run("watch closed resumes from last resourceVersion", func(t *testing.T) {
		close(w.events)
		w = nextWatch(t, f)
		if w.rv != "5" {
			t.Fatalf("resumed from %q, want 5", w.rv)
		}
		if f.listCount() != 1 {
			t.Fatalf("a closed watch must not relist; lists = %d", f.listCount())
		}
	})
	t.Run("delete, and duplicated delete", func(t *testing.T) {
		w.send(t, meta.Deleted, fakePod("b", "ub", 6, nil))
		w.send(t, meta.Deleted, fakePod("b", "ub", 6, nil))
		rec.expect(t, "delete b@6 unknown=false")
		rec.quiet(t)
	})
	t.Run("out-of-order delete of an older incarnation is ignored", func(t *testing.T) {
		w.send(t, meta.Deleted, fakePod("c", "uc", 7, nil))
		w.send(t, meta.Added, fakePod("c", "uc2", 9, nil))
		w.send(t, meta.Deleted, fakePod("c", "uc", 8, nil)) // late: the old c
		rec.expect(t, "delete c@7 unknown=false", "add c@9")
		rec.quiet(t)
		if got, ok := inf.Get("ns", "c"); !ok || got.UID != "uc2" {
			t.Fatalf("c = %v %v", got, ok)
		}
	})
	t.Run("410 Gone relists and turns missed deletes into tombstones", func(t *testing.T) {
		// While "disconnected": c goes, d appears, a changes.
		f.del("b")
		f.del("c")
		f.set(fakePod("a", "ua", 10, map[string]string{"app": "web"}))
		f.set(fakePod("d", "ud", 11, nil))
		w.gone(t)
		rec.expect(t, "delete c@9 unknown=true", "add d@11", "update a@4->10")
		w = nextWatch(t, f)
		if w.rv != "11" || f.listCount() != 2 || inf.Lists() != 2 {
			t.Fatalf("after relist: watch from %q, lists %d", w.rv, f.listCount())
		}
	})
	t.Run("cache queries", func(t *testing.T) {
		sel, _ := labels.Parse("app=web")
		if got := inf.List(sel); len(got) != 1 || got[0].Name != "a" {
			t.Fatalf("List(app=web) = %v", got)
		}
		if got := inf.ByIndex(IndexNamespace, "ns"); len(got) != 2 {
			t.Fatalf("ByIndex(namespace) = %d objects", len(got))
		}
		if got := inf.ListNamespace("other", nil); len(got) != 0 {
			t.Fatalf("other namespace: %d", len(got))
		}
	})
	t.Run("late handler gets the current objects", func(t *testing.T) {
		late := newRecorder()
		inf.AddEventHandler(late)
		late.expect(t, "add a@10", "add d@11")
	})
}

func TestCacheIndexes(t *testing.T) {
	c := newCache[*core.Pod](map[string]IndexFunc{
		"node": func(o meta.Object) []string { return []string{o.(*core.Pod).Spec.NodeName} },
	})
	mk := func(ns, name, node string, l map[string]string) *core.Pod {
		return &core.Pod{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name, Labels: l}, Spec: core.PodSpec{NodeName: node}}
	}
	c.put(mk("a", "p1", "n1", map[string]string{"app": "x", "tier": "fe"}))
	c.put(mk("a", "p2", "n2", map[string]string{"app": "x"}))
	c.put(mk("b", "p3", "n1", map[string]string{"app": "y"}))
	c.put(mk("a", "p2", "n1", map[string]string{"app": "z"})) // moves p2
	tests := []struct {
		name string
		got  func() []*core.Pod
		want []string
	}{
		{"by node", func() []*core.Pod { return c.ByIndex("node", "n1") }, []string{"a/p1", "a/p2", "b/p3"}},
		{"by node after move", func() []*core.Pod { return c.ByIndex("node", "n2") }, nil},
		{"selector exact", func() []*core.Pod { s, _ := labels.Parse("app=x"); return c.List(s) }, []string{"a/p1"}},
		{"selector set", func() []*core.Pod { s, _ := labels.Parse("app in (x,z)"); return c.List(s) }, []string{"a/p1", "a/p2"}},
		{"namespace and selector", func() []*core.Pod { s, _ := labels.Parse("app!=x"); return c.ListNamespace("a", s) }, []string{"a/p2"}},
		{"unknown index", func() []*core.Pod { return c.ByIndex("nope", "x") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range tt.got() {
				got = append(got, ObjectKey(p))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	c.remove("a/p1")
	if got := c.ByIndex(IndexLabel, "tier=fe"); len(got) != 0 {
		t.Fatalf("index not cleaned: %v", got)
	}
}

func TestInformerResync(t *testing.T) {
	_, c := startFake(t, fakePod("a", "ua", 1, nil))
	inf := NewInformer(client.MustFor[*core.Pod](c), InformerOptions{ResyncPeriod: 30 * time.Millisecond})
	rec := newRecorder()
	inf.AddEventHandler(rec)
	runInformer(t, inf)
	// Resyncs keep coming: wait for the add and at least two of them.
	deadline := time.After(5 * time.Second)
	for {
		rec.mu.Lock()
		got := slices.Clone(rec.log)
		rec.mu.Unlock()
		if len(got) >= 3 {
			if got[0] != "add a@1" {
				t.Fatalf("first event %q", got[0])
			}
			for _, e := range got[1:] {
				if e != "update a@1->1" {
					t.Fatalf("resync delivered %q", e)
				}
			}
			return
		}
		select {
		case <-rec.ch:
		case <-deadline:
			t.Fatalf("events %q", got)
		}
	}
}
