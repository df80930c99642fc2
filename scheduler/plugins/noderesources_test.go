package plugins

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestNodeResourcesFitFilter(t *testing.T) {
	snap := framework.NewSnapshot([]*core.Pod{
		mkPod("busy", onNode("small"), req("cpu", "1500m", "memory", "1Gi")),
	}, []*core.Node{
		mkNode("small", alloc("cpu", "2", "memory", "2Gi", "pods", "2", "ephemeral-storage", "10Gi")),
		mkNode("gpu", alloc("cpu", "8", "memory", "16Gi", "pods", "110", "example.com/gpu", "2")),
		mkNode("full", alloc("cpu", "8", "memory", "16Gi", "pods", "0")),
	})
	fw := newFramework(t, snap, nil, nil, framework.NodeResourcesFitName)
	tests := []struct {
		name    string
		pod     *core.Pod
		reasons map[string][]string
	}{
		{"small pod", mkPod("p", req("cpu", "500m", "memory", "512Mi")), map[string][]string{"full": {"Too many pods"}}},
		{"cpu", mkPod("p", req("cpu", "1")), map[string][]string{"small": {"Insufficient cpu"}, "full": {"Too many pods"}}},
		{"cpu and memory", mkPod("p", req("cpu", "1", "memory", "2Gi")), map[string][]string{"small": {"Insufficient cpu", "Insufficient memory"}, "full": {"Too many pods"}}},
		{"ephemeral storage", mkPod("p", req("ephemeral-storage", "20Gi")), map[string][]string{"small": {"Insufficient ephemeral-storage"}, "gpu": {"Insufficient ephemeral-storage"}, "full": {"Too many pods", "Insufficient ephemeral-storage"}}},
		{"extended resource", mkPod("p", req("example.com/gpu", "1")), map[string][]string{"small": {"Insufficient example.com/gpu"}, "full": {"Too many pods", "Insufficient example.com/gpu"}}},
		{"too much extended", mkPod("p", req("example.com/gpu", "3")), map[string][]string{"small": {"Insufficient example.com/gpu"}, "gpu": {"Insufficient example.com/gpu"}, "full": {"Too many pods", "Insufficient example.com/gpu"}}},
		{"init container peak", mkPod("p", req("cpu", "100m"), func(p *core.Pod) {
			p.Spec.InitContainers = []core.Container{{Name: "i", Resources: core.ResourceRequirements{Requests: rl("cpu", "1")}}}
		}), map[string][]string{"small": {"Insufficient cpu"}, "full": {"Too many pods"}}},
		{"overhead", mkPod("p", req("cpu", "400m"), func(p *core.Pod) { p.Spec.Overhead = rl("cpu", "200m") }), map[string][]string{"small": {"Insufficient cpu"}, "full": {"Too many pods"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			for n, s := range got {
				want := tt.reasons[n]
				if !slices.Equal(s.Reasons(), want) {
					t.Errorf("%s: reasons %q, want %q", n, s.Reasons(), want)
				}
				if len(want) > 0 && s.Code() != framework.Unschedulable {
					t.Errorf("%s: code %v", n, s.Code())
				}
			}
		})
	}
	t.Run("ignored resource group", func(t *testing.T) {
		fw := newFramework(t, snap, nil, map[string]string{framework.NodeResourcesFitName: `{"ignoredResourceGroups":["example.com"]}`}, framework.NodeResourcesFitName)
		got, _ := filterResult(t, fw, snap, mkPod("p", req("example.com/gpu", "5")))
		if !got["small"].IsSuccess() || !got["gpu"].IsSuccess() {
			t.Errorf("ignored group still checked: %v", got)
		}
	})
}

func TestNodeResourcesFitScore(t *testing.T) {
	// Two 4-cpu/8Gi nodes, one with a 2-cpu/4Gi pod.
	snap := framework.NewSnapshot([]*core.Pod{mkPod("busy", onNode("used"), req("cpu", "2", "memory", "4Gi"))},
		[]*core.Node{mkNode("empty", alloc("cpu", "4", "memory", "8Gi", "pods", "10")), mkNode("used", alloc("cpu", "4", "memory", "8Gi", "pods", "10"))})
	pod := mkPod("p", req("cpu", "1", "memory", "2Gi"))
	tests := []struct {
		name string
		args string
		pod  *core.Pod
		want map[string]int64
	}{
		{"least allocated", ``, pod, map[string]int64{"empty": 75, "used": 25}},
		{"most allocated", `{"scoringStrategy":{"type":"MostAllocated"}}`, pod, map[string]int64{"empty": 25, "used": 75}},
		{"least allocated, no requests use defaults", ``, mkPod("p"), map[string]int64{"empty": 97, "used": 47}},
		{"weighted", `{"scoringStrategy":{"type":"LeastAllocated","resources":[{"name":"cpu","weight":3},{"name":"memory","weight":1}]}}`,
			mkPod("p", req("cpu", "2", "memory", "2Gi")), map[string]int64{"empty": (50*3 + 75) / 4, "used": (0*3 + 25) / 4}},
		{"requested to capacity ratio", `{"scoringStrategy":{"type":"RequestedToCapacityRatio","requestedToCapacityRatio":{"shape":[{"utilization":0,"score":10},{"utilization":100,"score":0}]}}}`,
			pod, map[string]int64{"empty": 75, "used": 25}},
		{"ratio with a bend", `{"scoringStrategy":{"type":"RequestedToCapacityRatio","requestedToCapacityRatio":{"shape":[{"utilization":0,"score":0},{"utilization":50,"score":10},{"utilization":100,"score":0}]}}}`,
			pod, map[string]int64{"empty": 50, "used": 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args map[string]string
			if tt.args != "" {
				args = map[string]string{framework.NodeResourcesFitName: tt.args}
			}
			fw := newFramework(t, snap, nil, args, framework.NodeResourcesFitName)
			got := scoreNodes(t, fw, snap, tt.pod)
			for n, w := range tt.want {
				if got[n] != w {
					t.Errorf("%s = %d, want %d", n, got[n], w)
				}
			}
		})
	}
}

func TestNodeResourcesFitArgs(t *testing.T) {
	tests := []struct {
		name string
		args string
	}{
		{"unknown type", `{"scoringStrategy":{"type":"Random"}}`},
		{"ratio without shape", `{"scoringStrategy":{"type":"RequestedToCapacityRatio"}}`},
		{"unsorted shape", `{"scoringStrategy":{"type":"RequestedToCapacityRatio","requestedToCapacityRatio":{"shape":[{"utilization":50,"score":1},{"utilization":10,"score":2}]}}}`},
		{"score out of range", `{"scoringStrategy":{"type":"RequestedToCapacityRatio","requestedToCapacityRatio":{"shape":[{"utilization":50,"score":11}]}}}`},
		{"bad weight", `{"scoringStrategy":{"resources":[{"name":"cpu","weight":0}]}}`},
		{"unknown field", `{"scoringStrateg":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewNodeResourcesFit(context.Background(), framework.RawArgs(tt.args), nil)
			if !errors.Is(err, framework.ErrInvalidArgs) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestBalancedAllocation(t *testing.T) {
	snap := framework.NewSnapshot([]*core.Pod{mkPod("busy", onNode("b"), req("cpu", "1", "memory", "0"))},
		[]*core.Node{mkNode("a", alloc("cpu", "4", "memory", "8Gi", "pods", "10")), mkNode("b", alloc("cpu", "4", "memory", "8Gi", "pods", "10"))})
	fw := newFramework(t, snap, nil, nil, framework.NodeResourcesBalancedAllocationName)
	// On a: cpu 1/4, memory 4/8 → std 0.125 → 87. On b: cpu 2/4,
	// memory 4/8 → 100.
	got := scoreNodes(t, fw, snap, mkPod("p", req("cpu", "1", "memory", "4Gi")))
	if got["a"] != 87 || got["b"] != 100 {
		t.Errorf("scores %v", got)
	}
	if v := balancedScore([]int64{1, 2, 3}, []int64{4, 4, 4}); v != 79 {
		// fractions .25 .5 .75: std sqrt(((.25)^2*2)/3) = 0.204 → 79.
		t.Errorf("three resources: %d", v)
	}
}

func TestImageLocality(t *testing.T) {
	img := func(name string, size int64) nodeOpt {
		return func(n *core.Node) {
			n.Status.Images = append(n.Status.Images, core.ContainerImage{Names: []string{name}, SizeBytes: size})
		}
	}
	snap := framework.NewSnapshot(nil, []*core.Node{
		mkNode("big", img("app:v1", 500*mb), img("sidecar:v1", 300*mb)),
		mkNode("small", img("app:v1", 500*mb)),
		mkNode("none"),
		mkNode("tiny", img("tiny:latest", 10*mb)),
	})
	fw := newFramework(t, snap, nil, nil, framework.ImageLocalityName)
	pod := mkPod("p", func(p *core.Pod) {
		p.Spec.Containers = []core.Container{{Name: "a", Image: "app:v1"}, {Name: "s", Image: "sidecar:v1"}, {Name: "t", Image: "tiny"}}
	})
	// app on 2 of 4 nodes counts 250 MiB, sidecar on 1 of 4 75 MiB, tiny
	// 2.5 MiB; range [23 MiB, 3000 MiB].
	score := func(sum int64) int64 {
		return 100 * (max(sum, imageMinThreshold) - imageMinThreshold) / (3000*mb - imageMinThreshold)
	}
	want := map[string]int64{"big": score(325 * mb), "small": score(250 * mb), "none": 0, "tiny": 0}
	got := scoreNodes(t, fw, snap, pod)
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s = %d, want %d", n, got[n], w)
		}
	}
	if got["big"] <= got["small"] {
		t.Errorf("big %d should beat small %d", got["big"], got["small"])
	}
}
