package containerdproc

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri/remote"
)

func TestConfig(t *testing.T) {
	cfg := config("/tmp/x", "/tmp/x/containerd.sock", "native", "localhost/p:1", "/tmp/cni", []string{"127.0.0.1:5000"})
	for _, want := range []string{
		`root = "/tmp/x/root"`,
		`address = "/tmp/x/containerd.sock"`,
		"restrict_oom_score_adj = true",
		`sandbox_image = "localhost/p:1"`,
		"netns_mounts_under_state_dir = true",
		`snapshotter = "native"`,
		`Root = "/tmp/x/runc"`,
		`bin_dir = "/usr/lib/cni"`,
		`conf_dir = "/tmp/cni"`,
		`[plugins."io.containerd.grpc.v1.cri".registry.mirrors."127.0.0.1:5000"]`,
		`endpoint = ["http://127.0.0.1:5000"]`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

func TestUnescapeMount(t *testing.T) {
	tests := []struct{ in, want string }{
		{`/a/b`, "/a/b"},
		{`/a\040b`, "/a b"},
		{`/tab\011x`, "/tab\tx"},
		{`/odd\04`, `/odd\04`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := unescapeMount(tt.in); got != tt.want {
				t.Fatalf("unescapeMount(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestStopCleansLeftovers leaves a running pod behind and checks that Stop
// removes its containers, shims, mounts and the instance dir.
func TestStopCleansLeftovers(t *testing.T) {
	bridge := NewBridgeForTest(t)
	inst := StartForTest(t, &Options{CNIConfDir: bridge.ConfDir})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := remote.New(ctx, inst.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v := c.RuntimeVersion(); v.RuntimeApiVersion != "v1" || v.RuntimeName != "containerd" {
		t.Fatalf("Version = %+v", v)
	}
	pod, err := c.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "left", Namespace: "test", Uid: "left-1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.PodSandboxId})
	if err != nil || st.Status.Network.Ip == "" {
		t.Fatalf("sandbox status = %v, %v; want an IP", st, err)
	}
	if len(shimPIDs(inst.Address())) == 0 {
		t.Fatal("no shim found for the running sandbox")
	}
	if len(Mounts(inst.Dir())) == 0 {
		t.Fatal("no mounts found for the running sandbox")
	}
	if err := inst.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if pids := shimPIDs(inst.Address()); len(pids) != 0 {
		t.Fatalf("shims left: %v", pids)
	}
	if m := Mounts(inst.Dir()); len(m) != 0 {
		t.Fatalf("mounts left: %v", m)
	}
	if _, err := os.Stat(inst.Dir()); !os.IsNotExist(err) {
		t.Fatalf("instance dir left: %v", err)
	}
}

// TestRestartKeepsSandboxes restarts containerd under a running sandbox:
// the daemon is new (a second boot in the log), the sandbox keeps its ID,
// state and IP, and StartDaemon on a running daemon fails with ErrRunning.
func TestRestartKeepsSandboxes(t *testing.T) {
	bridge := NewBridgeForTest(t)
	inst := StartForTest(t, &Options{CNIConfDir: bridge.ConfDir})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := remote.New(ctx, inst.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pod, err := c.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "keep", Namespace: "test", Uid: "keep-1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.PodSandboxId})
	if err != nil || before.Status.Network.Ip == "" {
		t.Fatalf("sandbox status = %v, %v; want an IP", before, err)
	}
	if err := inst.StartDaemon(ctx); !errors.Is(err, ErrRunning) {
		t.Fatalf("StartDaemon on a running daemon = %v, want ErrRunning", err)
	}
	if err := inst.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inst.StopDaemon(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inst.StopDaemon(ctx); err != nil { // stopped already: a no-op
		t.Fatal(err)
	}
	if len(shimPIDs(inst.Address())) == 0 {
		t.Fatal("the sandbox's shim ended with containerd")
	}
	if err := inst.StartDaemon(ctx); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(inst.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "successfully booted"); n != 3 {
		t.Errorf("containerd booted %d times, want 3", n)
	}
	// The client redials the socket by itself.
	after, err := c.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.PodSandboxId})
	if err != nil {
		t.Fatal(err)
	}
	if after.Status.State != runtimeapi.PodSandboxState_SANDBOX_READY || after.Status.Network.Ip != before.Status.Network.Ip {
		t.Errorf("sandbox after restart: %v %s, want READY %s", after.Status.State, after.Status.Network.Ip, before.Status.Network.Ip)
	}
}
