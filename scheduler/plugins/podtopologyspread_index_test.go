package plugins

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

// plainLister hides the snapshot's DomainCounter: PodTopologySpread
// then counts every node's pods itself, the reference the snapshot's
// counts are checked against.
type plainLister struct{ s *framework.Snapshot }

func (l plainLister) NodeInfos() framework.NodeInfoLister { return l.s.NodeInfos() }
func (l plainLister) Volumes() framework.VolumeLister     { return l.s.Volumes() }
func (l plainLister) Workloads() framework.WorkloadLister { return l.s.Workloads() }

// oneFramework is a framework of the plugin called name (with the sort
// and bind plugins every profile needs) over lister.
func oneFramework(t testing.TB, lister framework.SharedLister, name string) *framework.Framework {
	t.Helper()
	profile := &framework.Profile{SchedulerName: "test", Plugins: &framework.Plugins{MultiPoint: framework.PluginSet{Enabled: []framework.PluginRef{
		{Name: framework.PrioritySortName}, {Name: framework.DefaultBinderName}, {Name: name}}}}}
	fw, err := framework.New(context.Background(), NewInTreeRegistry(), profile, &framework.Options{Snapshot: lister})
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

// spreadCluster is a random cluster whose snapshot is changed in place,
// as the scheduler's cache does.
type spreadCluster struct {
	rng   *rand.Rand
	snap  *framework.Snapshot
	infos map[string]*framework.NodeInfo
	names []string
	n     int
}

func newSpreadCluster(seed uint64, nodes int, zoneless, tainted bool) *spreadCluster {
	c := &spreadCluster{rng: rand.New(rand.NewPCG(seed, 1)), snap: &framework.Snapshot{}, infos: map[string]*framework.NodeInfo{}}
	for i := range nodes {
		name := fmt.Sprintf("n%02d", i)
		var opts []nodeOpt
		if !zoneless || i%5 != 4 {
			opts = append(opts, nodeLabels(core.LabelTopologyZone, fmt.Sprint("z", i%3), "disk", []string{"ssd", "hdd"}[i%2]))
		}
		if tainted && i%4 == 3 {
			opts = append(opts, taints(core.Taint{Key: "dedicated", Value: "x", Effect: core.TaintEffectNoSchedule}))
		}
		ni := framework.NewNodeInfo()
		ni.SetNode(mkNode(name, opts...))
		c.infos[name] = ni
		c.names = append(c.names, name)
	}
	c.snap.SetNodeInfos(maps.Clone(c.infos))
	return c
}

func (c *spreadCluster) randomPod() *core.Pod {
	c.n++
	p := mkPod(fmt.Sprint("p", c.n), podLabels("app", []string{"web", "web", "db"}[c.rng.IntN(3)], "ver", fmt.Sprint(c.rng.IntN(2))))
	if c.rng.IntN(5) == 0 {
		p.Namespace = "other"
	}
	if c.rng.IntN(10) == 0 {
		ts := meta.Now()
		p.DeletionTimestamp = &ts
	}
	return p
}

// churn adds and removes pods on a few nodes and updates the snapshot in
// place.
func (c *spreadCluster) churn(t testing.TB) {
	t.Helper()
	changed := map[string]*framework.NodeInfo{}
	for range 1 + c.rng.IntN(3) {
		name := c.names[c.rng.IntN(len(c.names))]
		ni, ok := changed[name]
		if !ok {
			ni = c.infos[name].Clone()
		}
		if len(ni.Pods) > 0 && c.rng.IntN(3) == 0 {
			if err := ni.RemovePod(ni.Pods[c.rng.IntN(len(ni.Pods))].Pod); err != nil {
				t.Fatal(err)
			}
		} else {
			p := c.randomPod()
			p.Spec.NodeName = name
			if err := ni.AddPod(p); err != nil {
				t.Fatal(err)
			}
		}
		changed[name] = ni
		c.infos[name] = ni
	}
	if !c.snap.UpdateNodeInfos(changed) {
		t.Fatal("UpdateNodeInfos refused a known node")
	}
}

func statusString(s *framework.Status) string {
	if s.IsSuccess() {
		return "ok"
	}
	return fmt.Sprintf("%v: %s", s.Code(), s.Message())
}

func TestPodTopologySpreadSnapshotCounts(t *testing.T) {
	honor, ignore := core.NodeInclusionPolicyHonor, core.NodeInclusionPolicyIgnore
	two := int32(2)
	five := int32(5)
	nodeSel := func(kv ...string) podOpt {
		return func(p *core.Pod) {
			p.Spec.NodeSelector = map[string]string{}
			for i := 0; i+1 < len(kv); i += 2 {
				p.Spec.NodeSelector[kv[i]] = kv[i+1]
			}
		}
	}
	tolerate := func(p *core.Pod) {
		p.Spec.Tolerations = []core.Toleration{{Key: "dedicated", Operator: core.TolerationOpExists}}
	}
	anyHost := func(p *core.Pod) {
		p.Spec.Affinity = &core.Affinity{NodeAffinity: &core.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &core.NodeSelector{
			NodeSelectorTerms: []core.NodeSelectorTerm{{MatchExpressions: []core.NodeSelectorRequirement{{Key: core.LabelHostname, Operator: core.NodeSelectorOpExists}}}}}}}
	}
	inNS := func(ns string) podOpt { return func(p *core.Pod) { p.Namespace = ns } }
	notDB := func(c *core.TopologySpreadConstraint) {
		c.LabelSelector = &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "app", Operator: meta.LabelSelectorOpNotIn, Values: []string{"db"}}}}
	}
	const zone, host = core.LabelTopologyZone, core.LabelHostname
	pods := []struct {
		name string
		pod  *core.Pod
		// indexed: every node counts, so the snapshot's counts serve
		// (on clusters where every node has every key); taints: not on
		// tainted clusters.
		indexed, taints bool
	}{
		{"zone", mkPod("x", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule)), true, false},
		{"hostname", mkPod("x", podLabels("app", "web"), spread(host, 1, core.DoNotSchedule)), true, false},
		{"zone and hostname", mkPod("x", podLabels("app", "web"), spread(zone, 2, core.DoNotSchedule), spread(host, 1, core.DoNotSchedule)), true, false},
		{"other namespace", mkPod("x", inNS("other"), podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule)), true, false},
		{"notin selector", mkPod("x", podLabels("app", "db"), spread(zone, 1, core.DoNotSchedule, notDB)), true, false},
		{"matchLabelKeys", mkPod("x", podLabels("app", "web", "ver", "1"), spread(host, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.MatchLabelKeys = []string{"ver"} })), true, false},
		{"minDomains", mkPod("x", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.MinDomains = &five })), true, false},
		{"minDomains met", mkPod("x", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.MinDomains = &two })), true, false},
		{"node affinity matching all", mkPod("x", podLabels("app", "web"), anyHost, spread(zone, 1, core.DoNotSchedule)), true, false},
		{"node selector honoured", mkPod("x", podLabels("app", "web"), nodeSel("disk", "ssd"), spread(zone, 1, core.DoNotSchedule)), false, false},
		{"node selector ignored", mkPod("x", podLabels("app", "web"), nodeSel("disk", "ssd"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.NodeAffinityPolicy = &ignore })), true, false},
		{"taints honoured", mkPod("x", podLabels("app", "web"), spread(host, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.NodeTaintsPolicy = &honor })), true, true},
		{"taints honoured and tolerated", mkPod("x", podLabels("app", "web"), tolerate, spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.NodeTaintsPolicy = &honor })), true, false},
		{"preferred zone", mkPod("x", podLabels("app", "web"), spread(zone, 1, core.ScheduleAnyway)), true, false},
		{"preferred hostname", mkPod("x", podLabels("app", "web"), spread(host, 2, core.ScheduleAnyway)), true, false},
		{"preferred zone and hostname, node selector", mkPod("x", podLabels("app", "web"), nodeSel("disk", "hdd"), spread(zone, 1, core.ScheduleAnyway), spread(host, 1, core.ScheduleAnyway)), false, false},
		{"required and preferred", mkPod("x", podLabels("app", "web"), spread(host, 3, core.DoNotSchedule), spread(zone, 1, core.ScheduleAnyway)), true, false},
	}
	clusters := []struct {
		name              string
		zoneless, tainted bool
	}{{"every key", false, false}, {"tainted", false, true}, {"zoneless nodes", true, false}}
	for _, cl := range clusters {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%s/%d", cl.name, seed), func(t *testing.T) {
				c := newSpreadCluster(seed, 12, cl.zoneless, cl.tainted)
				for range 30 {
					c.churn(t)
				}
				fast, slow := oneFramework(t, c.snap, framework.PodTopologySpreadName), oneFramework(t, plainLister{c.snap}, framework.PodTopologySpreadName)
				for round := range 8 {
					for _, tt := range pods {
						want := tt.indexed && (!cl.tainted || !tt.taints)
						for _, sc := range tt.pod.Spec.TopologySpreadConstraints {
							if cl.zoneless && sc.TopologyKey == zone && sc.WhenUnsatisfiable == core.DoNotSchedule {
								want = false
							}
						}
						compareSpread(t, fmt.Sprintf("round %d: %s", round, tt.name), c, fast, slow, tt.pod, want)
					}
					for range 5 {
						c.churn(t)
					}
				}
			})
		}
	}
}

// preFilterBoth runs PreFilter with both frameworks and fails unless they
// agree; it returns the nodes, both cycle states and the status.
func preFilterBoth(t *testing.T, name string, c *spreadCluster, fast, slow *framework.Framework, pod *core.Pod) ([]*framework.NodeInfo, *framework.CycleState, *framework.CycleState, *framework.Status) {
	t.Helper()
	ctx := context.Background()
	nodes, _ := c.snap.NodeInfos().List()
	fs, ss := framework.NewCycleState(), framework.NewCycleState()
	_, fst := fast.RunPreFilterPlugins(ctx, fs, pod)
	_, sst := slow.RunPreFilterPlugins(ctx, ss, pod)
	if statusString(fst) != statusString(sst) {
		t.Fatalf("%s: PreFilter %v, reference %v", name, fst, sst)
	}
	return nodes, fs, ss, fst
}

// filterBoth runs Filter on every node with the snapshot's counts (fast,
// state fs) and without (slow, state ss) and compares the statuses.
func filterBoth(t *testing.T, what string, nodes []*framework.NodeInfo, fast, slow *framework.Framework, fs, ss *framework.CycleState, pod *core.Pod) {
	t.Helper()
	ctx := context.Background()
	for _, ni := range nodes {
		f, s := fast.RunFilterPlugins(ctx, fs, pod, ni), slow.RunFilterPlugins(ctx, ss, pod, ni)
		if statusString(f) != statusString(s) {
			t.Errorf("%s: Filter(%s) = %s, reference %s", what, ni.NodeName(), statusString(f), statusString(s))
		}
	}
}

// compareSpread runs PreFilter, Filter, the AddPod/RemovePod extensions
// and PreScore/Score with the snapshot's counts (fast) and without
// (slow), and compares the results.
func compareSpread(t *testing.T, name string, c *spreadCluster, fast, slow *framework.Framework, pod *core.Pod, wantIndexed bool) {
	t.Helper()
	ctx := context.Background()
	nodes, fs, ss, fst := preFilterBoth(t, name, c, fast, slow, pod)
	if s, err := framework.ReadAs[*ptsState](fs, ptsPreFilterKey); err == nil {
		if indexed := s.counts[0].base != nil; indexed != wantIndexed {
			t.Errorf("%s: snapshot counts used %v, want %v", name, indexed, wantIndexed)
		}
	}
	filter := func(fs, ss *framework.CycleState, what string) {
		t.Helper()
		filterBoth(t, name+": "+what, nodes, fast, slow, fs, ss, pod)
	}
	if fst.IsSuccess() {
		filter(fs, ss, "after PreFilter")
		// Preemption and nominated pods: remove and add pods on clones.
		fc, sc := fs.Clone(), ss.Clone()
		for i := range 4 {
			ni := nodes[c.rng.IntN(len(nodes))]
			var pi *framework.PodInfo
			if i%2 == 0 && len(ni.Pods) > 0 {
				pi = ni.Pods[c.rng.IntN(len(ni.Pods))]
				must(t, fast.RunPreFilterExtensionRemovePod(ctx, fc, pod, pi, ni).AsError())
				must(t, slow.RunPreFilterExtensionRemovePod(ctx, sc, pod, pi, ni).AsError())
			} else {
				p := c.randomPod()
				p.Spec.NodeName = ni.NodeName()
				pi, _ = framework.NewPodInfo(p)
				must(t, fast.RunPreFilterExtensionAddPod(ctx, fc, pod, pi, ni).AsError())
				must(t, slow.RunPreFilterExtensionAddPod(ctx, sc, pod, pi, ni).AsError())
			}
			filter(fc, sc, fmt.Sprintf("after extension %d", i))
		}
		// The original state is not affected by its clone.
		filter(fs, ss, "after the clone changed")
	}
	fsc, ssc := framework.NewCycleState(), framework.NewCycleState()
	fp, sp := fast.RunPreScorePlugins(ctx, fsc, pod, nodes), slow.RunPreScorePlugins(ctx, ssc, pod, nodes)
	if statusString(fp) != statusString(sp) {
		t.Fatalf("%s: PreScore %v, reference %v", name, fp, sp)
	}
	if !fp.IsSuccess() {
		return
	}
	fscores, fe := fast.RunScorePlugins(ctx, fsc, pod, nodes)
	sscores, se := slow.RunScorePlugins(ctx, ssc, pod, nodes)
	if statusString(fe) != statusString(se) {
		t.Fatalf("%s: Score %v, reference %v", name, fe, se)
	}
	for i := range fscores {
		if fscores[i].Name != sscores[i].Name || fscores[i].TotalScore != sscores[i].TotalScore {
			t.Errorf("%s: score %s %d, reference %s %d", name, fscores[i].Name, fscores[i].TotalScore, sscores[i].Name, sscores[i].TotalScore)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
