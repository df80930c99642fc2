package kubelet_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/kubelet"
)

// TestContainerdRestartE2E restarts a real containerd under a running
// kubelet (SIGTERM, then a new daemon on the same root, state and socket,
// as a service manager would): the kubelet keeps running and reconnects,
// a running pod keeps its containers (same IDs, restartCount 0) and its
// IP, a container that exited while containerd was down is restarted per
// its restartPolicy, and a pod created after the restart starts normally.
func TestContainerdRestartE2E(t *testing.T) {
	// The whole test is bounded: setup, the outage and every wait.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bridge, inst, rt := startContainerd(t, ctx, testServer)

	c := startAPI(t)
	e := &env{c: c, opts: fastOptions(t, "n1")}
	e.opts.RelistPeriod = 200 * time.Millisecond
	e.opts.BackOffInitial = time.Second
	k, err := kubelet.New(c, rt, rt, &e.opts)
	if err != nil {
		t.Fatal(err)
	}
	kctx, kcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	t.Cleanup(func() {
		kcancel()
		if err := <-done; err != nil {
			t.Errorf("kubelet Run: %v", err)
		}
	})
	subnet := netip.MustParsePrefix(bridge.Subnet)
	nodes := client.MustFor[*core.Node](c)

	// Ready only once the server listens, so the HTTP checks below
	// never race its start.
	listening := &core.Probe{ProbeHandler: core.ProbeHandler{TCPSocket: &core.TCPSocketAction{Port: intstr.FromInt(8080)}}, PeriodSeconds: 1}
	web := pod("web", core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever, ReadinessProbe: listening})
	e.create(t, web)
	// victim's container is killed while containerd is down.
	victim := pod("victim", core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever, Args: []string{"sleep", "3600"}})
	victim.Spec.RestartPolicy = core.RestartPolicyAlways
	e.create(t, victim)

	ready := func(p *core.Pod) bool { return condition(p, core.PodReady) == core.ConditionTrue }
	running := func(p *core.Pod) bool {
		return p.Status.Phase == core.PodRunning && p.Status.PodIP != "" && len(p.Status.ContainerStatuses) == 1 &&
			p.Status.ContainerStatuses[0].State.Running != nil
	}
	before := e.waitPod(t, "web", "Ready", ready)
	victimBefore := e.waitPod(t, "victim", "Running", running)
	ip, err := netip.ParseAddr(before.Status.PodIP)
	if err != nil || !subnet.Contains(ip) {
		t.Fatalf("web pod IP %q not in %s", before.Status.PodIP, subnet)
	}
	hostname(ctx, t, before.Status.PodIP, "web")

	t.Run("outage", func(t *testing.T) {
		if err := inst.StopDaemon(ctx); err != nil {
			t.Fatal(err)
		}
		// The containers keep running under their shims.
		hostname(ctx, t, before.Status.PodIP, "web")
		id := strings.TrimPrefix(victimBefore.Status.ContainerStatuses[0].ContainerID, "containerd://")
		if out, err := exec.CommandContext(ctx, "runc", "--root", inst.RuncRoot(), "kill", id, "KILL").CombinedOutput(); err != nil {
			t.Fatalf("runc kill %s: %v: %s", id, err, out)
		}
		// The kubelet runs relists, syncs and node status updates against
		// the dead socket: the node turns NotReady ("container runtime is
		// down") while the pods keep the status last seen.
		deadline := time.Now().Add(2 * time.Second)
		sawNotReady := false
		for time.Now().Before(deadline) {
			if n, err := nodes.Get(ctx, "n1"); err == nil && nodeReady(n) == core.ConditionFalse {
				sawNotReady = true
			}
			if p, err := e.pods().Get(ctx, "web"); err == nil {
				if p.Status.Phase != core.PodRunning || p.Status.PodIP != before.Status.PodIP ||
					len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].ContainerID != before.Status.ContainerStatuses[0].ContainerID {
					t.Errorf("web status changed during the outage: %+v", p.Status)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !sawNotReady {
			t.Error("node stayed Ready while containerd was down")
		}
		select {
		case err := <-done:
			t.Fatalf("kubelet stopped during the outage: %v", err)
		default:
		}
		if err := inst.StartDaemon(ctx); err != nil {
			t.Fatal(err)
		}
		if log, err := os.ReadFile(inst.LogPath()); err != nil || strings.Count(string(log), "successfully booted") != 2 {
			t.Fatalf("containerd did not boot a second time (%v):\n%s", err, log)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("node ready again", func(t *testing.T) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			n, err := nodes.Get(ctx, "n1")
			if err == nil && nodeReady(n) == core.ConditionTrue {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("node not Ready after the restart: %v %v", n, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("running pod untouched", func(t *testing.T) {
		// Long enough for relists, syncs and status writes after the
		// kubelet reconnected (the victim's restart below proves it did).
		e.waitPod(t, "victim", "restart", func(p *core.Pod) bool {
			return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
		})
		after := e.waitPod(t, "web", "Ready", ready)
		b, a := before.Status.ContainerStatuses[0], after.Status.ContainerStatuses[0]
		if a.ContainerID != b.ContainerID || a.RestartCount != 0 || a.State.Running == nil {
			t.Errorf("container changed: %+v -> %+v", b, a)
		}
		if after.Status.PodIP != before.Status.PodIP || after.Status.Phase != core.PodRunning {
			t.Errorf("pod %s %s -> %s %s", before.Status.Phase, before.Status.PodIP, after.Status.Phase, after.Status.PodIP)
		}
		hostname(ctx, t, after.Status.PodIP, "web")
	})
	t.Run("exited container restarted", func(t *testing.T) {
		p := e.waitPod(t, "victim", "Running again", func(p *core.Pod) bool {
			return running(p) && p.Status.ContainerStatuses[0].RestartCount == 1
		})
		cs := p.Status.ContainerStatuses[0]
		if cs.ContainerID == victimBefore.Status.ContainerStatuses[0].ContainerID {
			t.Errorf("victim still reports container %s", cs.ContainerID)
		}
		if lt := cs.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 137 {
			t.Errorf("lastState %+v, want exit code 137", cs.LastTerminationState)
		}
		if p.Status.PodIP != victimBefore.Status.PodIP {
			t.Errorf("victim IP %s -> %s", victimBefore.Status.PodIP, p.Status.PodIP)
		}
	})
	t.Run("new pod starts", func(t *testing.T) {
		e.create(t, pod("fresh", core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever, ReadinessProbe: listening}))
		p := e.waitPod(t, "fresh", "Ready", ready)
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !subnet.Contains(ip) || p.Status.PodIP == before.Status.PodIP {
			t.Errorf("fresh pod IP %q (web has %s, subnet %s)", p.Status.PodIP, before.Status.PodIP, subnet)
		}
		hostname(ctx, t, p.Status.PodIP, "fresh")
	})
}

// hostname checks that the test server at ip answers its hostname want.
func hostname(ctx context.Context, t testing.TB, ip, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ip+":8080/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", ip, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := strings.TrimSpace(string(body)); got != want {
		t.Errorf("%s answers hostname %q, want %q", ip, got, want)
	}
}

// nodeReady returns the status of the node's Ready condition.
func nodeReady(n *core.Node) core.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == core.NodeReady {
			return c.Status
		}
	}
	return ""
}

// TestRuntimeInspectionFailureKeepsStatus injects the failures a runtime
// restart causes between calls (the list answers, the status calls do
// not) and checks that the kubelet reports nothing it did not see: the pod
// keeps its IP and its container's start time.
func TestRuntimeInspectionFailureKeepsStatus(t *testing.T) {
	for _, method := range []string{"PodSandboxStatus", "ContainerStatus"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			e.create(t, pod("p", ctr("app")))
			before := e.waitPod(t, "p", "Running", func(p *core.Pod) bool {
				return p.Status.PodIP != "" && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Running != nil
			})
			if err := e.rt.FailNext(method, 20, nil); err != nil {
				t.Fatal(err)
			}
			// A spec update wakes the pod's worker while the calls fail.
			p, err := e.pods().Get(ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			p.Labels = map[string]string{"wake": "1"}
			if _, err := e.pods().Update(ctx, p, client.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Second)
			for time.Now().Before(deadline) {
				p, err := e.pods().Get(ctx, "p")
				if err != nil {
					t.Fatal(err)
				}
				if p.Status.PodIP != before.Status.PodIP || len(p.Status.ContainerStatuses) != 1 ||
					p.Status.ContainerStatuses[0].State.Running == nil ||
					!p.Status.ContainerStatuses[0].State.Running.StartedAt.Equal(before.Status.ContainerStatuses[0].State.Running.StartedAt.Time) {
					t.Fatalf("status changed while %s failed: %+v -> %+v", method, before.Status, p.Status)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if n := e.rt.CallCount(method); n == 0 {
				t.Fatalf("no %s call during the test", method)
			}
		})
	}
}
