package kubelet_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/kubelet"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const testServerImage = "localhost/longshore/testserver:1"

// startContainerd starts a containerd with a CNI bridge for tb, imports the
// image that build makes (in a temporary directory), and returns a CRI
// client to it; all of it is stopped when tb ends.
func startContainerd(tb testing.TB, ctx context.Context, build func(ctx context.Context, dir string) (*ocibuild.Image, error)) (*containerdproc.Bridge, *containerdproc.Instance, *remote.Client) {
	tb.Helper()
	bridge := containerdproc.NewBridgeForTest(tb)
	inst := containerdproc.StartForTest(tb, &containerdproc.Options{CNIConfDir: bridge.ConfDir})
	img, err := build(ctx, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	if err := inst.ImportImage(ctx, img); err != nil {
		tb.Fatal(err)
	}
	rt, err := remote.New(ctx, "unix://"+inst.Address(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close() })
	return bridge, inst, rt
}

// testServer builds the test server image.
func testServer(ctx context.Context, dir string) (*ocibuild.Image, error) {
	return ocibuild.TestServer(ctx, testServerImage, dir)
}

// TestContainerdE2E runs a kubelet on a real containerd with a CNI bridge:
// pods reach Running with an IP, probes drive readiness, a crashing
// container backs off, configMap volumes are written, logs are served, a
// kubelet restart adopts the running pods, and deletion releases
// everything.
func TestContainerdE2E(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bridge, inst, rt := startContainerd(t, ctx, testServer)

	c := startAPI(t)
	e := &env{c: c, opts: fastOptions(t, "n1")}
	e.opts.RelistPeriod = time.Second
	e.opts.BackOffInitial = time.Second
	var k *kubelet.Kubelet
	startKubelet := func() {
		var err error
		k, err = kubelet.New(c, rt, rt, &e.opts)
		if err != nil {
			t.Fatal(err)
		}
		kctx, kcancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- k.Run(kctx) }()
		e.stop = func() { kcancel(); <-done }
	}
	startKubelet()
	t.Cleanup(func() { e.stop() })
	subnet := netip.MustParsePrefix(bridge.Subnet)

	cms := client.MustFor[*core.ConfigMap](c).Namespace("default")
	if _, err := cms.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "cfg", Namespace: "default"},
		Data: map[string]string{"greeting": "hello"}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	web := pod("web", core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever,
		ReadinessProbe: &core.Probe{ProbeHandler: core.ProbeHandler{HTTPGet: &core.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(8080)}}, PeriodSeconds: 1},
		LivenessProbe:  &core.Probe{ProbeHandler: core.ProbeHandler{TCPSocket: &core.TCPSocketAction{Port: intstr.FromInt(8080)}}, PeriodSeconds: 1},
		VolumeMounts:   []core.VolumeMount{{Name: "cfg", MountPath: "/etc/cfg"}}})
	web.Spec.Volumes = []core.Volume{{Name: "cfg", VolumeSource: core.VolumeSource{ConfigMap: &core.ConfigMapVolumeSource{LocalObjectReference: core.LocalObjectReference{Name: "cfg"}}}}}
	created := e.create(t, web)
	crash := pod("crash", core.Container{Name: "app", Image: testServerImage, ImagePullPolicy: core.PullNever, Args: []string{"crash", "3"}})
	e.create(t, crash)

	t.Run("running with an IP and ready", func(t *testing.T) {
		p := e.waitPod(t, "web", "Ready", func(p *core.Pod) bool { return condition(p, core.PodReady) == core.ConditionTrue })
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !subnet.Contains(ip) {
			t.Errorf("pod IP %q not in %s", p.Status.PodIP, subnet)
		}
		resp, err := http.Get("http://" + p.Status.PodIP + ":8080/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.TrimSpace(string(body)) != "web" {
			t.Errorf("hostname %q", body)
		}
	})
	t.Run("configMap volume", func(t *testing.T) {
		dir := filepath.Join(e.opts.RootDir, "pods", created.UID, "volumes", "cfg")
		if b, err := os.ReadFile(filepath.Join(dir, "greeting")); err != nil || string(b) != "hello" {
			t.Fatalf("greeting = %q, %v", b, err)
		}
		cm, _ := cms.Get(ctx, "cfg")
		cm.Data["greeting"] = "bye"
		if _, err := cms.Update(ctx, cm, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if b, _ := os.ReadFile(filepath.Join(dir, "greeting")); string(b) == "bye" {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Error("configMap update did not propagate")
	})
	t.Run("crash back-off", func(t *testing.T) {
		p := e.waitPod(t, "crash", "restarts", func(p *core.Pod) bool {
			return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 2
		})
		if lt := p.Status.ContainerStatuses[0].LastTerminationState.Terminated; lt == nil || lt.ExitCode != 3 {
			t.Errorf("lastState %+v", p.Status.ContainerStatuses[0].LastTerminationState)
		}
	})
	t.Run("logs", func(t *testing.T) {
		hs := httptest.NewServer(k.Handler(kubelet.ServerOptions{Tokens: []string{"secret"}}))
		defer hs.Close()
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/containerLogs/default/web/app?tailLines=5", nil)
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "testserver: serving on :8080") {
			t.Errorf("logs %d %q", resp.StatusCode, body)
		}
	})
	t.Run("kubelet restart keeps containers", func(t *testing.T) {
		before, _ := e.pods().Get(ctx, "web")
		e.stop()
		startKubelet()
		time.Sleep(3 * time.Second)
		after := e.waitPod(t, "web", "Ready", func(p *core.Pod) bool { return condition(p, core.PodReady) == core.ConditionTrue })
		if after.Status.ContainerStatuses[0].ContainerID != before.Status.ContainerStatuses[0].ContainerID ||
			after.Status.ContainerStatuses[0].RestartCount != before.Status.ContainerStatuses[0].RestartCount {
			t.Errorf("container restarted: %+v -> %+v", before.Status.ContainerStatuses[0], after.Status.ContainerStatuses[0])
		}
	})
	t.Run("delete releases everything", func(t *testing.T) {
		// The sandboxes' network namespaces, from containerd's verbose info.
		var netns []string
		sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`"type":\s*"network",\s*"path":\s*"([^"]+)"`)
		for _, sb := range sbs.Items {
			st, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sb.Id, Verbose: true})
			if err != nil {
				t.Fatal(err)
			}
			if m := re.FindStringSubmatch(st.Info["info"]); m != nil && m[1] != "" {
				netns = append(netns, m[1])
			}
		}
		if len(netns) == 0 {
			t.Error("no network namespace found in the sandboxes' info")
		}
		for _, n := range []string{"web", "crash"} {
			if err := e.pods().Delete(ctx, n, nil); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for _, n := range []string{"web", "crash"} {
			for {
				_, err := e.pods().Get(ctx, n)
				if apierror.IsNotFound(err) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("pod %s not removed", n)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		cs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		if err != nil || len(cs.Containers) != 0 {
			t.Errorf("containers left: %v %v", cs, err)
		}
		sbs, err = rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil || len(sbs.Items) != 0 {
			t.Errorf("sandboxes left: %v %v", sbs, err)
		}
		if a := bridge.Allocations(); len(a) != 0 {
			t.Errorf("IPs still allocated: %v", a)
		}
		for _, p := range netns {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("network namespace %s left: %v", p, err)
			}
		}
		for _, m := range containerdproc.Mounts(inst.Dir()) {
			t.Errorf("mount left: %s", m)
		}
	})
}

// TestContainerdKubectl runs a secure API server and a kubelet on a real
// containerd, and drives them with kubectl: logs and exec go through the
// API server's pods/log and pods/exec to the kubelet (exec proxied to
// containerd's streaming server).
func TestContainerdKubectl(t *testing.T) {
	testenv.Need(t, "kubectl")
	testenv.NeedFile(t, ocibuild.DefaultBusybox)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bridge, _, rt := startContainerd(t, ctx, func(ctx context.Context, _ string) (*ocibuild.Image, error) {
		return ocibuild.Busybox(ctx, "localhost/longshore/busybox:1", "")
	})
	sc := startSecureCluster(t, rt, rt)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := sc.sec.WriteKubeconfig(kc, sc.host, "admin", "system:masters"); err != nil {
		t.Fatal(err)
	}
	pods := client.MustFor[*core.Pod](sc.c).Namespace("default")
	grace := int64(2) // sleep as PID 1 ignores SIGTERM: it is killed after the grace period
	p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "box", Namespace: "default"}, Spec: core.PodSpec{NodeName: "n1", TerminationGracePeriodSeconds: &grace,
		Containers: []core.Container{{Name: "sh", Image: "localhost/longshore/busybox:1", ImagePullPolicy: core.PullNever,
			Command: []string{"sh", "-c", "echo started-$(hostname); exec sleep 3600"}}}}}
	if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e := &env{c: sc.c}
	e.waitPod(t, "box", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	kubectl := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Run("logs", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := kubectl("logs", "box")
			if err == nil && strings.Contains(out, "started-box") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("kubectl logs: %v: %s", err, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	t.Run("exec", func(t *testing.T) {
		out, err := kubectl("exec", "box", "--", "sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; echo exec-ok")
		if err != nil || !strings.Contains(out, "exec-ok") || !strings.Contains(out, "default") {
			t.Errorf("kubectl exec: %v: %s", err, out)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if out, err := kubectl("delete", "pod", "box", "--timeout=60s"); err != nil {
			t.Fatalf("kubectl delete: %v: %s", err, out)
		}
		if a := bridge.Allocations(); len(a) != 0 {
			t.Errorf("IPs still allocated: %v", a)
		}
	})
}
