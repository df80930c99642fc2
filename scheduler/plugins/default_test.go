package plugins

import (
	"context"
	"slices"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

// pickNode is one scheduling cycle without the queue and the cache:
// PreFilter, Filter, PreScore, Score, and the best total.
func pickNode(t testing.TB, fw *framework.Framework, snap *framework.Snapshot, pod *core.Pod) (string, map[string]*framework.Status) {
	t.Helper()
	statuses, state := filterResult(t, fw, snap, pod)
	var feasible []*framework.NodeInfo
	all, _ := snap.NodeInfos().List()
	for _, ni := range all {
		if statuses[ni.NodeName()].IsSuccess() {
			feasible = append(feasible, ni)
		}
	}
	if len(feasible) == 0 {
		return "", statuses
	}
	ctx := context.Background()
	if st := fw.RunPreScorePlugins(ctx, state, pod, feasible); !st.IsSuccess() {
		t.Fatal(st)
	}
	scores, st := fw.RunScorePlugins(ctx, state, pod, feasible)
	if !st.IsSuccess() {
		t.Fatal(st)
	}
	best := scores[0]
	for _, s := range scores[1:] {
		if s.TotalScore > best.TotalScore {
			best = s
		}
	}
	return best.Name, statuses
}

func TestDefaultProfile(t *testing.T) {
	snap := framework.NewSnapshot([]*core.Pod{
		mkPod("busy", onNode("loaded"), req("cpu", "3", "memory", "6Gi")),
	}, []*core.Node{
		mkNode("loaded"),
		mkNode("fresh"),
		mkNode("soft", taints(core.Taint{Key: "spot", Effect: core.TaintEffectPreferNoSchedule})),
		mkNode("cordoned", func(n *core.Node) { n.Spec.Unschedulable = true }),
	})
	cfg := framework.DefaultConfig()
	fw, err := framework.New(context.Background(), NewInTreeRegistry(), &cfg.Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	got := fw.ListPlugins()
	wantFilter := []string{framework.NodeUnschedulableName, framework.NodeNameName, framework.TaintTolerationName, framework.NodeAffinityName, framework.NodePortsName,
		framework.NodeResourcesFitName, framework.VolumeBindingName, framework.PodTopologySpreadName, framework.InterPodAffinityName}
	if !slices.Equal(got["filter"], wantFilter) {
		t.Errorf("filter plugins %v, want %v", got["filter"], wantFilter)
	}
	wantScore := []string{framework.TaintTolerationName, framework.NodeAffinityName, framework.NodeResourcesFitName, framework.PodTopologySpreadName,
		framework.InterPodAffinityName, framework.NodeResourcesBalancedAllocationName, framework.ImageLocalityName}
	if !slices.Equal(got["score"], wantScore) {
		t.Errorf("score plugins %v, want %v", got["score"], wantScore)
	}
	for name, w := range map[string]int64{framework.TaintTolerationName: 3, framework.NodeAffinityName: 2, framework.PodTopologySpreadName: 2, framework.InterPodAffinityName: 2, framework.NodeResourcesFitName: 1} {
		if fw.ScoreWeight(name) != w {
			t.Errorf("weight %s = %d, want %d", name, fw.ScoreWeight(name), w)
		}
	}
	if !slices.Equal(got["postFilter"], []string{framework.DefaultPreemptionName}) || !slices.Equal(got["bind"], []string{framework.DefaultBinderName}) ||
		!slices.Equal(got["preEnqueue"], []string{framework.SchedulingGatesName}) || !slices.Equal(got["queueSort"], []string{framework.PrioritySortName}) {
		t.Errorf("extension points: %v", got)
	}
	node, statuses := pickNode(t, fw, snap, mkPod("p", req("cpu", "500m", "memory", "1Gi")))
	if node != "fresh" {
		t.Errorf("picked %q, want fresh (statuses %v)", node, statuses)
	}
	if statuses["cordoned"].Plugin() != framework.NodeUnschedulableName {
		t.Errorf("cordoned rejected by %q", statuses["cordoned"].Plugin())
	}
}

func TestConfiguredProfile(t *testing.T) {
	cfg, err := framework.ParseConfig([]byte(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: bin-packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      - name: PodTopologySpread
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - name: cpu
          weight: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	snap := framework.NewSnapshot([]*core.Pod{mkPod("busy", onNode("loaded"), req("cpu", "2"))}, []*core.Node{mkNode("loaded"), mkNode("fresh")})
	fw, err := framework.New(context.Background(), NewInTreeRegistry(), &cfg.Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	if node, _ := pickNode(t, fw, snap, mkPod("p", req("cpu", "1"))); node != "loaded" {
		t.Errorf("bin packing picked %q", node)
	}
	cfg.Profiles[0].PluginConfig[0].Args = framework.RawArgs(`{"scoringStrategy":{"type":"Nope"}}`)
	if _, err := framework.New(context.Background(), NewInTreeRegistry(), &cfg.Profiles[0], nil); err == nil {
		t.Error("bad args accepted")
	}
}

// TestScoreNodeInfo checks that every in-tree Score plugin scores a
// NodeInfo as it scores the node of the same name.
func TestScoreNodeInfo(t *testing.T) {
	const zone = core.LabelTopologyZone
	img := func(n *core.Node) {
		n.Status.Images = []core.ContainerImage{{Names: []string{"web:1"}, SizeBytes: 500 << 20}}
	}
	affinity := func(p *core.Pod) {
		p.Spec.Affinity = &core.Affinity{
			PodAffinity: &core.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []core.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: core.PodAffinityTerm{
				LabelSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: zone}}}},
			NodeAffinity: &core.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []core.PreferredSchedulingTerm{{Weight: 5, Preference: core.NodeSelectorTerm{
				MatchExpressions: []core.NodeSelectorRequirement{{Key: zone, Operator: core.NodeSelectorOpIn, Values: []string{"z1"}}}}}}},
		}
	}
	snap := framework.NewSnapshot([]*core.Pod{
		mkPod("w1", onNode("a"), podLabels("app", "web"), req("cpu", "1", "memory", "1Gi")),
		mkPod("w2", onNode("b"), podLabels("app", "web"), req("cpu", "2")),
	}, []*core.Node{
		mkNode("a", nodeLabels(zone, "z1"), img),
		mkNode("b", nodeLabels(zone, "z2")),
		mkNode("c", nodeLabels(zone, "z2"), taints(core.Taint{Key: "spot", Effect: core.TaintEffectPreferNoSchedule})),
		mkNode("d"),
	})
	cfg := framework.DefaultConfig()
	fw, err := framework.New(context.Background(), NewInTreeRegistry(), &cfg.Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	pod := mkPod("p", podLabels("app", "web"), req("cpu", "500m"), affinity, spread(zone, 1, core.ScheduleAnyway), spread(core.LabelHostname, 1, core.ScheduleAnyway),
		func(p *core.Pod) { p.Spec.Containers[0].Image = "web:1" })
	ctx := context.Background()
	state := framework.NewCycleState()
	nodes, _ := snap.NodeInfos().List()
	if st := fw.RunPreScorePlugins(ctx, state, pod, nodes); !st.IsSuccess() {
		t.Fatal(st)
	}
	scorers := 0
	for _, name := range fw.ListPlugins()["score"] {
		p := fw.Plugin(name).(framework.ScorePlugin)
		direct, ok := p.(framework.NodeInfoScorer)
		if !ok {
			t.Errorf("%s does not score NodeInfos", name)
			continue
		}
		scorers++
		for _, ni := range nodes {
			want, wst := p.Score(ctx, state, pod, ni.NodeName())
			got, gst := direct.ScoreNodeInfo(ctx, state, pod, ni)
			if got != want || !wst.IsSuccess() || !gst.IsSuccess() {
				t.Errorf("%s on %s: ScoreNodeInfo = %d, %v; Score = %d, %v", name, ni.NodeName(), got, gst, want, wst)
			}
		}
	}
	if scorers != 7 {
		t.Errorf("%d scorers", scorers)
	}
}
