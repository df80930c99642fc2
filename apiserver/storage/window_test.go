package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/meta"
)

// Events older than DecodedEvents keep the versions that are no longer
// current as JSON only; a watch that reaches them gets them decoded, with
// the same events, objects and predicate transitions as a watch that kept
// up, and two watches share one decoding.
func TestOldEventsKeepJSONOnly(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	const objects, rounds = 4, 120 // 4 + 480 events, more than DecodedEvents
	// Resume after a first write ("0" would mean the current state).
	start := f.create(t, "elsewhere", "first", 0, nil).ModRevision
	f.create(t, "ns", "w0", 0, nil)
	for i := 1; i < objects; i++ {
		f.create(t, "ns", fmt.Sprint("w", i), 0, nil)
	}
	type version struct {
		key  string
		size int
	}
	var writes []version // the expected sequence of changes
	for i := range objects {
		writes = append(writes, version{key("ns", fmt.Sprint("w", i)), 0})
	}
	for r := 1; r <= rounds; r++ {
		for i := range objects {
			e, err := f.res.Update(ctx, key("ns", fmt.Sprint("w", i)), func(o meta.Object) (meta.Object, error) {
				o.(*widget).Spec.Size = r*10 + i
				return o, nil
			}, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.c.waitFor(ctx, e.ModRevision); err != nil {
				t.Fatal(err)
			}
			writes = append(writes, version{e.Key, r*10 + i})
		}
	}
	// The window: recent events decoded, older ones kept as JSON only,
	// and so are the current versions whose last event is old.
	f.c.mu.RLock()
	r := f.res
	if r.n != len(writes)+1 {
		f.c.mu.RUnlock()
		t.Fatalf("%d events in the window, want %d", r.n, len(writes)+1)
	}
	byRev := map[int64]*Entry{} // the entry each event wrote, by revision
	for i := range r.n {
		ev := r.ring[(r.head+i)%len(r.ring)]
		old := i < r.n-DecodedEvents
		// A version is one entry, whether reached as an event's Object or
		// as a later event's Prev, decoded or not.
		if ev.Prev != nil && byRev[ev.Prev.ModRevision] != nil && byRev[ev.Prev.ModRevision] != ev.Prev && old {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d: Prev at %d is a second copy of that version", i, r.n, ev.Prev.ModRevision)
		}
		byRev[ev.Object.ModRevision] = ev.Object
		if ev.Prev != nil && (ev.Prev.obj == nil) != old {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d: Prev decoded = %v", i, r.n, ev.Prev.obj != nil)
		}
		if (ev.Object.obj == nil) != old {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d: Object decoded = %v", i, r.n, ev.Object.obj != nil)
		}
		if cur, _ := r.items.Get(&Entry{Key: ev.Object.Key}); cur.ModRevision == ev.Object.ModRevision && cur != ev.Object {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d: the cache's current %s is not the event's entry", i, r.n, cur.Key)
		}
	}
	f.c.mu.RUnlock()
	// first is current and its only event is old: JSON only, with its Attrs.
	first, err := f.res.Get(ctx, key("elsewhere", "first"), "")
	if err != nil {
		t.Fatal(err)
	}
	if first.obj != nil || first.lazy.Load() != nil || first.attrs.Fields.Get("metadata.name") != "first" {
		t.Fatalf("current entry with an old event: decoded %v, attrs %v", first.obj != nil || first.lazy.Load() != nil, first.attrs)
	}

	from := strconv.FormatInt(start, 10)
	collect := func(pred Predicate, n int) []Event {
		w, err := f.res.Watch(ctx, "/registry/example.com/widgets/ns/", WatchOptions{ResourceVersion: from, Predicate: pred})
		if err != nil {
			t.Fatal(err)
		}
		var out []Event
		for len(out) < n {
			out = append(out, next(t, w))
		}
		return out
	}
	all := collect(nil, len(writes))
	if len(all) != len(writes) {
		t.Fatalf("%d events, want %d", len(all), len(writes))
	}
	for i, ev := range all {
		wt := meta.Modified
		if i < objects {
			wt = meta.Added
		}
		if ev.Type != wt || ev.Object.Key != writes[i].key || obj(t, ev.Object).(*widget).Spec.Size != writes[i].size ||
			obj(t, ev.Object).GetObjectMeta().ResourceVersion != strconv.FormatInt(ev.Object.ModRevision, 10) {
			t.Fatalf("event %d: %s %s %+v, want %s %s size %d", i, ev.Type, ev.Object.Key, obj(t, ev.Object), wt, writes[i].key, writes[i].size)
		}
		if wt == meta.Modified && (ev.Prev == nil || obj(t, ev.Prev).(*widget).Spec.Size != writes[i-objects].size) {
			t.Fatalf("event %d: Prev %+v, want size %d", i, ev.Prev, writes[i-objects].size)
		}
	}
	// A second watch gets the same entries, and their objects are decoded
	// once for both.
	again := collect(nil, len(writes))
	if again[0].Object != all[0].Object || again[len(again)/2].Prev != all[len(all)/2].Prev ||
		obj(t, again[0].Object) != obj(t, all[0].Object) {
		t.Fatal("two watches decoded the same old version twice")
	}
	// Predicate transitions on old events: sizes ending in 0 or 1 match.
	low := PredicateFunc(func(o meta.Object) bool { return o.(*widget).Spec.Size%10 < 2 })
	var want []string
	in := map[string]bool{}
	for _, v := range writes {
		m := v.size%10 < 2
		switch {
		case m && !in[v.key]:
			want = append(want, fmt.Sprint(meta.Added, v.key, v.size))
		case m:
			want = append(want, fmt.Sprint(meta.Modified, v.key, v.size))
		case in[v.key]:
			want = append(want, fmt.Sprint(meta.Deleted, v.key, v.size))
		}
		in[v.key] = m
	}
	var have []string
	for _, ev := range collect(low, len(want)) {
		have = append(have, fmt.Sprint(ev.Type, ev.Object.Key, obj(t, ev.Object).(*widget).Spec.Size))
	}
	if fmt.Sprint(have) != fmt.Sprint(want) {
		t.Fatalf("filtered watch:\n got  %v\n want %v", have, want)
	}
}

// colorPredicate selects widgets labelled color=red, from the object or
// from its Attrs, and counts which way it was asked.
type colorPredicate struct{ objects, attrs int }

func (p *colorPredicate) Matches(o meta.Object) bool {
	p.objects++
	return o.GetObjectMeta().Labels["color"] == "red"
}

func (p *colorPredicate) MatchesAttrs(a Attrs) bool {
	p.attrs++
	return a.Labels.Get("color") == "red"
}

// Objects whose last event is older than DecodedEvents are kept as JSON
// only: lists select them by their Attrs without decoding them, Peek
// decodes without keeping, Object decodes once, and updates and deletes of
// them work as on decoded ones.
func TestJSONOnlyEntries(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	const n = 10
	for i := range n {
		color := "blue"
		if i%2 == 0 {
			color = "red"
		}
		f.create(t, "a", fmt.Sprint("w", i), i, map[string]string{"color": color})
	}
	f.create(t, "b", "churn", 0, nil)
	var last *Entry
	for i := range DecodedEvents {
		e, err := f.res.Update(ctx, key("b", "churn"), func(o meta.Object) (meta.Object, error) {
			o.(*widget).Spec.Size = i + 1
			return o, nil
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		last = e
	}
	if err := f.c.waitFor(ctx, last.ModRevision); err != nil {
		t.Fatal(err)
	}
	decoded := func(e *Entry) bool { return e.obj != nil || e.lazy.Load() != nil }

	p := &colorPredicate{}
	l, err := f.res.List(ctx, "/registry/example.com/widgets/a/", ListOptions{Predicate: p})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range l.Items {
		if decoded(e) {
			t.Fatalf("%s was decoded to be selected", e.Key)
		}
		names = append(names, e.Key[strings.LastIndex(e.Key, "/")+1:])
	}
	if fmt.Sprint(names) != "[w0 w2 w4 w6 w8]" || p.attrs != n || p.objects != 0 {
		t.Fatalf("list selected %v with %d Attrs and %d object matches", names, p.attrs, p.objects)
	}

	// Peek decodes without keeping; Object keeps one decoding.
	e := l.Items[1]
	peeked, err := e.Peek()
	if err != nil || peeked.(*widget).Spec.Size != 2 || decoded(e) {
		t.Fatalf("Peek: %+v, %v, decoded %v", peeked, err, decoded(e))
	}
	if o := obj(t, e); o.(*widget).Spec.Size != 2 || o.GetObjectMeta().ResourceVersion != strconv.FormatInt(e.ModRevision, 10) || o != obj(t, e) {
		t.Fatalf("Object: %+v, kept %v", o, o == obj(t, e))
	}

	// An update starts from the JSON-only version and leaves it as it was.
	w1, err := f.res.Get(ctx, key("a", "w1"), "")
	if err != nil || decoded(w1) {
		t.Fatalf("w1: %v, decoded %v", err, err == nil && decoded(w1))
	}
	before := string(w1.JSON)
	up, err := f.res.Update(ctx, key("a", "w1"), func(o meta.Object) (meta.Object, error) {
		o.(*widget).Spec.Size = 100
		o.GetObjectMeta().Labels["color"] = "red"
		return o, nil
	}, false)
	if err != nil || obj(t, up).(*widget).Spec.Size != 100 || string(w1.JSON) != before || decoded(w1) {
		t.Fatalf("update of a JSON-only entry: %v, %s, old JSON changed %v", err, up.JSON, string(w1.JSON) != before)
	}

	// Deleting a JSON-only version: the event's object is its JSON with the
	// deletion's resourceVersion, and the watch selects it by its Attrs.
	w, err := f.res.Watch(ctx, "/registry/example.com/widgets/a/", WatchOptions{ResourceVersion: strconv.FormatInt(up.ModRevision, 10), Predicate: p})
	if err != nil {
		t.Fatal(err)
	}
	de, err := f.res.Delete(ctx, key("a", "w4"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, w)
	if ev.Type != meta.Deleted || ev.Object.ModRevision != de.ModRevision || decoded(ev.Object) ||
		!strings.Contains(string(ev.Object.JSON), `"resourceVersion":"`+strconv.FormatInt(de.ModRevision, 10)+`"`) ||
		ev.Object.attrs.Labels.Get("color") != "red" {
		t.Fatalf("delete event %s %s at %d (delete at %d), decoded %v", ev.Type, ev.Object.JSON, ev.Object.ModRevision, de.ModRevision, decoded(ev.Object))
	}
	if o := obj(t, ev.Object); o.GetObjectMeta().Name != "w4" || o.(*widget).Spec.Size != 4 {
		t.Fatalf("deleted object %+v", o)
	}
}
