package storage

import (
	"context"
	"fmt"
	"strconv"
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
	// The window: recent events decoded, older ones' old versions not.
	f.c.mu.RLock()
	r := f.res
	if r.n != len(writes)+1 {
		f.c.mu.RUnlock()
		t.Fatalf("%d events in the window, want %d", r.n, len(writes)+1)
	}
	for i := range r.n {
		ev := r.ring[(r.head+i)%len(r.ring)]
		old := i < r.n-DecodedEvents
		cur, _ := r.items.Get(&Entry{Key: ev.Object.Key})
		if ev.Prev != nil && (ev.Prev.Object == nil) != old {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d: Prev decoded = %v", i, r.n, ev.Prev.Object != nil)
		}
		if wantDecoded := !old || cur == ev.Object; (ev.Object.Object != nil) != wantDecoded {
			f.c.mu.RUnlock()
			t.Fatalf("event %d of %d (current %v): Object decoded = %v", i, r.n, cur == ev.Object, ev.Object.Object != nil)
		}
	}
	f.c.mu.RUnlock()

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
		if ev.Type != wt || ev.Object.Key != writes[i].key || ev.Object.Object == nil || ev.Object.Object.(*widget).Spec.Size != writes[i].size ||
			ev.Object.Object.GetObjectMeta().ResourceVersion != strconv.FormatInt(ev.Object.ModRevision, 10) {
			t.Fatalf("event %d: %s %s %+v, want %s %s size %d", i, ev.Type, ev.Object.Key, ev.Object.Object, wt, writes[i].key, writes[i].size)
		}
		if wt == meta.Modified && (ev.Prev == nil || ev.Prev.Object == nil || ev.Prev.Object.(*widget).Spec.Size != writes[i-objects].size) {
			t.Fatalf("event %d: Prev %+v, want size %d", i, ev.Prev, writes[i-objects].size)
		}
	}
	// A second watch gets the same decoded entries, not new decodings.
	again := collect(nil, len(writes))
	if again[0].Object != all[0].Object || again[len(again)/2].Prev != all[len(all)/2].Prev {
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
		have = append(have, fmt.Sprint(ev.Type, ev.Object.Key, ev.Object.Object.(*widget).Spec.Size))
	}
	if fmt.Sprint(have) != fmt.Sprint(want) {
		t.Fatalf("filtered watch:\n got  %v\n want %v", have, want)
	}
}
