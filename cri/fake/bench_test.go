package fake

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// BenchmarkPodLifecycle runs a sandbox with one running container, then
// stops and removes it.
func BenchmarkPodLifecycle(b *testing.B) {
	r := newRuntime(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cfg := &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "ns", Uid: fmt.Sprint(i)}}
		pod, err := r.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		c, err := r.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: img}, Command: []string{"/server"},
		}})
		if err != nil {
			b.Fatal(err)
		}
		r.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId})
		r.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
		r.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
	}
}

// BenchmarkHollowNode measures the heap of one fake holding 30 running
// pods, the load of a hollow node.
func BenchmarkHollowNode(b *testing.B) {
	const pods = 30
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep := make([]*Runtime, 0, b.N)
	for i := 0; i < b.N; i++ {
		r, err := New(&Options{Images: []string{img}, PodCIDR: "198.18.0.0/24"})
		if err != nil {
			b.Fatal(err)
		}
		for p := range pods {
			cfg := &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "ns", Uid: fmt.Sprint(p)}}
			pod, _ := r.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
			c, _ := r.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, Config: &runtimeapi.ContainerConfig{
				Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: img}, Command: []string{"/server"},
			}})
			r.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId})
		}
		keep = append(keep, r)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-bytes/node")
	runtime.KeepAlive(keep)
}
