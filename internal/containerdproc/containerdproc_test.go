package containerdproc

import (
	"context"
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
