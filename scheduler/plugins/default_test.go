package plugins

import (
	"context"
	"slices"
	"testing"

	"github.com/longshore/longshore/api/core"
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
