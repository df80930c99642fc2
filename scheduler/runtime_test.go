package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestCacheAssumedPodExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name    string
		finish  bool // FinishBinding called
		confirm bool // the informer's AddPod arrived
		at      time.Time
		expired int
		left    int64 // milli-CPU requested on the node afterwards
	}{
		{name: "before deadline", finish: true, at: now.Add(29 * time.Second), expired: 0, left: 500},
		{name: "after deadline", finish: true, at: now.Add(31 * time.Second), expired: 1, left: 0},
		{name: "binding still running", finish: false, at: now.Add(time.Hour), expired: 0, left: 500},
		{name: "confirmed", finish: true, confirm: true, at: now.Add(time.Hour), expired: 0, left: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache()
			c.AddNode(cNode("n1"))
			p := cPod("p", "n1", "500m")
			if err := c.AssumePod(p); err != nil {
				t.Fatal(err)
			}
			if tt.confirm {
				if err := c.AddPod(p); err != nil {
					t.Fatal(err)
				}
			}
			if tt.finish {
				err := c.FinishBinding(p, now.Add(30*time.Second))
				if tt.confirm != (err != nil) {
					t.Fatalf("FinishBinding: %v", err)
				}
			}
			if got := c.CleanupExpired(tt.at); len(got) != tt.expired {
				t.Fatalf("expired %d pods, want %d", len(got), tt.expired)
			}
			snap := framework.NewSnapshot(nil, nil)
			c.UpdateSnapshot(snap)
			if got := requested(t, snap, "n1"); got != tt.left {
				t.Errorf("requested %dm, want %dm", got, tt.left)
			}
			if c.IsAssumed(p) != (tt.expired == 0 && !tt.confirm) {
				t.Errorf("IsAssumed = %v", c.IsAssumed(p))
			}
		})
	}
}

// blackHoleBinder reports success without binding anything: the binding
// never shows up.
type blackHoleBinder struct{ binds *atomic.Int64 }

func (blackHoleBinder) Name() string { return "BlackHole" }
func (b blackHoleBinder) Bind(context.Context, *framework.CycleState, *core.Pod, string) *framework.Status {
	b.binds.Add(1)
	return nil
}

// localConfig is the default profile with bind replaced by the named
// plugin.
func localConfig(binder string) *framework.Configuration {
	cfg := &framework.Configuration{APIVersion: framework.ConfigAPIVersion, Kind: framework.ConfigKind,
		Profiles: []framework.Profile{{Plugins: &framework.Plugins{MultiPoint: framework.PluginSet{
			Disabled: []framework.PluginRef{{Name: framework.DefaultBinderName}}, Enabled: []framework.PluginRef{{Name: binder}}}}}}}
	cfg.SetDefaults()
	return cfg
}

// runLocal runs s until the test ends.
func runLocal(t testing.TB, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestSchedulerAssumedPodExpires(t *testing.T) {
	var binds atomic.Int64
	s, err := New(context.Background(), nil, &Options{Config: localConfig("BlackHole"), AssumedPodTTL: 30 * time.Second,
		Plugins: framework.Registry{"BlackHole": func(context.Context, any, framework.Handle) (framework.Plugin, error) {
			return blackHoleBinder{&binds}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddNode(cNode("n1")); err != nil {
		t.Fatal(err)
	}
	runLocal(t, s)
	if err := s.AddPod(cPod("p", "", "3")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first binding", func() (bool, string) { return binds.Load() == 1, fmt.Sprint(binds.Load()) })
	eventually(t, "binding cycle finished", func() (bool, string) { return s.Scheduled() == 1, fmt.Sprint(s.Scheduled()) })
	snap := framework.NewSnapshot(nil, nil)
	s.Cache().UpdateSnapshot(snap)
	if got := requested(t, snap, "n1"); got != 3000 {
		t.Fatalf("assumed pod holds %dm, want 3000m", got)
	}
	if n := s.CleanupAssumed(time.Now().Add(10 * time.Second)); n != 0 {
		t.Fatalf("expired %d pods before the TTL", n)
	}
	// Past the TTL: forgotten, resources freed, and the still unbound pod
	// is scheduled again (it fits again only because the room was freed).
	if n := s.CleanupAssumed(time.Now().Add(31 * time.Second)); n != 1 {
		t.Fatalf("expired %d pods, want 1", n)
	}
	eventually(t, "pod scheduled again", func() (bool, string) { return binds.Load() == 2, fmt.Sprint(binds.Load()) })
}

func TestSchedulerLocalBindsAndPreempts(t *testing.T) {
	s, err := NewLocal(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddNode(cNode("n1")); err != nil {
		t.Fatal(err)
	}
	runLocal(t, s)
	low := cPod("low", "", "3")
	if err := s.AddPod(low); err != nil {
		t.Fatal(err)
	}
	eventually(t, "low bound", func() (bool, string) {
		p, _ := s.getPod("default", "low")
		return p.Spec.NodeName == "n1", p.Spec.NodeName
	})
	high := cPod("high", "", "3")
	prio := int32(1000)
	high.Spec.Priority = &prio
	if err := s.AddPod(high); err != nil {
		t.Fatal(err)
	}
	eventually(t, "high preempts low", func() (bool, string) {
		p, _ := s.getPod("default", "high")
		_, lowLeft := s.getPod("default", "low")
		return p.Spec.NodeName == "n1" && !lowLeft, fmt.Sprintf("high on %q, low left %v", p.Spec.NodeName, lowLeft)
	})
	if err := s.AddPod(cPod("huge", "", "9")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "huge parked", func() (bool, string) {
		_, _, u := s.Queue().Len()
		return u == 1, fmt.Sprint(u)
	})
}

func TestLocalMethodsNeedLocalScheduler(t *testing.T) {
	c := startAPIServer(t)
	s, err := New(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPod(cPod("p", "", "1")); err == nil {
		t.Error("AddPod on an informer-fed scheduler succeeded")
	}
	if _, err := New(context.Background(), nil, &Options{LeaderElection: &LeaderElection{}}); err == nil {
		t.Error("leader election without a client accepted")
	}
}

// metricValue sums the samples of a metric family whose labels include
// want.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	found := false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue next
				}
			}
			found = true
			sum += sampleValue(m)
		}
	}
	return sum, found
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func TestSchedulerMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := NewLocal(context.Background(), &Options{Metrics: reg, PluginMetricsSamplePercent: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2"} {
		if err := s.AddNode(cNode(n)); err != nil {
			t.Fatal(err)
		}
	}
	runLocal(t, s)
	for i := range 3 {
		if err := s.AddPod(cPod(fmt.Sprintf("p%d", i), "", "1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddPod(cPod("huge", "", "64")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "three bound, one parked", func() (bool, string) {
		_, _, u := s.Queue().Len()
		return s.Scheduled() == 3 && u == 1, fmt.Sprintf("scheduled %d unschedulable %d", s.Scheduled(), u)
	})
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"scheduled attempts", "scheduler_schedule_attempts_total", map[string]string{"result": ResultScheduled, "profile": framework.DefaultSchedulerName}, 3},
		{"unschedulable attempts", "scheduler_schedule_attempts_total", map[string]string{"result": ResultUnschedulable}, 1},
		{"e2e latency observations", "scheduler_pod_scheduling_duration_seconds", nil, 3},
		{"unschedulable queue", "scheduler_pending_pods", map[string]string{"queue": "unschedulable"}, 1},
		{"active queue", "scheduler_pending_pods", map[string]string{"queue": "active"}, 0},
		{"filter calls timed", "scheduler_plugin_execution_duration_seconds", map[string]string{"extension_point": "Filter", "plugin": framework.NodeResourcesFitName, "status": "Success"}, 6},
		{"bind calls timed", "scheduler_plugin_execution_duration_seconds", map[string]string{"extension_point": "Bind", "plugin": LocalBinderName}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := metricValue(t, reg, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (found %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
}

func TestSchedulerLeaderElection(t *testing.T) {
	c := startAPIServer(t)
	for i := range 4 {
		createNode(t, c, apiNode(fmt.Sprintf("n%d", i), "8"))
	}
	le := func(id string) *LeaderElection {
		return &LeaderElection{Identity: id, LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond}
	}
	type replica struct {
		s      *Scheduler
		cancel context.CancelFunc
		done   chan error
	}
	start := func(id string) *replica {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := New(ctx, c, &Options{LeaderElection: le(id)})
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{s: s, cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- s.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-r.done })
		return r
	}
	a, b := start("a"), start("b")
	eventually(t, "one leader", func() (bool, string) {
		return a.s.IsLeader() != b.s.IsLeader(), fmt.Sprintf("a %v b %v", a.s.IsLeader(), b.s.IsLeader())
	})
	leader, follower := a, b
	if b.s.IsLeader() {
		leader, follower = b, a
	}
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	create := func(prefix string, n int) {
		for i := range n {
			if _, err := pods.Create(context.Background(), apiPod(fmt.Sprintf("%s%d", prefix, i), "100m"), client.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	create("first", 5)
	eventually(t, "the leader binds every pod", func() (bool, string) {
		return leader.s.Scheduled() == 5, fmt.Sprint(leader.s.Scheduled())
	})
	if n := follower.s.Scheduled(); n != 0 {
		t.Fatalf("the follower bound %d pods", n)
	}
	// The leader stops and releases the Lease: the other takes over.
	leader.cancel()
	if err := <-leader.done; err != nil {
		t.Fatalf("leader Run: %v", err)
	}
	leader.done <- nil // for the cleanup
	eventually(t, "follower takes over", func() (bool, string) { return follower.s.IsLeader(), "" })
	create("second", 3)
	eventually(t, "the new leader binds", func() (bool, string) {
		return follower.s.Scheduled() == 3, fmt.Sprint(follower.s.Scheduled())
	})
}

func TestSchedulerProfilesFromConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scheduler.yaml")
	conf := `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
`
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := framework.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c := startAPIServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	createNode(t, c, apiNode("busy", "8"))
	createNode(t, c, apiNode("idle", "8"))
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	seed := apiPod("seed", "4")
	seed.Spec.NodeName = "busy"
	if _, err := pods.Create(ctx, seed, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, c, &Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if s.Framework("bin-packer") == nil || s.Framework(framework.DefaultSchedulerName) == nil {
		t.Fatal("a profile is missing")
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// The default profile spreads (LeastAllocated), the bin-packer packs
	// (MostAllocated), and a pod of an unknown scheduler is left alone.
	spread := apiPod("spread", "1")
	packed := apiPod("packed", "1")
	packed.Spec.SchedulerName = "bin-packer"
	ignored := apiPod("ignored", "1")
	ignored.Spec.SchedulerName = "nobody"
	for _, p := range []*core.Pod{spread, packed, ignored} {
		if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"spread": "idle", "packed": "busy"}
	for name, node := range want {
		eventually(t, name+" bound to "+node, func() (bool, string) {
			p, err := pods.Get(ctx, name)
			return err == nil && p.Spec.NodeName == node, fmt.Sprintf("%q %v", p.Spec.NodeName, err)
		})
	}
	time.Sleep(300 * time.Millisecond)
	if p, err := pods.Get(ctx, "ignored"); err != nil || p.Spec.NodeName != "" {
		t.Errorf("pod of an unknown scheduler: node %q, err %v", p.Spec.NodeName, err)
	}
	if s.Scheduled() != 2 {
		t.Errorf("Scheduled() = %d, want 2", s.Scheduled())
	}
}

func TestCacheSnapshotListFollowsIncrementalUpdates(t *testing.T) {
	c := NewCache()
	for _, n := range []string{"a", "b", "c"} {
		c.AddNode(cNode(n))
	}
	snap := framework.NewSnapshot(nil, nil)
	c.UpdateSnapshot(snap)
	before, _ := snap.NodeInfos().List()
	tests := []struct {
		pod, node string
		want      int64
	}{
		{"p1", "b", 500}, {"p2", "b", 1000}, {"p3", "c", 500},
	}
	for _, tt := range tests {
		t.Run(tt.pod, func(t *testing.T) {
			if err := c.AddPod(cPod(tt.pod, tt.node, "500m")); err != nil {
				t.Fatal(err)
			}
			c.UpdateSnapshot(snap)
			list, _ := snap.NodeInfos().List()
			got, _ := snap.NodeInfos().Get(tt.node)
			var inList *framework.NodeInfo
			for _, ni := range list {
				if ni.NodeName() == tt.node {
					inList = ni
				}
			}
			if inList != got || got.Requested.MilliCPU != tt.want {
				t.Errorf("node %s: list has %p, Get %p with %dm, want %dm", tt.node, inList, got, got.Requested.MilliCPU, tt.want)
			}
		})
	}
	// The list handed out before is a separate slice, untouched.
	for _, ni := range before {
		if ni.Requested.MilliCPU != 0 {
			t.Errorf("old list's %s changed to %dm", ni.NodeName(), ni.Requested.MilliCPU)
		}
	}
}
