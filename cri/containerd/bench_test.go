package containerd

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/internal/containerdproc"
)

// BenchmarkPodStart measures pod start (RunPodSandbox, CreateContainer,
// StartContainer, until the container is running) through this shim and
// through containerd's own CRI plugin, on one containerd, both with a CNI
// bridge and host-local. It reports the median and 99th percentile of each
// (shim-p50-ms, cri-p50-ms, ...); one iteration starts a pod on each, so
// run it with -benchtime=50x for 50 pods per runtime. ns/op covers both.
func BenchmarkPodStart(b *testing.B) {
	bridge := containerdproc.NewBridgeForTest(b)
	e := newEnvWith(b, &containerdproc.Options{CNIConfDir: bridge.ConfDir})
	ctx := context.Background()
	if err := e.inst.ImportImage(ctx, e.busybox); err != nil {
		b.Fatal(err)
	}
	shim := e.runtime(b)
	crc, err := remote.New(ctx, "unix://"+e.inst.Address(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { crc.Close() })
	runtimes := []struct {
		name string
		rt   cri.RuntimeService
		lat  []time.Duration
	}{
		{name: "shim", rt: shim},
		{name: "cri", rt: crc},
	}
	// Each iteration starts one pod on each runtime, in alternating order,
	// so both see the same machine load.
	i := 0
	for b.Loop() {
		for k := range runtimes {
			tc := &runtimes[(i+k)%len(runtimes)]
			d, id := startPod(b, tc.rt, fmt.Sprintf("bench-%s-%d", tc.name, i))
			tc.lat = append(tc.lat, d)
			b.StopTimer()
			removePod(b, tc.rt, id)
			b.StartTimer()
		}
		i++
	}
	for _, tc := range runtimes {
		slices.Sort(tc.lat)
		pct := func(p float64) float64 {
			return float64(tc.lat[min(len(tc.lat)-1, int(p*float64(len(tc.lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), tc.name+"-p50-ms")
		b.ReportMetric(pct(0.99), tc.name+"-p99-ms")
	}
}

// startPod runs a pod with one sleeping container and returns the time
// until the container was reported running.
func startPod(b *testing.B, rt cri.RuntimeService, name string) (time.Duration, string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "bench", Uid: name},
		Hostname:     name,
		LogDirectory: b.TempDir(),
	}
	start := time.Now()
	run, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: run.GetPodSandboxId(), SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "main"},
		Image:    &runtimeapi.ImageSpec{Image: testBusybox},
		Command:  []string{"sleep", "3600"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.GetContainerId()}); err != nil {
		b.Fatal(err)
	}
	for {
		st, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.GetContainerId()})
		if err != nil {
			b.Fatal(err)
		}
		if st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start), run.GetPodSandboxId()
}

func removePod(b *testing.B, rt cri.RuntimeService, id string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		b.Fatal(err)
	}
	if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		b.Fatal(err)
	}
}
