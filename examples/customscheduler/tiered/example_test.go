package tiered_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/examples/customscheduler/tiered"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

// Example runs TieredPlacement's Filter and Score over three nodes, as one
// scheduling cycle of the tiered-scheduler profile would.
func Example() {
	ctx := context.Background()
	tierNode := func(name, tier string) *core.Node {
		return &core.Node{
			ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{tiered.DefaultTierKey: tier}},
			Status: core.NodeStatus{Allocatable: core.ResourceList{
				core.ResourceCPU: resource.MustParse("4"), core.ResourceMemory: resource.MustParse("8Gi"), core.ResourcePods: resource.MustParse("110")}},
		}
	}
	web := func(name, nodeName string) *core.Pod {
		return &core.Pod{
			ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name,
				Labels: map[string]string{"app": "web"}, Annotations: map[string]string{tiered.DefaultTierKey: "gold"}},
			Spec: core.PodSpec{NodeName: nodeName, Containers: []core.Container{{Name: "web", Image: "nginx"}}},
		}
	}
	snap := framework.NewSnapshot(
		[]*core.Pod{web("web-1", "gold-1")},
		[]*core.Node{tierNode("gold-1", "gold"), tierNode("gold-2", "gold"), tierNode("silver-1", "silver")})

	// The in-tree plugins and TieredPlacement in one registry; the profile
	// adds TieredPlacement to the default plugins with a score weight of 5.
	registry := plugins.NewInTreeRegistry()
	if err := registry.Merge(tiered.Registry()); err != nil {
		fmt.Println(err)
		return
	}
	profile := framework.Profile{SchedulerName: "tiered-scheduler", Plugins: framework.MergePlugins(framework.DefaultPlugins(),
		&framework.Plugins{MultiPoint: framework.PluginSet{Enabled: []framework.PluginRef{{Name: tiered.Name, Weight: 5}}}})}
	fw, err := framework.New(ctx, registry, &profile, &framework.Options{Snapshot: snap})
	if err != nil {
		fmt.Println(err)
		return
	}

	pod := web("web-2", "")
	state := framework.NewCycleState()
	if _, st := fw.RunPreFilterPlugins(ctx, state, pod); !st.IsSuccess() {
		fmt.Println(st)
		return
	}
	infos, _ := snap.NodeInfos().List()
	var feasible []*framework.NodeInfo
	for _, ni := range infos {
		if st := fw.RunFilterPlugins(ctx, state, pod, ni); !st.IsSuccess() {
			fmt.Printf("%s rejected by %s: %s\n", ni.NodeName(), st.Plugin(), st.Message())
			continue
		}
		feasible = append(feasible, ni)
	}
	fw.RunPreScorePlugins(ctx, state, pod, feasible)
	scores, _ := fw.RunScorePlugins(ctx, state, pod, feasible)
	for _, s := range scores {
		for _, ps := range s.Scores {
			if ps.Name == tiered.Name {
				fmt.Printf("%s: %s score %d (weighted)\n", s.Name, ps.Name, ps.Score)
			}
		}
	}
	// Unordered output:
	// silver-1 rejected by TieredPlacement: node(s) didn't match the pod's tier "gold"
	// gold-1: TieredPlacement score 0 (weighted)
	// gold-2: TieredPlacement score 500 (weighted)
}
