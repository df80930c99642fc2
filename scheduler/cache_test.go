package scheduler

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/scheduler/framework"
)

func cNode(name string) *core.Node {
	return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name}, Status: core.NodeStatus{Allocatable: core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourcePods: resource.MustParse("10")}}}
}

func cPod(name, node, cpu string) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name}, Spec: core.PodSpec{NodeName: node,
		Containers: []core.Container{{Name: "c", Resources: core.ResourceRequirements{Requests: core.ResourceList{core.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

func requested(t testing.TB, snap *framework.Snapshot, node string) int64 {
	t.Helper()
	ni, err := snap.NodeInfos().Get(node)
	if err != nil {
		t.Fatal(err)
	}
	return ni.Requested.MilliCPU
}

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := NewCache()
	c.AddNode(cNode("n1"))
	c.AddNode(cNode("n2"))
	snap := framework.NewSnapshot(nil, nil)
	p := cPod("p", "n1", "1")
	if err := c.AssumePod(p); err != nil {
		t.Fatal(err)
	}
	if err := c.AssumePod(p); !errors.Is(err, ErrAssumed) {
		t.Errorf("second assume: %v", err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 1000 || !c.IsAssumed(p) {
		t.Fatal("assumed pod not in the snapshot")
	}
	// The informer reports it bound elsewhere: the cache follows.
	bound := cPod("p", "n2", "1")
	if err := c.AddPod(bound); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 0 || requested(t, snap, "n2") != 1000 || c.IsAssumed(bound) {
		t.Errorf("confirmation: n1 %d n2 %d", requested(t, snap, "n1"), requested(t, snap, "n2"))
	}
	if err := c.ForgetPod(bound); !errors.Is(err, ErrNotAssumed) {
		t.Errorf("forget of a bound pod: %v", err)
	}
	q := cPod("q", "n1", "2")
	c.AssumePod(q)
	if err := c.ForgetPod(q); err != nil {
		t.Fatal(err)
	}
	if err := c.RemovePod(bound); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 0 || requested(t, snap, "n2") != 0 {
		t.Error("forget/remove left requests behind")
	}
}

func TestCacheSnapshotIncremental(t *testing.T) {
	c := NewCache()
	c.AddNode(cNode("n1"))
	c.AddNode(cNode("n2"))
	snap := framework.NewSnapshot(nil, nil)
	c.UpdateSnapshot(snap)
	n2, _ := snap.NodeInfos().Get("n2")
	c.AddPod(cPod("p", "n1", "1"))
	c.UpdateSnapshot(snap)
	if again, _ := snap.NodeInfos().Get("n2"); again != n2 {
		t.Error("unchanged node was cloned again")
	}
	if requested(t, snap, "n1") != 1000 {
		t.Error("changed node not refreshed")
	}
	// A snapshot clone is not affected by later cache changes.
	n1, _ := snap.NodeInfos().Get("n1")
	c.AddPod(cPod("q", "n1", "1"))
	if n1.Requested.MilliCPU != 1000 {
		t.Error("snapshot shares state with the cache")
	}
	c.RemoveNode(cNode("n2"))
	c.UpdateSnapshot(snap)
	if _, err := snap.NodeInfos().Get("n2"); err == nil || c.NodeCount() != 1 {
		t.Error("removed node still listed")
	}
	c.RemoveNode(cNode("n1")) // has pods: kept without its node
	c.UpdateSnapshot(snap)
	if l, _ := snap.NodeInfos().List(); len(l) != 0 {
		t.Errorf("nodes %v", l)
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		pct   int32
		nodes int
		want  int
	}{
		{0, 50, 50}, {0, 99, 99}, {0, 100, 100}, {0, 1000, 420}, {0, 5000, 500}, {0, 6000, 300},
		{0, 1000000, 50000}, {10, 500, 100}, {30, 5000, 1500}, {100, 5000, 5000},
	}
	for _, tt := range tests {
		if got := NumFeasibleNodesToFind(tt.pct, tt.nodes); got != tt.want {
			t.Errorf("NumFeasibleNodesToFind(%d, %d) = %d, want %d", tt.pct, tt.nodes, got, tt.want)
		}
	}
}

// TestCacheDomainCounts follows the snapshot's per-domain pod counts
// through the cache's pod and node events: after every UpdateSnapshot
// they must equal a recount of the snapshot.
func TestCacheDomainCounts(t *testing.T) {
	zoned := func(name, zone string) *core.Node {
		n := cNode(name)
		n.Labels = map[string]string{core.LabelHostname: name}
		if zone != "" {
			n.Labels[core.LabelTopologyZone] = zone
		}
		return n
	}
	pod := func(name, ns, node string, kv ...string) *core.Pod {
		p := cPod(name, node, "100m")
		p.Namespace = ns
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
		return p
	}
	web, _ := labels.FromLabelSelector(&meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}})
	notWeb, _ := labels.FromLabelSelector(&meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "app", Operator: meta.LabelSelectorOpNotIn, Values: []string{"web"}}}})
	var queries []framework.DomainQuery
	for _, ns := range []string{"default", "other"} {
		for _, sel := range []labels.Selector{web, notWeb, labels.Everything()} {
			for _, key := range []string{core.LabelTopologyZone, core.LabelHostname} {
				for _, terminating := range []bool{false, true} {
					queries = append(queries, framework.DomainQuery{Namespace: ns, Selector: sel, TopologyKey: key, Terminating: terminating})
				}
			}
		}
	}
	now := time.Now()
	steps := []struct {
		name string
		do   func(t *testing.T, c *Cache)
	}{
		{"assume", func(t *testing.T, c *Cache) { must(t, c.AssumePod(pod("a", "default", "n1", "app", "web"))) }},
		{"confirm elsewhere", func(t *testing.T, c *Cache) { must(t, c.AddPod(pod("a", "default", "n3", "app", "web"))) }},
		{"add bound pods", func(t *testing.T, c *Cache) {
			must(t, c.AddPod(pod("b", "default", "n2", "app", "web")))
			must(t, c.AddPod(pod("c", "other", "n2", "app", "web")))
			must(t, c.AddPod(pod("d", "default", "n4", "app", "db")))
		}},
		{"update labels", func(t *testing.T, c *Cache) { must(t, c.UpdatePod(pod("b", "default", "n2", "app", "db"))) }},
		{"update to terminating", func(t *testing.T, c *Cache) {
			p := pod("a", "default", "n3", "app", "web")
			ts := meta.Now()
			p.DeletionTimestamp = &ts
			must(t, c.UpdatePod(p))
		}},
		{"assume and forget", func(t *testing.T, c *Cache) {
			p := pod("e", "default", "n1", "app", "web")
			must(t, c.AssumePod(p))
			must(t, c.ForgetPod(p))
			must(t, c.AssumePod(pod("f", "default", "n1", "app", "web")))
		}},
		{"assumed pod expires", func(t *testing.T, c *Cache) {
			must(t, c.FinishBinding(pod("f", "default", "n1"), now))
			if got := c.CleanupExpired(now.Add(time.Second)); len(got) != 1 {
				t.Fatalf("expired %d pods", len(got))
			}
		}},
		{"remove pod", func(t *testing.T, c *Cache) { must(t, c.RemovePod(pod("d", "default", "n4"))) }},
		{"remove node with pods", func(t *testing.T, c *Cache) { c.RemoveNode(zoned("n2", "z1")) }},
		{"pods move after the rebuild", func(t *testing.T, c *Cache) {
			must(t, c.AddPod(pod("g", "default", "n5", "app", "web")))
			must(t, c.RemovePod(pod("c", "other", "n2")))
		}},
		{"add node", func(t *testing.T, c *Cache) {
			c.AddNode(zoned("n6", "z3"))
			must(t, c.AddPod(pod("h", "default", "n6", "app", "web")))
		}},
		{"relabel node", func(t *testing.T, c *Cache) { c.UpdateNode(zoned("n1", "z3")) }},
		{"pods move again", func(t *testing.T, c *Cache) {
			must(t, c.AddPod(pod("i", "default", "n1", "app", "web")))
			must(t, c.AddPod(pod("j", "other", "n3")))
		}},
	}
	c := NewCache()
	for i, z := range []string{"z1", "z1", "z2", "", "z2"} {
		c.AddNode(zoned(fmt.Sprint("n", i+1), z))
	}
	snap := framework.NewSnapshot(nil, nil)
	c.UpdateSnapshot(snap)
	for _, st := range steps {
		// Ask first, so that the counts are maintained through the step.
		for _, q := range queries {
			snap.DomainCounts(q)
		}
		st.do(t, c)
		c.UpdateSnapshot(snap)
		for _, q := range queries {
			d := snap.DomainCounts(q)
			got, want := map[string]int64{}, map[string]int64{}
			for slot := range d.Len() {
				got[d.Domain(slot)] = d.Count(slot)
			}
			list, _ := snap.NodeInfos().List()
			for _, ni := range list {
				v, ok := ni.Node().Labels[q.TopologyKey]
				if !ok {
					continue
				}
				want[v] += 0
				for _, p := range ni.Pods {
					if p.Pod.Namespace == q.Namespace && (q.Terminating || p.Pod.DeletionTimestamp == nil) && q.Selector.Matches(labels.Set(p.Pod.Labels)) {
						want[v]++
					}
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("after %q: %+v: counts %v, want %v", st.name, q, got, want)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
