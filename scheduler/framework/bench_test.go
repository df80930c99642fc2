package framework

import (
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/core"
)

func benchPods(n int, node string) []*core.Pod {
	pods := make([]*core.Pod, n)
	for i := range pods {
		pods[i] = testPod(fmt.Sprintf("p%d-%s", i, node), node, container(rl("cpu", "100m", "memory", "128Mi")), container(nil))
	}
	return pods
}

func BenchmarkPodRequests(b *testing.B) {
	pod := benchPods(1, "n")[0]
	b.ReportAllocs()
	for b.Loop() {
		PodRequests(pod, true)
	}
}

func BenchmarkNodeInfoClone(b *testing.B) {
	ni := NewNodeInfo(benchPods(30, "n")...)
	ni.SetNode(testNode("n", rl("cpu", "8", "memory", "32Gi", "pods", "110")))
	b.ReportAllocs()
	for b.Loop() {
		ni.Clone()
	}
}

func BenchmarkNewSnapshot1000x10(b *testing.B) {
	var nodes []*core.Node
	var pods []*core.Pod
	for i := range 1000 {
		name := fmt.Sprintf("n%d", i)
		nodes = append(nodes, testNode(name, rl("cpu", "8", "memory", "32Gi", "pods", "110")))
		pods = append(pods, benchPods(10, name)...)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewSnapshot(pods, nodes)
	}
}
