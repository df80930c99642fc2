package framework

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
)

const zoneKey = "zone"

func dcNode(name string, kv ...string) *core.Node {
	n := testNode(name, rl("cpu", "4"))
	n.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Labels[kv[i]] = kv[i+1]
	}
	return n
}

func dcPod(name, ns, node string, kv ...string) *core.Pod {
	p := testPod(name, node)
	p.Namespace = ns
	p.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Labels[kv[i]] = kv[i+1]
	}
	return p
}

func mustSelector(t testing.TB, ls *meta.LabelSelector) labels.Selector {
	t.Helper()
	s, err := labels.FromLabelSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantCounts recounts by brute force what a DomainCounts must hold.
type wantCounts struct {
	counts, nodes map[string]int64
	withKey       int
}

func recount(snap *Snapshot, ns string, sel labels.Selector, key string) wantCounts {
	return recountQ(snap, DomainQuery{Namespace: ns, Selector: sel, TopologyKey: key})
}

func recountQ(snap *Snapshot, q DomainQuery) wantCounts {
	ns, sel, key := q.Namespace, q.Selector, q.TopologyKey
	w := wantCounts{counts: map[string]int64{}, nodes: map[string]int64{}}
	list, _ := snap.NodeInfos().List()
	for _, ni := range list {
		v, ok := ni.Node().Labels[key]
		if !ok {
			continue
		}
		w.withKey++
		w.nodes[v]++
		w.counts[v] += 0
		for _, p := range ni.Pods {
			if p.Pod.Namespace == ns && (q.Terminating || p.Pod.DeletionTimestamp == nil) && sel.Matches(labels.Set(p.Pod.Labels)) {
				w.counts[v]++
			}
		}
	}
	return w
}

func checkCounts(t testing.TB, d *DomainCounts, w wantCounts) {
	t.Helper()
	got := map[string]int64{}
	nodes := map[string]int64{}
	want := int64(math.MaxInt64)
	for slot := range d.Len() {
		dom := d.Domain(slot)
		if s, ok := d.Slot(dom); !ok || s != slot {
			t.Errorf("Slot(%q) = %d, %v, want %d", dom, s, ok, slot)
		}
		got[dom] = d.Count(slot)
		nodes[dom] = int64(d.NodesIn(slot))
		want = min(want, d.Count(slot))
	}
	if !maps.Equal(got, w.counts) {
		t.Errorf("counts %v, want %v", got, w.counts)
	}
	if !maps.Equal(nodes, w.nodes) {
		t.Errorf("nodes per domain %v, want %v", nodes, w.nodes)
	}
	if d.NodesWithKey() != w.withKey {
		t.Errorf("NodesWithKey = %d, want %d", d.NodesWithKey(), w.withKey)
	}
	m, ok := d.Min()
	if ok != (len(w.counts) > 0) || (ok && m != want) {
		t.Errorf("Min = %d, %v, want %d", m, ok, want)
	}
	if ok {
		at := 0
		for slot := range d.Len() {
			if d.Count(slot) == m {
				at++
			}
		}
		if at != d.atMin {
			t.Errorf("atMin = %d, want %d", d.atMin, at)
		}
	}
}

// dcCluster is a snapshot changed the way the scheduler's cache changes
// it: node infos cloned, changed and handed to UpdateNodeInfos, or the
// whole set to SetNodeInfos.
type dcCluster struct {
	snap  *Snapshot
	infos map[string]*NodeInfo
}

func newDCCluster(nodes ...*core.Node) *dcCluster {
	c := &dcCluster{snap: &Snapshot{}, infos: map[string]*NodeInfo{}}
	for _, n := range nodes {
		ni := NewNodeInfo()
		ni.SetNode(n)
		c.infos[n.Name] = ni
	}
	c.snap.SetNodeInfos(maps.Clone(c.infos))
	return c
}

// change applies f to a clone of each node's info and updates the
// snapshot in place.
func (c *dcCluster) change(t testing.TB, f map[string]func(ni *NodeInfo)) {
	t.Helper()
	changed := map[string]*NodeInfo{}
	for name, fn := range f {
		ni := c.infos[name].Clone()
		fn(ni)
		c.infos[name] = ni
		changed[name] = ni
	}
	if !c.snap.UpdateNodeInfos(changed) {
		t.Fatal("UpdateNodeInfos refused a known node")
	}
}

func addPods(pods ...*core.Pod) func(*NodeInfo) {
	return func(ni *NodeInfo) {
		for _, p := range pods {
			if err := ni.AddPod(p); err != nil {
				panic(err)
			}
		}
	}
}

func removePods(pods ...*core.Pod) func(*NodeInfo) {
	return func(ni *NodeInfo) {
		for _, p := range pods {
			if err := ni.RemovePod(p); err != nil {
				panic(err)
			}
		}
	}
}

func TestDomainCounts(t *testing.T) {
	web := &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	notDB := &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "app", Operator: meta.LabelSelectorOpNotIn, Values: []string{"db"}}}}
	hasTier := &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "tier", Operator: meta.LabelSelectorOpExists}}}
	selectors := map[string]*meta.LabelSelector{"web": web, "not db": notDB, "has tier": hasTier, "everything": {}, "nothing": nil}
	nodes := func() []*core.Node {
		return []*core.Node{
			dcNode("a1", zoneKey, "z1", core.LabelHostname, "a1"),
			dcNode("a2", zoneKey, "z1", core.LabelHostname, "a2"),
			dcNode("b1", zoneKey, "z2", core.LabelHostname, "b1"),
			dcNode("c1", core.LabelHostname, "c1"), // no zone
			dcNode("c2", zoneKey, "z3", core.LabelHostname, "shared"),
			dcNode("c3", zoneKey, "z3", core.LabelHostname, "shared"),
		}
	}
	w1 := dcPod("w1", "default", "a1", "app", "web", "tier", "front")
	w2 := dcPod("w2", "default", "b1", "app", "web")
	w3 := dcPod("w3", "default", "c2", "app", "web")
	db := dcPod("db", "default", "a2", "app", "db", "tier", "back")
	other := dcPod("w-other", "other", "a1", "app", "web")
	gone := dcPod("w-gone", "default", "b1", "app", "web")
	now := meta.Now()
	gone.DeletionTimestamp = &now
	relabelled := dcPod("w1", "default", "a1", "app", "db") // w1 updated
	type step struct {
		name string
		do   func(t *testing.T, c *dcCluster)
		// rebuilt: the counts were dropped (a new DomainCounts is
		// expected); otherwise the one asked for before is kept.
		rebuilt bool
	}
	steps := []step{
		{name: "initial pods", do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"a1": addPods(w1, other), "b1": addPods(w2, gone), "a2": addPods(db)})
		}},
		{name: "add on a zoneless node and a shared hostname", do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"c1": addPods(dcPod("w4", "default", "c1", "app", "web")), "c2": addPods(w3)})
		}},
		{name: "remove the only matching pod of a domain", do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"b1": removePods(w2)})
		}},
		{name: "update labels (remove and add)", do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"a1": func(ni *NodeInfo) { removePods(w1)(ni); addPods(relabelled)(ni) }})
		}},
		{name: "terminating pod stops counting", do: func(t *testing.T, c *dcCluster) {
			g := dcPod("w3", "default", "c2", "app", "web")
			g.DeletionTimestamp = &now
			c.change(t, map[string]func(*NodeInfo){"c2": func(ni *NodeInfo) { removePods(w3)(ni); addPods(g)(ni) }})
		}},
		{name: "several pods on several nodes", do: func(t *testing.T, c *dcCluster) {
			f := map[string]func(*NodeInfo){}
			for _, n := range []string{"a1", "a2", "b1", "c3"} {
				f[n] = addPods(dcPod("x-"+n, "default", n, "app", "web", "tier", "x"), dcPod("y-"+n, "other", n, "app", "web"))
			}
			c.change(t, f)
		}},
		{name: "node removed", rebuilt: true, do: func(t *testing.T, c *dcCluster) {
			delete(c.infos, "b1")
			c.snap.SetNodeInfos(maps.Clone(c.infos))
		}},
		{name: "pods move after the rebuild", do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"a2": removePods(db), "c1": addPods(dcPod("w5", "default", "c1", "app", "web"))})
		}},
		{name: "node added", rebuilt: true, do: func(t *testing.T, c *dcCluster) {
			ni := NewNodeInfo(dcPod("w6", "default", "d1", "app", "web"))
			ni.SetNode(dcNode("d1", zoneKey, "z4", core.LabelHostname, "d1"))
			c.infos["d1"] = ni
			c.snap.SetNodeInfos(maps.Clone(c.infos))
		}},
		{name: "node relabelled through UpdateNodeInfos", rebuilt: true, do: func(t *testing.T, c *dcCluster) {
			c.change(t, map[string]func(*NodeInfo){"a1": func(ni *NodeInfo) { ni.SetNode(dcNode("a1", zoneKey, "z9", core.LabelHostname, "a1-new")) }})
		}},
	}
	for _, key := range []string{zoneKey, core.LabelHostname} {
		for selName, ls := range selectors {
			for _, ns := range []string{"default", "other"} {
				for _, terminating := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/%s/terminating=%v", key, selName, ns, terminating), func(t *testing.T) {
						q := DomainQuery{Namespace: ns, Selector: mustSelector(t, ls), TopologyKey: key, Terminating: terminating}
						c := newDCCluster(nodes()...)
						prev := c.snap.DomainCounts(q)
						checkCounts(t, prev, recountQ(c.snap, q))
						for _, st := range steps {
							st.do(t, c)
							d := c.snap.DomainCounts(q)
							if (d != prev) != st.rebuilt {
								t.Errorf("%s: counts rebuilt %v, want %v", st.name, d != prev, st.rebuilt)
							}
							checkCounts(t, d, recountQ(c.snap, q))
							if t.Failed() {
								t.Fatalf("after %q", st.name)
							}
							prev = d
						}
					})
				}
			}
		}
	}
}

func TestDomainCountsKeys(t *testing.T) {
	c := newDCCluster(dcNode("a", zoneKey, "z1"))
	c.change(t, map[string]func(*NodeInfo){"a": addPods(dcPod("p", "default", "a", "app", "web"))})
	web := mustSelector(t, &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}})
	webIn := mustSelector(t, &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "app", Operator: meta.LabelSelectorOpIn, Values: []string{"web"}}}})
	everything := mustSelector(t, &meta.LabelSelector{})
	nothing := mustSelector(t, nil)
	d := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: web, TopologyKey: zoneKey})
	if again := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: labels.SelectorFromSet(labels.Set{"app": "web"}), TopologyKey: zoneKey}); again != d {
		t.Error("an equal selector built new counts")
	}
	distinct := []*DomainCounts{d,
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: webIn, TopologyKey: zoneKey}),
		c.snap.DomainCounts(DomainQuery{Namespace: "other", Selector: web, TopologyKey: zoneKey}),
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: web, TopologyKey: core.LabelHostname}),
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: everything, TopologyKey: zoneKey}),
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: nothing, TopologyKey: zoneKey}),
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: web, TopologyKey: zoneKey, Terminating: true}),
	}
	for i := range distinct {
		for j := range i {
			if distinct[i] == distinct[j] {
				t.Errorf("counts %d and %d are shared", i, j)
			}
		}
	}
	if n := distinct[4].Count(0); n != 1 {
		t.Errorf("everything counts %d, want 1", n)
	}
	if n := distinct[5].Count(0); n != 0 {
		t.Errorf("nothing counts %d, want 0", n)
	}
}

func TestDomainCountsEviction(t *testing.T) {
	c := newDCCluster(dcNode("a", zoneKey, "z1"), dcNode("b", zoneKey, "z2"))
	sel := func(i int) labels.Selector { return labels.SelectorFromSet(labels.Set{"app": fmt.Sprint(i)}) }
	first := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(0), TopologyKey: zoneKey})
	for i := 1; i < maxDomainCounts; i++ {
		c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(i), TopologyKey: zoneKey})
	}
	if c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(0), TopologyKey: zoneKey}) != first {
		t.Fatal("counts dropped below the bound")
	}
	// One more: one of the least recently used goes, not sel(0).
	c.change(t, map[string]func(*NodeInfo){"a": addPods(dcPod("p", "default", "a", "app", "0"))})
	c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(0), TopologyKey: zoneKey})
	c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(maxDomainCounts), TopologyKey: zoneKey})
	if n := len(c.snap.domainIndex.entries); n != maxDomainCounts {
		t.Errorf("%d counts kept, want %d", n, maxDomainCounts)
	}
	if _, ok := c.snap.domainIndex.entries[domainKey(&DomainQuery{Namespace: "default", Selector: sel(maxDomainCounts), TopologyKey: zoneKey})]; !ok {
		t.Error("the new counts were not kept")
	}
	if got := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(0), TopologyKey: zoneKey}); got != first || got.Count(0)+got.Count(1) != 1 {
		t.Error("the recently used counts were dropped or not updated")
	}
	// Counts not asked for in maxIdleUpdates updates are dropped.
	for i := range maxIdleUpdates + 1 {
		c.change(t, map[string]func(*NodeInfo){"b": addPods(dcPod(fmt.Sprint("q", i), "default", "b", "app", "0"))})
	}
	if n := len(c.snap.domainIndex.entries); n != 0 {
		t.Errorf("%d idle counts kept", n)
	}
	d := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel(0), TopologyKey: zoneKey})
	checkCounts(t, d, recount(c.snap, "default", sel(0), zoneKey))
}

func TestDomainCountsMin(t *testing.T) {
	// Counts per domain through a sequence of changes: the minimum and
	// the number of domains at it follow.
	nodes := []*core.Node{dcNode("a", zoneKey, "a"), dcNode("b", zoneKey, "b"), dcNode("c", zoneKey, "c")}
	c := newDCCluster(nodes...)
	sel := labels.Everything()
	d := c.snap.DomainCounts(DomainQuery{Namespace: "default", Selector: sel, TopologyKey: zoneKey})
	n := 0
	pods := map[string][]*core.Pod{}
	add := func(node string) {
		n++
		p := dcPod(fmt.Sprint("p", n), "default", node)
		pods[node] = append(pods[node], p)
		c.change(t, map[string]func(*NodeInfo){node: addPods(p)})
	}
	del := func(node string) {
		p := pods[node][len(pods[node])-1]
		pods[node] = pods[node][:len(pods[node])-1]
		c.change(t, map[string]func(*NodeInfo){node: removePods(p)})
	}
	for _, op := range []string{"+a", "+b", "+c", "+a", "-a", "-b", "+b", "+b", "-a", "+c", "-c", "-c", "+a", "+a", "+a", "-b", "-b"} {
		if op[0] == '+' {
			add(op[1:])
		} else {
			del(op[1:])
		}
		checkCounts(t, d, recount(c.snap, "default", sel, zoneKey))
		if t.Failed() {
			t.Fatalf("after %s", op)
		}
	}
}

func TestPodsDiff(t *testing.T) {
	p := make([]*PodInfo, 6)
	for i := range p {
		p[i] = &PodInfo{Pod: testPod(fmt.Sprint("p", i), "n")}
	}
	tests := []struct {
		name                 string
		old, cur             []*PodInfo
		wantRemoved, wantAdd []*PodInfo
	}{
		{"same", p[:3], p[:3], nil, nil},
		{"appended", p[:2], p[:3], nil, p[2:3]},
		{"removed last", p[:3], p[:2], p[2:3], nil},
		{"removed first", p[:3], p[1:3], p[0:1], nil},
		{"removed middle", []*PodInfo{p[0], p[1], p[2]}, []*PodInfo{p[0], p[2]}, p[1:2], nil},
		{"replaced (update)", []*PodInfo{p[0], p[1], p[2]}, []*PodInfo{p[0], p[2], p[3]}, []*PodInfo{p[1], p[2]}, []*PodInfo{p[2], p[3]}},
		{"from empty", nil, p[:2], nil, p[:2]},
		{"to empty", p[:2], nil, p[:2], nil},
	}
	for _, tt := range tests {
		removed, added := podsDiff(tt.old, tt.cur)
		if !slices.Equal(removed, tt.wantRemoved) || !slices.Equal(added, tt.wantAdd) {
			t.Errorf("%s: removed %v added %v", tt.name, removed, added)
		}
	}
}
