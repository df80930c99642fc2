package plugins

import (
	"context"
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

// TestInterPodAffinitySnapshotCounts checks InterPodAffinity's Filter
// (and its AddPod/RemovePod extensions) with the snapshot's counts of the
// pods matching the incoming pod's anti-affinity terms against counting
// every node's pods, on random clusters changed in place.
func TestInterPodAffinitySnapshotCounts(t *testing.T) {
	const zone, host = core.LabelTopologyZone, core.LabelHostname
	web := func(key string) core.PodAffinityTerm { return term(key, "app", "web") }
	inNS := func(tm core.PodAffinityTerm, ns ...string) core.PodAffinityTerm { tm.Namespaces = ns; return tm }
	nsSel := func(tm core.PodAffinityTerm) core.PodAffinityTerm {
		tm.NamespaceSelector = &meta.LabelSelector{}
		return tm
	}
	notDB := core.PodAffinityTerm{TopologyKey: zone, LabelSelector: &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "app", Operator: meta.LabelSelectorOpNotIn, Values: []string{"db"}}}}}
	nilSel := core.PodAffinityTerm{TopologyKey: host}
	pods := []struct {
		name    string
		pod     *core.Pod
		indexed bool
	}{
		{"anti by hostname", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{web(host)}, nil, nil)), true},
		{"anti by zone", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{web(zone)}, nil, nil)), true},
		{"two anti terms, same key", mkPod("x", podLabels("app", "api"), affinity(nil, []core.PodAffinityTerm{web(zone), term(zone, "app", "db")}, nil, nil)), true},
		{"two anti terms, two keys", mkPod("x", podLabels("app", "api"), affinity(nil, []core.PodAffinityTerm{web(host), notDB}, nil, nil)), true},
		{"anti in another namespace", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{inNS(web(host), "other")}, nil, nil)), true},
		{"anti with a nil selector", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{nilSel}, nil, nil)), true},
		{"anti in two namespaces", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{inNS(web(host), "default", "other")}, nil, nil)), false},
		{"anti with a namespace selector", mkPod("x", podLabels("app", "web"), affinity(nil, []core.PodAffinityTerm{nsSel(web(zone))}, nil, nil)), false},
		{"affinity and anti", mkPod("x", podLabels("app", "web"), affinity([]core.PodAffinityTerm{term(zone, "app", "db")}, []core.PodAffinityTerm{web(host)}, nil, nil)), true},
		{"affinity only", mkPod("x", podLabels("app", "web"), affinity([]core.PodAffinityTerm{web(zone)}, nil, nil, nil)), false},
	}
	for _, cl := range []struct {
		name     string
		zoneless bool
	}{{"every key", false}, {"zoneless nodes", true}} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/%d", cl.name, seed), func(t *testing.T) {
				c := newSpreadCluster(seed, 12, cl.zoneless, false)
				for range 30 {
					c.churn(t)
				}
				// Existing pods with anti-affinity of their own.
				c.changeNode(t, "n01", func(ni *framework.NodeInfo) {
					must(t, ni.AddPod(mkPod("repel", onNode("n01"), podLabels("app", "db"), affinity(nil, []core.PodAffinityTerm{term(zone, "app", "api")}, nil, nil))))
				})
				fast, slow := oneFramework(t, c.snap, framework.InterPodAffinityName), oneFramework(t, plainLister{c.snap}, framework.InterPodAffinityName)
				for round := range 8 {
					for _, tt := range pods {
						compareIPA(t, fmt.Sprintf("round %d: %s", round, tt.name), c, fast, slow, tt.pod, tt.indexed)
					}
					for range 5 {
						c.churn(t)
					}
				}
			})
		}
	}
}

// changeNode changes a clone of a node's info and updates the snapshot
// in place.
func (c *spreadCluster) changeNode(t testing.TB, name string, f func(*framework.NodeInfo)) {
	t.Helper()
	ni := c.infos[name].Clone()
	f(ni)
	c.infos[name] = ni
	if !c.snap.UpdateNodeInfos(map[string]*framework.NodeInfo{name: ni}) {
		t.Fatal("UpdateNodeInfos refused a known node")
	}
}

func compareIPA(t *testing.T, name string, c *spreadCluster, fast, slow *framework.Framework, pod *core.Pod, wantIndexed bool) {
	t.Helper()
	ctx := context.Background()
	nodes, fs, ss, fst := preFilterBoth(t, name, c, fast, slow, pod)
	if !fst.IsSuccess() {
		return
	}
	if s, err := framework.ReadAs[*ipaState](fs, ipaPreFilterKey); err == nil {
		if indexed := s.antiIdx != nil; indexed != wantIndexed {
			t.Errorf("%s: snapshot counts used %v, want %v", name, indexed, wantIndexed)
		}
	}
	filter := func(fs, ss *framework.CycleState, what string) {
		t.Helper()
		filterBoth(t, name+": "+what, nodes, fast, slow, fs, ss, pod)
	}
	filter(fs, ss, "after PreFilter")
	fc, sc := fs.Clone(), ss.Clone()
	for i := range 4 {
		ni := nodes[c.rng.IntN(len(nodes))]
		if i%2 == 0 && len(ni.Pods) > 0 {
			pi := ni.Pods[c.rng.IntN(len(ni.Pods))]
			must(t, fast.RunPreFilterExtensionRemovePod(ctx, fc, pod, pi, ni).AsError())
			must(t, slow.RunPreFilterExtensionRemovePod(ctx, sc, pod, pi, ni).AsError())
		} else {
			p := c.randomPod()
			p.Spec.NodeName = ni.NodeName()
			pi, _ := framework.NewPodInfo(p)
			must(t, fast.RunPreFilterExtensionAddPod(ctx, fc, pod, pi, ni).AsError())
			must(t, slow.RunPreFilterExtensionAddPod(ctx, sc, pod, pi, ni).AsError())
		}
		filter(fc, sc, fmt.Sprintf("after extension %d", i))
	}
	filter(fs, ss, "after the clone changed")
}
