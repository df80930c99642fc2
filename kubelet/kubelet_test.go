package kubelet_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/kubelet"
	"github.com/longshore/longshore/store/memory"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// startAPI runs an in-process API server and returns a client of it.
func startAPI(t testing.TB) *client.Client {
	t.Helper()
	st := memory.New(nil)
	t.Cleanup(func() { st.Close() })
	s, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type env struct {
	c    *client.Client
	rt   *fake.Runtime
	opts kubelet.Options
	stop func()
}

// fastOptions are short intervals for tests.
func fastOptions(t testing.TB, node string) kubelet.Options {
	return kubelet.Options{
		NodeName:                  node,
		Capacity:                  core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourceMemory: resource.MustParse("8Gi"), core.ResourceEphemeralStorage: resource.MustParse("100Gi")},
		Reserved:                  core.ResourceList{core.ResourceCPU: resource.MustParse("500m")},
		Addresses:                 []core.NodeAddress{{Type: core.NodeInternalIP, Address: "127.0.0.1"}},
		RootDir:                   t.TempDir(),
		PodLogsDir:                t.TempDir(),
		LeaseRenewInterval:        100 * time.Millisecond,
		NodeStatusUpdateFrequency: 100 * time.Millisecond,
		RelistPeriod:              50 * time.Millisecond,
		HousekeepingPeriod:        100 * time.Millisecond,
		BackOffInitial:            200 * time.Millisecond,
		BackOffMax:                time.Second,
		Pressure:                  func(context.Context) kubelet.Pressure { return kubelet.Pressure{} },
	}
}

// newEnv starts an API server, a fake runtime and a kubelet of node "n1".
func newEnv(t testing.TB, mutate func(*kubelet.Options)) *env {
	t.Helper()
	c := startAPI(t)
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c, rt: rt, opts: fastOptions(t, "n1")}
	if mutate != nil {
		mutate(&e.opts)
	}
	e.start(t)
	return e
}

// start runs a kubelet on the env's runtime; stop ends it.
func (e *env) start(t testing.TB) {
	t.Helper()
	k, err := kubelet.New(e.c, e.rt, e.rt, &e.opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	var once atomic.Bool
	e.stop = func() {
		if once.CompareAndSwap(false, true) {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("kubelet Run: %v", err)
			}
		}
	}
	t.Cleanup(e.stop)
}

func (e *env) pods() *client.Resource[*core.Pod] {
	return client.MustFor[*core.Pod](e.c).Namespace("default")
}

func (e *env) create(t testing.TB, p *core.Pod) *core.Pod {
	t.Helper()
	p.Namespace = "default"
	if p.Spec.NodeName == "" {
		p.Spec.NodeName = "n1"
	}
	out, err := e.pods().Create(context.Background(), p, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitPod polls the pod until cond holds.
func (e *env) waitPod(t testing.TB, name string, what string, cond func(*core.Pod) bool) *core.Pod {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last *core.Pod
	for time.Now().Before(deadline) {
		p, err := e.pods().Get(context.Background(), name)
		if err == nil {
			last = p
			if cond(p) {
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("pod %s: timed out waiting for %s; status %+v", name, what, last.Status)
	}
	t.Fatalf("pod %s: timed out waiting for %s", name, what)
	return nil
}

func pod(name string, containers ...core.Container) *core.Pod {
	no := false // the in-process server issues no tokens
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name}, Spec: core.PodSpec{Containers: containers, AutomountServiceAccountToken: &no}}
}

func ctr(name string, cmd ...string) core.Container {
	return core.Container{Name: name, Image: "img:1", Command: cmd}
}

func condition(p *core.Pod, t core.PodConditionType) core.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

func TestNodeRegistrationAndLease(t *testing.T) {
	e := newEnv(t, func(o *kubelet.Options) {
		o.Labels = map[string]string{"zone": "a"}
		o.Taints = []core.Taint{{Key: "dedicated", Value: "x", Effect: core.TaintEffectNoSchedule}}
	})
	ctx := context.Background()
	nodes := client.MustFor[*core.Node](e.c)
	var n *core.Node
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var err error
		if n, err = nodes.Get(ctx, "n1"); err == nil && len(n.Status.Conditions) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n == nil {
		t.Fatal("node not registered")
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"hostname label", n.Labels[kubelet.LabelHostname] == "n1"},
		{"os label", n.Labels[kubelet.LabelOS] != ""},
		{"arch label", n.Labels[kubelet.LabelArch] != ""},
		{"extra label", n.Labels["zone"] == "a"},
		{"taint", len(n.Spec.Taints) == 1 && n.Spec.Taints[0].Key == "dedicated"},
		{"cpu capacity", n.Status.Capacity.Cpu().Cmp(resource.MustParse("4")) == 0},
		{"cpu allocatable", func() bool { q := n.Status.Allocatable[core.ResourceCPU]; return q.MilliValue() == 3500 }()},
		{"pods", func() bool { q := n.Status.Capacity[core.ResourcePods]; return q.Value() == 110 }()},
		{"runtime version", n.Status.NodeInfo.ContainerRuntimeVersion == fake.DefaultRuntimeName+"://"+fake.DefaultRuntimeVersion},
		{"kubelet port", n.Status.DaemonEndpoints.KubeletEndpoint.Port == 10250},
		{"address", len(n.Status.Addresses) == 1 && n.Status.Addresses[0].Address == "127.0.0.1"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("node %+v", n)
			}
		})
	}
	want := map[core.NodeConditionType]core.ConditionStatus{core.NodeReady: core.ConditionTrue,
		core.NodeMemoryPressure: core.ConditionFalse, core.NodeDiskPressure: core.ConditionFalse, core.NodePIDPressure: core.ConditionFalse}
	for _, c := range n.Status.Conditions {
		if want[c.Type] != c.Status {
			t.Errorf("condition %s = %s, want %s", c.Type, c.Status, want[c.Type])
		}
		delete(want, c.Type)
	}
	if len(want) != 0 {
		t.Errorf("missing conditions %v", want)
	}
	leases := client.MustFor[*coordination.Lease](e.c).Namespace(kubelet.NodeLeaseNamespace)
	var first time.Time
	for time.Now().Before(deadline) {
		l, err := leases.Get(ctx, "n1")
		if err == nil && l.Spec.RenewTime != nil {
			if first.IsZero() {
				first = l.Spec.RenewTime.Time
				if *l.Spec.LeaseDurationSeconds != 40 || *l.Spec.HolderIdentity != "n1" {
					t.Fatalf("lease spec %+v", l.Spec)
				}
			} else if l.Spec.RenewTime.After(first) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("lease not renewed")
}

func TestPodLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, pod("web", ctr("app", "server")))
	p := e.waitPod(t, "web", "Running and Ready", func(p *core.Pod) bool {
		return p.Status.Phase == core.PodRunning && condition(p, core.PodReady) == core.ConditionTrue
	})
	if p.Status.PodIP == "" || !strings.HasPrefix(p.Status.PodIP, "198.18.") {
		t.Errorf("podIP %q", p.Status.PodIP)
	}
	if p.Status.HostIP != "127.0.0.1" || p.Status.QOSClass != core.PodQOSBestEffort || p.Status.StartTime == nil {
		t.Errorf("status %+v", p.Status)
	}
	cs := p.Status.ContainerStatuses
	if len(cs) != 1 || cs[0].State.Running == nil || !cs[0].Ready || cs[0].Started == nil || !*cs[0].Started ||
		!strings.HasPrefix(cs[0].ContainerID, fake.DefaultRuntimeName+"://") || cs[0].RestartCount != 0 {
		t.Errorf("container status %+v", cs)
	}
	for _, ct := range []core.PodConditionType{core.PodScheduled, core.PodInitialized, core.ContainersReady, core.PodReadyToStartContainers} {
		if condition(p, ct) != core.ConditionTrue {
			t.Errorf("condition %s = %q", ct, condition(p, ct))
		}
	}
	// Delete: the kubelet stops everything and confirms.
	if err := e.pods().Delete(context.Background(), "web", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := e.pods().Get(context.Background(), "web")
		if apierror.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod not removed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sbs, _ := e.rt.ListPodSandbox(context.Background(), &runtimeapi.ListPodSandboxRequest{})
	cts, _ := e.rt.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
	if len(sbs.Items) != 0 || len(cts.Containers) != 0 || e.rt.IPsInUse() != 0 {
		t.Errorf("left behind: %d sandboxes, %d containers, %d IPs", len(sbs.Items), len(cts.Containers), e.rt.IPsInUse())
	}
}

func TestRestartPolicies(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name   string
		policy core.RestartPolicy
		cmd    string
		phase  core.PodPhase
	}{
		{"never-success", core.RestartPolicyNever, "true", core.PodSucceeded},
		{"never-failure", core.RestartPolicyNever, "false", core.PodFailed},
		{"onfailure-success", core.RestartPolicyOnFailure, "true", core.PodSucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := pod(c.name, ctr("app", c.cmd))
			p.Spec.RestartPolicy = c.policy
			e.create(t, p)
			got := e.waitPod(t, c.name, string(c.phase), func(p *core.Pod) bool { return p.Status.Phase == c.phase })
			if cs := got.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].RestartCount != 0 {
				t.Errorf("container status %+v", cs)
			}
			if condition(got, core.PodReady) != core.ConditionFalse {
				t.Errorf("Ready = %s", condition(got, core.PodReady))
			}
		})
	}
}

func TestCrashLoopBackOff(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, pod("crash", ctr("app", "false")))
	sawBackoff := false
	p := e.waitPod(t, "crash", "restartCount >= 3", func(p *core.Pod) bool {
		cs := p.Status.ContainerStatuses
		if len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CrashLoopBackOff" {
			sawBackoff = true
		}
		return len(cs) == 1 && cs[0].RestartCount >= 3
	})
	if !sawBackoff {
		t.Error("never saw CrashLoopBackOff")
	}
	if cs := p.Status.ContainerStatuses[0]; cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
		t.Errorf("lastState %+v", cs.LastTerminationState)
	}
	if p.Status.Phase != core.PodRunning {
		t.Errorf("phase %s", p.Status.Phase)
	}
}

func TestInitContainers(t *testing.T) {
	e := newEnv(t, nil)
	p := pod("init", ctr("app", "server"))
	p.Spec.InitContainers = []core.Container{ctr("first", "true"), ctr("second", "true")}
	e.create(t, p)
	got := e.waitPod(t, "init", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	if condition(got, core.PodInitialized) != core.ConditionTrue {
		t.Errorf("Initialized %s", condition(got, core.PodInitialized))
	}
	for _, cs := range got.Status.InitContainerStatuses {
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			t.Errorf("init %s: %+v", cs.Name, cs.State)
		}
	}
	// Order: first created before second, second before app.
	calls := 0
	var order []string
	cts, _ := e.rt.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
	byCreated := map[int64]string{}
	var times []int64
	for _, c := range cts.Containers {
		byCreated[c.CreatedAt] = c.Metadata.Name
		times = append(times, c.CreatedAt)
		calls++
	}
	for i := 1; i < len(times); i++ {
		for j := i; j > 0 && times[j] < times[j-1]; j-- {
			times[j], times[j-1] = times[j-1], times[j]
		}
	}
	for _, ts := range times {
		order = append(order, byCreated[ts])
	}
	if strings.Join(order, ",") != "first,second,app" {
		t.Errorf("creation order %v", order)
	}

	// A failing init container with restartPolicy Never fails the pod.
	f := pod("init-fail", ctr("app", "server"))
	f.Spec.RestartPolicy = core.RestartPolicyNever
	f.Spec.InitContainers = []core.Container{ctr("bad", "false")}
	e.create(t, f)
	e.waitPod(t, "init-fail", "Failed", func(p *core.Pod) bool { return p.Status.Phase == core.PodFailed })
}

func TestAdmission(t *testing.T) {
	e := newEnv(t, nil)
	big := pod("big", ctr("app", "server"))
	big.Spec.Containers[0].Resources.Requests = core.ResourceList{core.ResourceCPU: resource.MustParse("8")}
	mem := pod("mem", ctr("app", "server"))
	mem.Spec.Containers[0].Resources.Requests = core.ResourceList{core.ResourceMemory: resource.MustParse("64Gi")}
	sel := pod("sel", ctr("app", "server"))
	sel.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	aff := pod("aff", ctr("app", "server"))
	aff.Spec.Affinity = &core.Affinity{NodeAffinity: &core.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &core.NodeSelector{
		NodeSelectorTerms: []core.NodeSelectorTerm{{MatchExpressions: []core.NodeSelectorRequirement{{Key: kubelet.LabelHostname, Operator: core.NodeSelectorOpIn, Values: []string{"n1"}}}}}}}}
	cases := []struct {
		p      *core.Pod
		reason string
	}{
		{big, kubelet.ReasonOutOfCPU},
		{mem, kubelet.ReasonOutOfMemory},
		{sel, kubelet.ReasonNodeAffinity},
		{aff, ""},
	}
	// Wait for the node, which admission reads.
	time.Sleep(300 * time.Millisecond)
	for _, c := range cases {
		t.Run(c.p.Name, func(t *testing.T) {
			e.create(t, c.p)
			if c.reason == "" {
				e.waitPod(t, c.p.Name, "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
				return
			}
			got := e.waitPod(t, c.p.Name, "Failed", func(p *core.Pod) bool { return p.Status.Phase == core.PodFailed })
			if got.Status.Reason != c.reason || got.Status.Message == "" {
				t.Errorf("reason %q message %q", got.Status.Reason, got.Status.Message)
			}
		})
	}
	sbs, _ := e.rt.ListPodSandbox(context.Background(), &runtimeapi.ListPodSandboxRequest{})
	if len(sbs.Items) != 1 {
		t.Errorf("%d sandboxes, want only the admitted pod's", len(sbs.Items))
	}
}

func TestInjectedRuntimeFailures(t *testing.T) {
	cases := []struct {
		method string
		n      int
	}{
		{"RunPodSandbox", 2},
		{"CreateContainer", 2},
		{"StartContainer", 1},
		{"PullImage", 1},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			e := newEnv(t, nil)
			if err := e.rt.FailNext(c.method, c.n, nil); err != nil {
				t.Fatal(err)
			}
			p := pod("p", ctr("app", "server"))
			p.Spec.Containers[0].Image = "other:2" // not present: pulled
			e.create(t, p)
			got := e.waitPod(t, "p", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
			if got.Status.ContainerStatuses[0].RestartCount != 0 {
				t.Errorf("restartCount %d", got.Status.ContainerStatuses[0].RestartCount)
			}
			if n := e.rt.CallCount(c.method); n < c.n+1 {
				t.Errorf("%s called %d times", c.method, n)
			}
		})
	}
}

func TestKubeletRestartAdoptsPods(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, pod("keep", ctr("app", "server")))
	before := e.waitPod(t, "keep", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	e.stop()
	creates := e.rt.CallCount("CreateContainer")
	sandboxes := e.rt.CallCount("RunPodSandbox")
	e.start(t)
	// A new pod proves the new kubelet works; the old one must be untouched.
	e.create(t, pod("new", ctr("app", "server")))
	e.waitPod(t, "new", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	after, err := e.pods().Get(context.Background(), "keep")
	if err != nil {
		t.Fatal(err)
	}
	if after.Status.ContainerStatuses[0].ContainerID != before.Status.ContainerStatuses[0].ContainerID {
		t.Errorf("container replaced: %s -> %s", before.Status.ContainerStatuses[0].ContainerID, after.Status.ContainerStatuses[0].ContainerID)
	}
	if got := e.rt.CallCount("CreateContainer") - creates; got != 1 {
		t.Errorf("%d containers created after restart, want 1 (the new pod)", got)
	}
	if got := e.rt.CallCount("RunPodSandbox") - sandboxes; got != 1 {
		t.Errorf("%d sandboxes created after restart, want 1", got)
	}
}

func TestProbes(t *testing.T) {
	var ready, alive atomic.Bool
	ready.Store(false)
	alive.Store(true)
	c := startAPI(t)
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}, ExecSync: func(ctx context.Context, id string, cmd []string) (*runtimeapi.ExecSyncResponse, error) {
		ok := false
		switch cmd[0] {
		case "ready":
			ok = ready.Load()
		case "alive":
			ok = alive.Load()
		}
		if ok {
			return &runtimeapi.ExecSyncResponse{}, nil
		}
		return &runtimeapi.ExecSyncResponse{ExitCode: 1}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c, rt: rt, opts: fastOptions(t, "n1")}
	e.start(t)
	p := pod("probed", ctr("app", "server"))
	p.Spec.Containers[0].ReadinessProbe = &core.Probe{ProbeHandler: core.ProbeHandler{Exec: &core.ExecAction{Command: []string{"ready"}}}, PeriodSeconds: 1}
	p.Spec.Containers[0].LivenessProbe = &core.Probe{ProbeHandler: core.ProbeHandler{Exec: &core.ExecAction{Command: []string{"alive"}}}, PeriodSeconds: 1, FailureThreshold: 1}
	e.create(t, p)
	got := e.waitPod(t, "probed", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	if condition(got, core.PodReady) != core.ConditionFalse || got.Status.ContainerStatuses[0].Ready {
		t.Fatalf("ready before the probe passed: %+v", got.Status)
	}
	ready.Store(true)
	e.waitPod(t, "probed", "Ready", func(p *core.Pod) bool { return condition(p, core.PodReady) == core.ConditionTrue })
	ready.Store(false)
	e.waitPod(t, "probed", "not Ready", func(p *core.Pod) bool { return condition(p, core.ContainersReady) == core.ConditionFalse })
	alive.Store(false)
	e.waitPod(t, "probed", "restarted by liveness", func(p *core.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
}

func TestNodeStatusWrittenOnlyOnChange(t *testing.T) {
	e := newEnv(t, nil)
	nodes := client.MustFor[*core.Node](e.c)
	time.Sleep(300 * time.Millisecond)
	a, err := nodes.Get(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // five status periods
	b, err := nodes.Get(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	if a.ResourceVersion != b.ResourceVersion {
		t.Errorf("node rewritten without a change: %s -> %s", a.ResourceVersion, b.ResourceVersion)
	}
}

func TestStaticPods(t *testing.T) {
	dir := t.TempDir()
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: img:1\n    command: [server]\n"
	if err := os.WriteFile(filepath.Join(dir, "etcd.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *kubelet.Options) { o.StaticPodPath = dir })
	mirrors := client.MustFor[*core.Pod](e.c).Namespace("kube-system")
	var m *core.Pod
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		p, err := mirrors.Get(context.Background(), "etcd-n1")
		if err == nil && p.Status.Phase == core.PodRunning {
			m = p
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m == nil {
		t.Fatal("mirror pod not Running")
	}
	if m.Annotations[kubelet.AnnotationConfigMirror] == "" || m.Spec.NodeName != "n1" {
		t.Errorf("mirror %+v", m.ObjectMeta)
	}
	// Deleting the mirror does not stop the static pod; it comes back.
	if err := mirrors.Delete(context.Background(), "etcd-n1", nil); err != nil {
		t.Fatal(err)
	}
	creates := e.rt.CallCount("CreateContainer")
	for {
		p, err := mirrors.Get(context.Background(), "etcd-n1")
		if err == nil && p.UID != m.UID && p.DeletionTimestamp == nil && p.Status.Phase == core.PodRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirror pod not recreated: %v %+v", err, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := e.rt.CallCount("CreateContainer"); got != creates {
		t.Errorf("static pod restarted when its mirror was deleted")
	}
	deadline = time.Now().Add(15 * time.Second)
	// Removing the file stops the pod and removes the mirror.
	if err := os.Remove(filepath.Join(dir, "etcd.yaml")); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := mirrors.Get(context.Background(), "etcd-n1")
		cts, _ := e.rt.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
		if apierror.IsNotFound(err) && len(cts.Containers) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("static pod not removed: %v, %d containers", err, len(cts.Containers))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestVolumes(t *testing.T) {
	testenv.NeedRoot(t) // the memory emptyDir is a tmpfs mount
	e := newEnv(t, nil)
	ctx := context.Background()
	cms := client.MustFor[*core.ConfigMap](e.c).Namespace("default")
	secrets := client.MustFor[*core.Secret](e.c).Namespace("default")
	if _, err := cms.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "cm"}, Data: map[string]string{"k": "v1"}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Create(ctx, &core.Secret{ObjectMeta: meta.ObjectMeta{Name: "s"}, Data: map[string][]byte{"pw": []byte("hunter2")}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	hostDir := filepath.Join(t.TempDir(), "created")
	dirOrCreate := core.HostPathDirectoryOrCreate
	p := pod("vols", ctr("app", "server"))
	p.Labels = map[string]string{"tier": "web"}
	p.Spec.Volumes = []core.Volume{
		{Name: "scratch", VolumeSource: core.VolumeSource{EmptyDir: &core.EmptyDirVolumeSource{}}},
		{Name: "mem", VolumeSource: core.VolumeSource{EmptyDir: &core.EmptyDirVolumeSource{Medium: core.StorageMediumMemory}}},
		{Name: "host", VolumeSource: core.VolumeSource{HostPath: &core.HostPathVolumeSource{Path: hostDir, Type: &dirOrCreate}}},
		{Name: "cm", VolumeSource: core.VolumeSource{ConfigMap: &core.ConfigMapVolumeSource{LocalObjectReference: core.LocalObjectReference{Name: "cm"}}}},
		{Name: "sec", VolumeSource: core.VolumeSource{Secret: &core.SecretVolumeSource{SecretName: "s"}}},
		{Name: "down", VolumeSource: core.VolumeSource{DownwardAPI: &core.DownwardAPIVolumeSource{Items: []core.DownwardAPIVolumeFile{
			{Path: "name", FieldRef: &core.ObjectFieldSelector{FieldPath: "metadata.name"}},
			{Path: "tier", FieldRef: &core.ObjectFieldSelector{FieldPath: "metadata.labels['tier']"}}}}}},
	}
	for _, v := range p.Spec.Volumes {
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, core.VolumeMount{Name: v.Name, MountPath: "/v/" + v.Name})
	}
	created := e.create(t, p)
	e.waitPod(t, "vols", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	vdir := func(n string) string { return filepath.Join(e.opts.RootDir, "pods", created.UID, "volumes", n) }
	// Should the test fail before the pod is deleted, do not leave the
	// tmpfs mounted (the temp dir could not be removed).
	t.Cleanup(func() { _ = unix.Unmount(vdir("mem"), unix.MNT_DETACH) })
	files := map[string]string{"cm/k": "v1", "sec/pw": "hunter2", "down/name": "vols", "down/tier": "web"}
	for f, want := range files {
		t.Run(f, func(t *testing.T) {
			if b, err := os.ReadFile(vdir(f)); err != nil || string(b) != want {
				t.Errorf("%s = %q, %v", f, b, err)
			}
		})
	}
	if fi, err := os.Stat(hostDir); err != nil || !fi.IsDir() {
		t.Errorf("hostPath DirectoryOrCreate: %v", err)
	}
	mounted := func() bool {
		b, _ := os.ReadFile("/proc/self/mountinfo")
		return strings.Contains(string(b), vdir("mem"))
	}
	if !mounted() {
		t.Error("memory emptyDir is not a mount")
	}
	// The container's mounts point at the volume directories.
	cts, _ := e.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	st, err := e.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: cts.Containers[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Status.Mounts) != len(p.Spec.Volumes) {
		t.Errorf("mounts %v", st.Status.Mounts)
	}
	// A configMap update propagates.
	cm, _ := cms.Get(ctx, "cm")
	cm.Data["k"] = "v2"
	if _, err := cms.Update(ctx, cm, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(vdir("cm/k")); string(b) == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("configMap update did not propagate")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Deletion unmounts and removes the pod's directory.
	if err := e.pods().Delete(ctx, "vols", nil); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := os.Stat(filepath.Join(e.opts.RootDir, "pods", created.UID))
		if os.IsNotExist(err) && !mounted() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod volumes not removed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEnvAndGracefulStop(t *testing.T) {
	c := startAPI(t)
	var hooks atomic.Int32
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}, RecordCalls: true,
		ExecSync: func(ctx context.Context, id string, cmd []string) (*runtimeapi.ExecSyncResponse, error) {
			if cmd[0] == "drain" {
				hooks.Add(1)
			}
			return &runtimeapi.ExecSyncResponse{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c, rt: rt, opts: fastOptions(t, "n1")}
	e.start(t)
	ctx := context.Background()
	if _, err := client.MustFor[*core.ConfigMap](c).Namespace("default").Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "cm"},
		Data: map[string]string{"mode": "fast", "level": "3"}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	svcs := client.MustFor[*core.Service](c).Namespace("default")
	if _, err := svcs.Create(ctx, &core.Service{ObjectMeta: meta.ObjectMeta{Name: "my-db"}, Spec: core.ServiceSpec{
		ClusterIP: "198.19.0.10", Ports: []core.ServicePort{{Name: "sql", Port: 5432, Protocol: core.ProtocolTCP}}}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	grace := int64(7)
	p := pod("env", ctr("app", "server", "--mode=$(MODE)"))
	p.Spec.TerminationGracePeriodSeconds = &grace
	p.Spec.Containers[0].Resources.Limits = core.ResourceList{core.ResourceMemory: resource.MustParse("64Mi")}
	p.Spec.Containers[0].Lifecycle = &core.Lifecycle{PreStop: &core.LifecycleHandler{Exec: &core.ExecAction{Command: []string{"drain"}}}}
	p.Spec.Containers[0].EnvFrom = []core.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &core.ConfigMapEnvSource{LocalObjectReference: core.LocalObjectReference{Name: "cm"}}}}
	p.Spec.Containers[0].Env = []core.EnvVar{
		{Name: "MODE", ValueFrom: &core.EnvVarSource{ConfigMapKeyRef: &core.ConfigMapKeySelector{LocalObjectReference: core.LocalObjectReference{Name: "cm"}, Key: "mode"}}},
		{Name: "POD", ValueFrom: &core.EnvVarSource{FieldRef: &core.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "MEM", ValueFrom: &core.EnvVarSource{ResourceFieldRef: &core.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
		{Name: "GREETING", Value: "pod $(POD)"},
	}
	e.create(t, p)
	e.waitPod(t, "env", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	var cfg *runtimeapi.ContainerConfig
	for _, call := range rt.Calls() {
		if r, ok := call.Request.(*runtimeapi.CreateContainerRequest); ok {
			cfg = r.Config
		}
	}
	if cfg == nil {
		t.Fatal("no CreateContainer call")
	}
	got := map[string]string{}
	for _, kv := range cfg.Envs {
		got[kv.Key] = string(kv.Value)
	}
	want := map[string]string{"MY_DB_SERVICE_HOST": "198.19.0.10", "MY_DB_SERVICE_PORT": "5432", "MY_DB_SERVICE_PORT_SQL": "5432",
		"MY_DB_PORT": "tcp://198.19.0.10:5432", "MY_DB_PORT_5432_TCP_ADDR": "198.19.0.10", "CM_mode": "fast", "CM_level": "3", "MODE": "fast", "POD": "env", "MEM": "64", "GREETING": "pod env"}
	for key, v := range want {
		if got[key] != v {
			t.Errorf("env %s = %q, want %q", key, got[key], v)
		}
	}
	if len(cfg.Command) != 2 || cfg.Command[1] != "--mode=fast" {
		t.Errorf("command %v", cfg.Command)
	}
	if cfg.Linux.Resources.MemoryLimitInBytes != 64<<20 {
		t.Errorf("memory limit %d", cfg.Linux.Resources.MemoryLimitInBytes)
	}
	if err := e.pods().Delete(ctx, "env", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := e.pods().Get(ctx, "env"); apierror.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod not removed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if hooks.Load() != 1 {
		t.Errorf("preStop ran %d times", hooks.Load())
	}
	for _, call := range rt.Calls() {
		if r, ok := call.Request.(*runtimeapi.StopContainerRequest); ok && (r.Timeout < 2 || r.Timeout > grace) {
			t.Errorf("StopContainer timeout %d, want within the grace period %d", r.Timeout, grace)
		}
	}
}

func TestImagePullPolicy(t *testing.T) {
	cases := []struct {
		name    string
		image   string
		policy  core.PullPolicy
		pulls   int
		waiting string // expected waiting reason; "" means Running
	}{
		{"if-not-present, present", "img:1", core.PullIfNotPresent, 0, ""},
		{"if-not-present, missing", "new:1", core.PullIfNotPresent, 1, ""},
		{"always, present", "img:1", core.PullAlways, 1, ""},
		{"never, present", "img:1", core.PullNever, 0, ""},
		{"never, missing", "new:1", core.PullNever, 0, "ErrImageNeverPull"},
		{"pull refused", "refused:1", core.PullIfNotPresent, 1, "ErrImagePull"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := startAPI(t)
			rt, err := fake.New(&fake.Options{Images: []string{"img:1"}, PullRefusal: []string{"refused:1"}})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{c: api, rt: rt, opts: fastOptions(t, "n1")}
			e.opts.BackOffInitial = time.Minute // one pull attempt within the test
			e.start(t)
			p := pod("p", core.Container{Name: "app", Image: c.image, ImagePullPolicy: c.policy, Command: []string{"server"}})
			e.create(t, p)
			if c.waiting == "" {
				e.waitPod(t, "p", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
			} else {
				e.waitPod(t, "p", c.waiting, func(p *core.Pod) bool {
					cs := p.Status.ContainerStatuses
					if len(cs) != 1 || cs[0].State.Waiting == nil {
						return false
					}
					r := cs[0].State.Waiting.Reason
					return r == c.waiting || (c.waiting == "ErrImagePull" && r == "ImagePullBackOff")
				})
			}
			if got := rt.CallCount("PullImage"); got != c.pulls {
				t.Errorf("%d pulls, want %d", got, c.pulls)
			}
		})
	}
}

func TestNodeStatusReportFrequency(t *testing.T) {
	e := newEnv(t, func(o *kubelet.Options) { o.NodeStatusReportFrequency = 300 * time.Millisecond })
	nodes := client.MustFor[*core.Node](e.c)
	time.Sleep(200 * time.Millisecond)
	a, err := nodes.Get(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := nodes.Get(context.Background(), "n1")
		if err == nil && b.ResourceVersion != a.ResourceVersion {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("unchanged node status not reported again after NodeStatusReportFrequency")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartupProbe(t *testing.T) {
	var started atomic.Bool
	var livenessRuns atomic.Int32
	c := startAPI(t)
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}, ExecSync: func(ctx context.Context, id string, cmd []string) (*runtimeapi.ExecSyncResponse, error) {
		switch cmd[0] {
		case "started":
			if started.Load() {
				return &runtimeapi.ExecSyncResponse{}, nil
			}
		case "alive":
			livenessRuns.Add(1)
			return &runtimeapi.ExecSyncResponse{}, nil
		}
		return &runtimeapi.ExecSyncResponse{ExitCode: 1}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c, rt: rt, opts: fastOptions(t, "n1")}
	e.start(t)
	p := pod("slow", ctr("app", "server"))
	p.Spec.Containers[0].StartupProbe = &core.Probe{ProbeHandler: core.ProbeHandler{Exec: &core.ExecAction{Command: []string{"started"}}}, PeriodSeconds: 1, FailureThreshold: 30}
	p.Spec.Containers[0].LivenessProbe = &core.Probe{ProbeHandler: core.ProbeHandler{Exec: &core.ExecAction{Command: []string{"alive"}}}, PeriodSeconds: 1}
	e.create(t, p)
	got := e.waitPod(t, "slow", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	time.Sleep(1500 * time.Millisecond)
	got, _ = e.pods().Get(context.Background(), "slow")
	cs := got.Status.ContainerStatuses[0]
	if cs.Started == nil || *cs.Started || cs.Ready || livenessRuns.Load() != 0 {
		t.Fatalf("before the startup probe passed: started %v ready %v, liveness ran %d times", cs.Started, cs.Ready, livenessRuns.Load())
	}
	started.Store(true)
	e.waitPod(t, "slow", "started and ready", func(p *core.Pod) bool {
		cs := p.Status.ContainerStatuses[0]
		return cs.Started != nil && *cs.Started && cs.Ready
	})
	deadline := time.Now().Add(10 * time.Second)
	for livenessRuns.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("liveness probe never ran after startup")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestActiveDeadline(t *testing.T) {
	e := newEnv(t, nil)
	p := pod("deadline", ctr("app", "server"))
	d := int64(1)
	p.Spec.ActiveDeadlineSeconds = &d
	e.create(t, p)
	got := e.waitPod(t, "deadline", "Failed", func(p *core.Pod) bool { return p.Status.Phase == core.PodFailed })
	if got.Status.Reason != "DeadlineExceeded" {
		t.Errorf("reason %q", got.Status.Reason)
	}
	if cs := got.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Running != nil {
		t.Errorf("container still running: %+v", cs)
	}
	if n := e.rt.IPsInUse(); n != 0 {
		t.Errorf("%d IPs in use after the pod failed", n)
	}
}

func TestReadinessGates(t *testing.T) {
	e := newEnv(t, nil)
	p := pod("gated", ctr("app", "server"))
	p.Spec.ReadinessGates = []core.PodReadinessGate{{ConditionType: "example.com/lb-ready"}}
	e.create(t, p)
	got := e.waitPod(t, "gated", "Running, ContainersReady", func(p *core.Pod) bool {
		return p.Status.Phase == core.PodRunning && condition(p, core.ContainersReady) == core.ConditionTrue
	})
	if condition(got, core.PodReady) != core.ConditionFalse {
		t.Fatalf("Ready before its gate: %s", condition(got, core.PodReady))
	}
	// An outside controller sets the gate's condition.
	for attempt := 0; ; attempt++ {
		cur, err := e.pods().Get(context.Background(), "gated")
		if err != nil {
			t.Fatal(err)
		}
		cur.Status.Conditions = append(cur.Status.Conditions, core.PodCondition{Type: "example.com/lb-ready", Status: core.ConditionTrue})
		if _, err = e.pods().UpdateStatus(context.Background(), cur, client.WriteOptions{}); err == nil {
			break
		}
		if !apierror.IsConflict(err) || attempt > 20 {
			t.Fatal(err)
		}
	}
	e.waitPod(t, "gated", "Ready", func(p *core.Pod) bool {
		return condition(p, core.PodReady) == core.ConditionTrue && condition(p, "example.com/lb-ready") == core.ConditionTrue
	})
}

// TestPodDialer checks that httpGet and tcpSocket probes reach the pod
// through Options.PodDialer, at the pod's IP and the probe's port.
func TestPodDialer(t *testing.T) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	var (
		mu     sync.Mutex
		dialed = map[string]int{}
	)
	e := newEnv(t, func(o *kubelet.Options) {
		o.PodDialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialed[addr]++
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		}
	})
	p := pod("dialed", ctr("app", "server"))
	p.Spec.Containers[0].ReadinessProbe = &core.Probe{ProbeHandler: core.ProbeHandler{HTTPGet: &core.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(8080)}}, PeriodSeconds: 1}
	p.Spec.Containers[0].LivenessProbe = &core.Probe{ProbeHandler: core.ProbeHandler{TCPSocket: &core.TCPSocketAction{Port: intstr.FromInt(9090)}}, PeriodSeconds: 1}
	e.create(t, p)
	running := e.waitPod(t, "dialed", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning && p.Status.PodIP != "" })
	if condition(running, core.PodReady) == core.ConditionTrue {
		t.Fatal("Ready while the probe's server answers 503")
	}
	healthy.Store(true)
	got := e.waitPod(t, "dialed", "Ready", func(p *core.Pod) bool { return condition(p, core.PodReady) == core.ConditionTrue })
	mu.Lock()
	defer mu.Unlock()
	for _, port := range []string{"8080", "9090"} {
		if addr := net.JoinHostPort(got.Status.PodIP, port); dialed[addr] == 0 {
			t.Errorf("no probe dialed %s through PodDialer; dialed %v", addr, dialed)
		}
	}
}
