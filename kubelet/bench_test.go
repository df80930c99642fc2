package kubelet_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/kubelet"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// BenchmarkHollowNodes starts many kubelets on cri/fake against one
// in-process API server (LONGSHORE_HOLLOW_NODES, default 100), lets them
// heartbeat for 25 s with the default 10 s lease period, and reports the
// heap per node and the oldest lease renewal seen (on time: <= 10 s).
func BenchmarkHollowNodes(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("LONGSHORE_HOLLOW_NODES")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		c := startAPI(b)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		start := time.Now()
		for j := 0; j < n; j++ {
			rt, err := fake.New(&fake.Options{PodCIDR: fmt.Sprintf("198.18.%d.0/24", j%256)})
			if err != nil {
				b.Fatal(err)
			}
			k, err := kubelet.New(c, rt, rt, &kubelet.Options{NodeName: fmt.Sprintf("hollow-%d", j),
				Capacity: core.ResourceList{core.ResourceCPU: resource4, core.ResourceMemory: resource8Gi},
				RootDir:  b.TempDir(), PodLogsDir: b.TempDir(),
				Pressure: func(context.Context) kubelet.Pressure { return kubelet.Pressure{} }})
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() { defer wg.Done(); _ = k.Run(ctx) }()
		}
		leases := client.MustFor[*coordination.Lease](c).Namespace(kubelet.NodeLeaseNamespace)
		for {
			l, err := leases.List(context.Background(), client.ListOptions{})
			if err == nil && len(l.Items) == n {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		registered := time.Since(start)
		var worst time.Duration
		for end := time.Now().Add(25 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
			l, err := leases.List(context.Background(), client.ListOptions{})
			if err != nil {
				continue
			}
			now := time.Now()
			for _, it := range l.Items {
				if age := now.Sub(it.Spec.RenewTime.Time); age > worst {
					worst = age
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse-base)/float64(n), "heap-bytes/node")
		b.ReportMetric(float64(runtime.NumGoroutine())/float64(n), "goroutines/node")
		b.ReportMetric(registered.Seconds(), "register-s")
		b.ReportMetric(worst.Seconds(), "max-lease-age-s")
		cancel()
		wg.Wait()
	}
}

// BenchmarkPodStartupLatency creates 100 pods at 10 pods/s on a kubelet
// running on a real containerd and measures, as Kubernetes' pod startup
// SLI does, creation to Running observed through a watch. It also reports
// the runtime's mean RunPodSandbox, CreateContainer and StartContainer
// times; LONGSHORE_BENCH_RUNTIME_SLOTS=N bounds how many of those run at
// once (to see how the runtime behaves without contention).
func BenchmarkPodStartupLatency(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, _, rt := startContainerd(b, ctx, testServer)
	c := startAPI(b)
	opts := fastOptions(b, "n1")
	opts.Capacity[core.ResourcePods] = resource200
	opts.RelistPeriod, opts.HousekeepingPeriod = time.Second, 2*time.Second
	trt := &timedRuntime{RuntimeService: rt}
	if v, err := strconv.Atoi(os.Getenv("LONGSHORE_BENCH_RUNTIME_SLOTS")); err == nil && v > 0 {
		trt.slots = make(chan struct{}, v)
	}
	k, err := kubelet.New(c, trt, rt, &opts)
	if err != nil {
		b.Fatal(err)
	}
	kctx, kcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	defer func() { kcancel(); <-done }()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	time.Sleep(500 * time.Millisecond)
	for i := 0; i < b.N; i++ {
		const total = 100
		created := map[string]time.Time{}
		running := map[string]time.Duration{}
		var mu sync.Mutex
		wctx, wcancel := context.WithCancel(ctx)
		watchDone := make(chan struct{})
		go func() {
			defer close(watchDone)
			_ = pods.WatchResume(wctx, client.ListOptions{}, func(ev client.Event[*core.Pod]) error {
				if ev.Object == nil || ev.Object.Status.Phase != core.PodRunning {
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				if t, ok := created[ev.Object.Name]; ok {
					if _, seen := running[ev.Object.Name]; !seen {
						running[ev.Object.Name] = time.Since(t)
					}
				}
				return nil
			})
		}()
		tick := time.NewTicker(100 * time.Millisecond)
		for j := 0; j < total; j++ {
			<-tick.C
			name := fmt.Sprintf("lat-%d-%d", i, j)
			p := pod(name, core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever})
			p.Namespace, p.Spec.NodeName = "default", "n1"
			mu.Lock()
			created[name] = time.Now()
			mu.Unlock()
			if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			mu.Lock()
			n := len(running)
			mu.Unlock()
			if n == total || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		wcancel()
		<-watchDone
		var lat []time.Duration
		for _, d := range running {
			lat = append(lat, d)
		}
		if len(lat) < total {
			b.Fatalf("only %d of %d pods reached Running", len(lat), total)
		}
		sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
		trt.report(b)
		for j := 0; j < total; j++ {
			_ = pods.Delete(ctx, fmt.Sprintf("lat-%d-%d", i, j), nil)
		}
	}
}

var (
	resource4   = resourceMust("4")
	resource8Gi = resourceMust("8Gi")
	resource200 = resourceMust("200")
)

func resourceMust(s string) resource.Quantity { return resource.MustParse(s) }

// timedRuntime measures the runtime's share of pod startup.
type timedRuntime struct {
	cri.RuntimeService
	mu              sync.Mutex
	sandbox, create time.Duration
	start           time.Duration
	nSandbox, nCtr  int
	slots           chan struct{} // when set, bounds concurrent sandbox/container starts
}

func (t *timedRuntime) acquire() func() {
	if t.slots == nil {
		return func() {}
	}
	t.slots <- struct{}{}
	return func() { <-t.slots }
}

func (t *timedRuntime) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	defer t.acquire()()
	s := time.Now()
	resp, err := t.RuntimeService.RunPodSandbox(ctx, req)
	t.mu.Lock()
	t.sandbox += time.Since(s)
	t.nSandbox++
	t.mu.Unlock()
	return resp, err
}

func (t *timedRuntime) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	defer t.acquire()()
	s := time.Now()
	resp, err := t.RuntimeService.CreateContainer(ctx, req)
	t.mu.Lock()
	t.create += time.Since(s)
	t.nCtr++
	t.mu.Unlock()
	return resp, err
}

func (t *timedRuntime) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	defer t.acquire()()
	s := time.Now()
	resp, err := t.RuntimeService.StartContainer(ctx, req)
	t.mu.Lock()
	t.start += time.Since(s)
	t.mu.Unlock()
	return resp, err
}

func (t *timedRuntime) report(b *testing.B) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nSandbox > 0 && t.nCtr > 0 {
		b.ReportMetric(float64(t.sandbox.Milliseconds())/float64(t.nSandbox), "runsandbox-ms")
		b.ReportMetric(float64(t.create.Milliseconds())/float64(t.nCtr), "createctr-ms")
		b.ReportMetric(float64(t.start.Milliseconds())/float64(t.nCtr), "startctr-ms")
	}
}
