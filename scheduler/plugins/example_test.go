package plugins_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

// Example filters and scores three nodes with the default profile.
func Example() {
	ctx := context.Background()
	node := func(name, cpu string, ts ...core.Taint) *core.Node {
		return &core.Node{
			ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelHostname: name}},
			Spec:       core.NodeSpec{Taints: ts},
			Status: core.NodeStatus{Allocatable: core.ResourceList{
				core.ResourceCPU: resource.MustParse(cpu), core.ResourceMemory: resource.MustParse("8Gi"), core.ResourcePods: resource.MustParse("110")}},
		}
	}
	snap := framework.NewSnapshot(nil, []*core.Node{
		node("small", "500m"),
		node("big", "8"),
		node("gpu", "8", core.Taint{Key: "gpu", Value: "true", Effect: core.TaintEffectNoSchedule}),
	})
	cfg := framework.DefaultConfig()
	fw, err := framework.New(ctx, plugins.NewInTreeRegistry(), &cfg.Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		fmt.Println(err)
		return
	}
	pod := &core.Pod{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "web", Resources: core.ResourceRequirements{
			Requests: core.ResourceList{core.ResourceCPU: resource.MustParse("1")}}}}},
	}
	state := framework.NewCycleState()
	if _, st := fw.RunPreFilterPlugins(ctx, state, pod); !st.IsSuccess() {
		fmt.Println(st)
		return
	}
	nodes, _ := snap.NodeInfos().List()
	var feasible []*framework.NodeInfo
	for _, ni := range nodes {
		if st := fw.RunFilterPlugins(ctx, state, pod, ni); !st.IsSuccess() {
			fmt.Printf("%s: %s\n", ni.NodeName(), st.Message())
			continue
		}
		feasible = append(feasible, ni)
	}
	fw.RunPreScorePlugins(ctx, state, pod, feasible)
	scores, _ := fw.RunScorePlugins(ctx, state, pod, feasible)
	for _, s := range scores {
		fmt.Printf("%s fits, score %d\n", s.Name, s.TotalScore)
	}
	// TaintToleration 3*100 + NodeResourcesFit 92 + BalancedAllocation 93;
	// the other score plugins have nothing to say about this pod.

	// Output:
	// gpu: node(s) had untolerated taint {gpu: true}
	// small: Insufficient cpu
	// big fits, score 485
}
