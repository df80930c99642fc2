package tiered_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// BenchmarkCycle measures TieredPlacement alone over 1,000 nodes holding
// 10 pods each: Filter on every node, then PreScore, Score and
// NormalizeScore on the 500 that fit.
func BenchmarkCycle(b *testing.B) {
	ctx := context.Background()
	var nodes []*core.Node
	var pods []*core.Pod
	for i := range 1000 {
		tier := "gold"
		if i%2 == 1 {
			tier = "silver"
		}
		name := fmt.Sprintf("node-%04d", i)
		nodes = append(nodes, node(name, tier))
		for j := range 10 {
			pods = append(pods, pod("default", fmt.Sprintf("p-%d-%d", i, j), tier, fmt.Sprintf("app-%d", j%3), name))
		}
	}
	fw, snap := newFramework(b, nil, pods, nodes)
	infos, err := snap.NodeInfos().List()
	if err != nil {
		b.Fatal(err)
	}
	p := pod("default", "new", "gold", "app-1", "")
	b.ReportAllocs()
	for b.Loop() {
		state := framework.NewCycleState()
		feasible := make([]*framework.NodeInfo, 0, len(infos))
		for _, ni := range infos {
			if fw.RunFilterPlugins(ctx, state, p, ni).IsSuccess() {
				feasible = append(feasible, ni)
			}
		}
		if st := fw.RunPreScorePlugins(ctx, state, p, feasible); !st.IsSuccess() {
			b.Fatal(st)
		}
		if _, st := fw.RunScorePlugins(ctx, state, p, feasible); !st.IsSuccess() {
			b.Fatal(st)
		}
		if len(feasible) != 500 {
			b.Fatalf("%d nodes fit, want 500", len(feasible))
		}
	}
}
