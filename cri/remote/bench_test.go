package remote_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// benchPodStart measures RunPodSandbox → CreateContainer → StartContainer
// until the container reports RUNNING, one pod at a time, and reports the
// p50 and p99 latencies (and the p50 of RunPodSandbox alone). Removing the
// pod is not timed.
func benchPodStart(b *testing.B, rt cri.RuntimeService, image string) {
	ctx := context.Background()
	var lat, sandboxLat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cfg := &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: fmt.Sprintf("bench%d", i), Namespace: "bench", Uid: fmt.Sprintf("bench-%d-%d", i, start.UnixNano())}}
		pod, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		sandboxLat = append(sandboxLat, time.Since(start))
		c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "main"},
			Image:    &runtimeapi.ImageSpec{Image: image},
			Command:  []string{"sleep", "3600"},
		}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId}); err != nil {
			b.Fatal(err)
		}
		st, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ContainerId})
		if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
			b.Fatalf("container state %v, %v", st.GetStatus().GetState(), err)
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	pct := func(l []time.Duration, p float64) float64 {
		slices.Sort(l)
		return float64(l[int(p*float64(len(l)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(sandboxLat, 0.50), "sandbox-p50-ms")
}

// BenchmarkPodStart: go test -run XXX -bench PodStart -benchtime=50x ./cri/remote/
func BenchmarkPodStart(b *testing.B) {
	b.Run("containerd-cri", func(b *testing.B) {
		env := startContainerd(b)
		benchPodStart(b, env.client, busyboxImage)
	})
	b.Run("fake-over-grpc", func(b *testing.B) {
		_, c := serveFake(b)
		benchPodStart(b, c, testImage)
	})
}
