package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/scheduling"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/store/bolt"
)

// Modes of a run.
const (
	modeMemory = "memory"
	modeE2E    = "e2e"
)

// result is one workload's figures.
type result struct {
	Workload, Mode string
	Measured       int           // measured pods bound
	Elapsed        time.Duration // first measured pod created to last bound
	PodsPerSec     float64
	P50, P99       time.Duration // per measured pod: created to bound
	PeakHeap       uint64        // max runtime.MemStats.HeapInuse sampled
	// CPU is the process's user+system CPU time over the measured phase
	// (first measured pod created to the last bound): on a loaded
	// machine, Measured/CPU is the throughput one idle core would give.
	CPU time.Duration
	// Attempts counts scheduling attempts by result over the whole run.
	Attempts map[string]float64
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// attempts reads scheduler_schedule_attempts_total by result.
func attempts(reg *prometheus.Registry) map[string]float64 {
	out := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "scheduler_schedule_attempts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// errTimeout is returned when a workload does not finish in its time.
var errTimeout = errors.New("workload timed out")

// tracker records when each pod was created and bound.
type tracker struct {
	mu      sync.Mutex
	created map[string]time.Time
	bound   map[string]time.Time
	counts  map[string]int // bound pods by name prefix
	changed chan struct{}
}

func newTracker() *tracker {
	return &tracker{created: map[string]time.Time{}, bound: map[string]time.Time{}, counts: map[string]int{}, changed: make(chan struct{}, 1)}
}

func prefixOf(name string) string {
	if i := strings.IndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

func (t *tracker) create(name string) {
	t.mu.Lock()
	t.created[name] = time.Now()
	t.mu.Unlock()
}

func (t *tracker) bind(name string) {
	now := time.Now()
	t.mu.Lock()
	if _, ok := t.bound[name]; !ok {
		t.bound[name] = now
		t.counts[prefixOf(name)]++
	}
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) count(prefix string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[prefix]
}

// wait blocks until n pods of prefix are bound, or ctx ends.
func (t *tracker) wait(ctx context.Context, prefix string, n int) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for t.count(prefix) < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %d of %d %q pods bound", errTimeout, t.count(prefix), n, prefix)
		case <-t.changed:
		case <-tick.C:
		}
	}
	return nil
}

// figures computes throughput and latency over the pods of prefix.
func (t *tracker) figures(prefix string) (n int, elapsed time.Duration, p50, p99 time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var first, last time.Time
	var lat []time.Duration
	for name, b := range t.bound {
		if prefixOf(name) != prefix {
			continue
		}
		c := t.created[name]
		lat = append(lat, b.Sub(c))
		if first.IsZero() || c.Before(first) {
			first = c
		}
		if b.After(last) {
			last = b
		}
	}
	if len(lat) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(lat)
	return len(lat), last.Sub(first), lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

// heapSampler records the peak HeapInuse every 100 ms until stopped.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > h.peak.Load() {
			h.peak.Store(ms.HeapInuse)
		}
	}
	go func() {
		defer close(h.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-h.stop:
				sample()
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// cluster is where a workload creates its objects.
type cluster interface {
	addNode(ctx context.Context, n *core.Node) error
	deleteNode(ctx context.Context, n *core.Node) error
	addPods(ctx context.Context, pods []*core.Pod) error
	deletePod(ctx context.Context, p *core.Pod) error
}

// recorderPlugin is a PostBind plugin that reports bound pods to the
// tracker (in memory, where there is no informer to watch).
type recorderPlugin struct{ t *tracker }

func (recorderPlugin) Name() string { return "PerfRecorder" }
func (r recorderPlugin) PostBind(_ context.Context, _ *framework.CycleState, p *core.Pod, _ string) {
	r.t.bind(p.Name)
}

// memCluster feeds a local scheduler directly.
type memCluster struct {
	s *scheduler.Scheduler
	t *tracker
}

func (m *memCluster) addNode(_ context.Context, n *core.Node) error    { return m.s.AddNode(n) }
func (m *memCluster) deleteNode(_ context.Context, n *core.Node) error { return m.s.DeleteNode(n) }
func (m *memCluster) deletePod(_ context.Context, p *core.Pod) error   { return m.s.DeletePod(p) }
func (m *memCluster) addPods(_ context.Context, pods []*core.Pod) error {
	for _, p := range pods {
		m.t.create(p.Name)
		if err := m.s.AddPod(p); err != nil {
			return err
		}
	}
	return nil
}

func withRecorder(cfg *framework.Configuration) *framework.Configuration {
	cfg.Profiles[0].Plugins = framework.MergePlugins(cfg.Profiles[0].Plugins, &framework.Plugins{
		PostBind: framework.PluginSet{Enabled: []framework.PluginRef{{Name: "PerfRecorder"}}}})
	return cfg
}

// startMemory builds a local scheduler (no API server, no HTTP).
func startMemory(ctx context.Context, t *tracker, log *slog.Logger, reg prometheus.Registerer) (cluster, *scheduler.Scheduler, func(), error) {
	plugins := framework.Registry{"PerfRecorder": func(context.Context, any, framework.Handle) (framework.Plugin, error) {
		return recorderPlugin{t}, nil
	}}
	s, err := scheduler.NewLocal(ctx, &scheduler.Options{Config: withRecorder(framework.DefaultConfig()), Plugins: plugins, Logger: log, Metrics: reg})
	if err != nil {
		return nil, nil, nil, err
	}
	return &memCluster{s: s, t: t}, s, func() {}, nil
}

// apiCluster creates objects through the API server.
type apiCluster struct {
	c     *client.Client
	t     *tracker
	nodes *client.Resource[*core.Node]
	pods  *client.Resource[*core.Pod]
}

func (a *apiCluster) addNode(ctx context.Context, n *core.Node) error {
	created, err := a.nodes.Create(ctx, n, client.WriteOptions{})
	if err != nil {
		return err
	}
	created.Status = n.Status // the create drops status, as in Kubernetes
	_, err = a.nodes.UpdateStatus(ctx, created, client.WriteOptions{})
	return err
}

func (a *apiCluster) deleteNode(ctx context.Context, n *core.Node) error {
	return a.nodes.Delete(ctx, n.Name, nil)
}

func (a *apiCluster) deletePod(ctx context.Context, p *core.Pod) error {
	return a.pods.Namespace(p.Namespace).Delete(ctx, p.Name, nil)
}

// addPods creates pods with 4 concurrent clients, as fast as the server
// takes them.
func (a *apiCluster) addPods(ctx context.Context, pods []*core.Pod) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(pods) || ctx.Err() != nil {
					return
				}
				p := pods[i].DeepCopyObject().(*core.Pod)
				p.UID = ""
				if p.Spec.PriorityClassName != "" {
					p.Spec.Priority = nil // admission resolves the class
				}
				a.t.create(p.Name)
				if _, err := a.pods.Namespace(p.Namespace).Create(ctx, p, client.WriteOptions{}); err != nil {
					errs <- fmt.Errorf("create pod %s: %w", p.Name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// startE2E starts an API server on store/bolt in dir, served on a
// loopback port, a scheduler watching it, and an informer that reports
// bound pods to the tracker.
func startE2E(ctx context.Context, dir string, t *tracker, log *slog.Logger, reg prometheus.Registerer) (cluster, *scheduler.Scheduler, func(), error) {
	db, err := bolt.Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	srv, err := apiserver.New(apiserver.Config{Store: db, Logger: log})
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	srv.Start(sctx)
	hs := httptest.NewServer(srv)
	cleanup := func() {
		cancel()
		hs.Close()
		db.Close()
	}
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	s, err := scheduler.New(ctx, c, &scheduler.Options{Logger: log, Metrics: reg})
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	pcs := client.MustFor[*scheduling.PriorityClass](c)
	for name, v := range priorityClasses {
		if _, err := pcs.Create(ctx, &scheduling.PriorityClass{ObjectMeta: meta.ObjectMeta{Name: name}, Value: v}, client.WriteOptions{}); err != nil {
			cleanup()
			return nil, nil, nil, err
		}
	}
	f := controller.NewFactory(c, &controller.FactoryOptions{Logger: log})
	pods, err := controller.InformerFor[*core.Pod](f, controller.InformerOptions{})
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	pods.AddEventHandler(controller.HandlerFuncs[*core.Pod]{
		AddFunc: func(p *core.Pod) {
			if p.Spec.NodeName != "" {
				t.bind(p.Name)
			}
		},
		UpdateFunc: func(old, p *core.Pod) {
			if old.Spec.NodeName == "" && p.Spec.NodeName != "" {
				t.bind(p.Name)
			}
		},
	})
	f.Start(sctx)
	if err := f.WaitForCacheSync(ctx); err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return &apiCluster{c: c, t: t, nodes: client.MustFor[*core.Node](c), pods: client.MustFor[*core.Pod](c)}, s, cleanup, nil
}

// runWorkload runs w in mode and returns its figures. dir is scratch
// space for the end-to-end store.
func runWorkload(ctx context.Context, w workload, mode, dir string, log *slog.Logger) (res result, err error) {
	res = result{Workload: w.name, Mode: mode}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	heap := startHeapSampler()
	defer func() { res.PeakHeap = heap.Stop() }()
	t := newTracker()
	var cl cluster
	var s *scheduler.Scheduler
	var cleanup func()
	reg := prometheus.NewRegistry()
	defer func() { res.Attempts = attempts(reg) }()
	if mode == modeMemory {
		cl, s, cleanup, err = startMemory(ctx, t, log, reg)
	} else {
		cl, s, cleanup, err = startE2E(ctx, dir, t, log, reg)
	}
	if err != nil {
		return res, err
	}
	defer cleanup()
	nodes := make([]*core.Node, w.nodes)
	for i := range nodes {
		nodes[i] = newNode(fmt.Sprintf("node-%05d", i), w.zones, i)
	}
	if err := addNodes(ctx, cl, nodes); err != nil {
		return res, err
	}
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(runCtx) }()
	defer func() {
		stopRun()
		<-runDone
	}()
	if err := cl.addPods(ctx, build(w.initPods, w.initPod)); err != nil {
		return res, err
	}
	if err := t.wait(ctx, "init", w.initPods); err != nil {
		return res, err
	}
	if err := cl.addPods(ctx, build(w.bgPods, w.bgPod)); err != nil {
		return res, err
	}
	var churnDone chan struct{}
	churnCtx, stopChurn := context.WithCancel(ctx)
	defer stopChurn()
	if w.churn {
		churnDone = make(chan struct{})
		go func() {
			defer close(churnDone)
			churn(churnCtx, cl, w.zones)
		}()
	}
	cpu0 := cpuTime()
	if err := cl.addPods(ctx, build(w.pods, w.pod)); err != nil {
		return res, err
	}
	err = t.wait(ctx, "m", w.pods)
	res.CPU = cpuTime() - cpu0
	// The informer may see a binding before the scheduler's bind call
	// has returned: let the binding cycles finish (bounded) so stopping
	// the scheduler does not cancel them.
	for deadline := time.Now().Add(5 * time.Second); err == nil && s.Scheduled() < int64(w.initPods+w.pods) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stopChurn()
	if churnDone != nil {
		<-churnDone
	}
	n, elapsed, p50, p99 := t.figures("m")
	res.Measured, res.Elapsed, res.P50, res.P99 = n, elapsed, p50, p99
	if elapsed > 0 {
		res.PodsPerSec = float64(n) / elapsed.Seconds()
	}
	return res, err
}

func build(n int, f func(int) *core.Pod) []*core.Pod {
	out := make([]*core.Pod, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// addNodes creates nodes with 4 concurrent writers.
func addNodes(ctx context.Context, cl cluster, nodes []*core.Node) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(nodes) || ctx.Err() != nil {
					return
				}
				if err := cl.addNode(ctx, nodes[i]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return ctx.Err()
}

// churn creates a pod every 5 ms and deletes the one created 50 pods
// earlier, and adds then deletes a node every 100 ms, until ctx ends (at
// most 100,000 rounds).
func churn(ctx context.Context, cl cluster, zones int) {
	var live []*core.Pod
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var extra *core.Node
	for i := 0; i < 100_000; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p := podOf(fmt.Sprintf("churn-%06d", i), "100m", "500Mi")
		if cl.addPods(ctx, []*core.Pod{p}) == nil {
			live = append(live, p)
		}
		if len(live) > 50 {
			_ = cl.deletePod(ctx, live[0]) // a churn pod may be gone already
			live = live[1:]
		}
		if i%20 == 0 {
			if extra != nil {
				_ = cl.deleteNode(ctx, extra)
				extra = nil
			} else {
				extra = newNode(fmt.Sprintf("churn-node-%06d", i), zones, i)
				if cl.addNode(ctx, extra) != nil {
					extra = nil
				}
			}
		}
	}
}
