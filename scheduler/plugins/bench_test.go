package plugins

import (
	"context"
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// BenchmarkDefaultProfileCycle measures one scheduling cycle of the
// default profile (PreFilter, Filter on every node, PreScore, Score with
// normalisation) for a pod with requests over nodes in 10 zones holding
// 10 pods each.
func BenchmarkDefaultProfileCycle(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var nodes []*core.Node
			var pods []*core.Pod
			for i := range n {
				name := fmt.Sprintf("n%d", i)
				nodes = append(nodes, mkNode(name, nodeLabels(core.LabelTopologyZone, fmt.Sprintf("z%d", i%10))))
				for j := range 10 {
					pods = append(pods, mkPod(fmt.Sprintf("p%d-%d", i, j), onNode(name), req("cpu", "100m", "memory", "256Mi"), podLabels("app", fmt.Sprintf("a%d", j))))
				}
			}
			snap := framework.NewSnapshot(pods, nodes)
			cfg := framework.DefaultConfig()
			fw, err := framework.New(context.Background(), NewInTreeRegistry(), &cfg.Profiles[0], &framework.Options{Snapshot: snap, Parallelism: 16})
			if err != nil {
				b.Fatal(err)
			}
			pod := mkPod("new", req("cpu", "200m", "memory", "512Mi"), podLabels("app", "a1"),
				spread(core.LabelTopologyZone, 1, core.ScheduleAnyway))
			b.ReportAllocs()
			for b.Loop() {
				if node, _ := pickNode(b, fw, snap, pod); node == "" {
					b.Fatal("no node")
				}
			}
		})
	}
}
