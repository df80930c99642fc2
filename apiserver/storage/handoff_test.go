package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/api/meta"
)

// The JSON setResourceVersion makes from an object's encoding without its
// resourceVersion must be the bytes an encode with it gives, whatever
// metadata fields are set around it; and it must replace one that is there.
func TestSetResourceVersionMatchesEncode(t *testing.T) {
	del := meta.Now()
	grace := int64(30)
	metas := []meta.ObjectMeta{
		{},
		{Name: "a"},
		{GenerateName: "g-"},
		{Name: "a", Namespace: "ns", UID: "u-1"},
		{Name: "a", Namespace: "ns", SelfLink: "/x", UID: "u"},
		{Generation: 3},
		{Name: "a", Generation: 2, CreationTimestamp: meta.Now()},
		{Labels: map[string]string{"resourceVersion": "trap", "k": "v"}},
		{Name: "a", Annotations: map[string]string{"metadata": `{"resourceVersion":"1"}`}},
		{Name: "a", DeletionTimestamp: &del, DeletionGracePeriodSeconds: &grace, Finalizers: []string{"f"}},
	}
	for i, m := range metas {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			w := &widget{ObjectMeta: m}
			w.SetGroupVersionKind(widgetGVK)
			w.Spec.Tag = `"metadata":{"resourceVersion":"9"}`
			plain, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			w.ResourceVersion = "12345"
			want, _ := json.Marshal(w)
			got, ok := setResourceVersion(plain, "12345")
			if !ok || string(got) != string(want) {
				t.Fatalf("set:\n got  %s (%v)\n want %s", got, ok, want)
			}
			w.ResourceVersion = "7"
			want, _ = json.Marshal(w)
			got, ok = setResourceVersion(got, "7")
			if !ok || string(got) != string(want) {
				t.Fatalf("replace:\n got  %s (%v)\n want %s", got, ok, want)
			}
		})
	}
	for _, bad := range []string{``, `[]`, `{"metadata":1}`, `{"kind":"X"}`, `{"metadata":{`, `{"a":"b"`} {
		if out, ok := setResourceVersion([]byte(bad), "1"); ok {
			t.Errorf("setResourceVersion(%q) = %s, want a refusal", bad, out)
		}
	}
	// Spaces, as another encoder may write them, are kept valid.
	out, ok := setResourceVersion([]byte(` { "metadata" : { } , "x" : 1 } `), "5")
	var v struct {
		Metadata map[string]any `json:"metadata"`
	}
	if !ok || json.Unmarshal(out, &v) != nil || v.Metadata["resourceVersion"] != "5" {
		t.Fatalf("with spaces: %s %v", out, ok)
	}
}

// A write hands its entry to the cache, which takes it instead of decoding
// the stored bytes; nothing handed off is left behind once the events are in.
func TestWritesHandTheirEntriesToTheCache(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var written []*Entry
	for i := range 50 {
		written = append(written, f.create(t, "ns", fmt.Sprint("w", i), i, map[string]string{"i": fmt.Sprint(i)}))
	}
	for i := range 50 {
		e, err := f.res.Update(ctx, key("ns", fmt.Sprint("w", i)), func(cur meta.Object) (meta.Object, error) {
			cur.(*widget).Spec.Size += 100
			return cur, nil
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		written[i] = e
	}
	taken := 0
	for i, w := range written {
		e, err := f.res.Get(ctx, key("ns", fmt.Sprint("w", i)), "")
		if err != nil {
			t.Fatal(err)
		}
		if e.ModRevision != w.ModRevision || string(e.JSON) != string(w.JSON) {
			t.Fatalf("cache has %d %s, the write returned %d %s", e.ModRevision, e.JSON, w.ModRevision, w.JSON)
		}
		if obj(t, e).(*widget).Spec.Size != i+100 || obj(t, e).GetObjectMeta().ResourceVersion != fmt.Sprint(e.ModRevision) {
			t.Fatalf("cached object %+v", obj(t, e))
		}
		if e == w {
			taken++
		}
	}
	// Whichever of the cache and the writer comes first, the cache ends up
	// with the writer's object, not a decode of it.
	if taken != len(written) {
		t.Fatalf("%d of %d cached entries are the writers'", taken, len(written))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.c.hmu.Lock()
		left := len(f.c.handoff) + len(f.c.pending)
		f.c.hmu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d handoffs left behind", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d of %d cached entries were the writers'", taken, len(written))
}

// A handoff for a revision the cache has already passed is dropped at once,
// and one for a key the cache then sees written by someone else (a newer
// revision) is not taken.
func TestHandoffStaleIsDropped(t *testing.T) {
	f := newFixture(t, nil)
	e := f.create(t, "ns", "a", 1, nil)
	if err := f.c.waitFor(context.Background(), e.ModRevision); err != nil {
		t.Fatal(err)
	}
	f.c.settle(nil, e.ModRevision, func() (*Entry, error) { return &Entry{Key: e.Key, ModRevision: e.ModRevision}, nil })
	f.c.hmu.Lock()
	n := len(f.c.handoff)
	f.c.hmu.Unlock()
	if n != 0 {
		t.Fatalf("a handoff the cache has passed was kept")
	}
	// Another writer (the store directly) changes the key: a handoff for
	// a revision that never comes must not be taken for it.
	f.c.hmu.Lock()
	f.c.handoff[e.Key] = &Entry{Key: e.Key, ModRevision: e.ModRevision + 1000, JSON: []byte(`{}`)}
	f.c.hmu.Unlock()
	data, _ := json.Marshal(map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "a", "namespace": "ns"}, "spec": map[string]any{"size": 42}})
	kv, err := f.st.Update(context.Background(), e.Key, data, e.ModRevision)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.waitFor(context.Background(), kv.ModRevision); err != nil {
		t.Fatal(err)
	}
	got, err := f.res.Get(context.Background(), e.Key, "")
	if err != nil {
		t.Fatal(err)
	}
	if obj(t, got).(*widget).Spec.Size != 42 {
		t.Fatalf("cache took a handoff for another revision: %s", got.JSON)
	}
}
