package remote_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/cri/runtimetest"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/internal/testenv"
)

const busyboxImage = "localhost/longshore/busybox:1"

// containerdEnv is a containerd with a bridge network and the busybox
// image, reached through cri/remote.
type containerdEnv struct {
	inst   *containerdproc.Instance
	bridge *containerdproc.Bridge
	client *remote.Client
	// pullRef is the busybox image in a loopback registry.
	pullRef string
}

func startContainerd(t testing.TB) *containerdEnv {
	t.Helper()
	testenv.NeedFile(t, ocibuild.DefaultBusybox)
	bridge := containerdproc.NewBridgeForTest(t)
	reg := containerdproc.StartRegistryForTest(t)
	inst := containerdproc.StartForTest(t, &containerdproc.Options{CNIConfDir: bridge.ConfDir, RegistryMirrors: []string{reg.Addr}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	img, err := ocibuild.Busybox(ctx, busyboxImage, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.ImportImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	// A distinct image (one more file) so removing it keeps busyboxImage.
	pushed := *img
	pushed.Files = append(slices.Clone(img.Files), ocibuild.File{Path: "/etc/pulled", Data: []byte("from the loopback registry\n")})
	pullRef, err := reg.PushImage(ctx, &pushed, t.TempDir(), "longshore/busybox-pull:1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := remote.New(ctx, "unix://"+inst.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &containerdEnv{inst: inst, bridge: bridge, client: c, pullRef: pullRef}
}

// leaks lists what removed pods left: mounts under the instance's state
// dir (netns, shm, rootfs) and host-local IP allocations.
func (e *containerdEnv) leaks(t testing.TB) []string {
	var out []string
	for _, m := range containerdproc.Mounts(e.inst.Dir()) {
		out = append(out, "mount "+m)
	}
	for _, ip := range e.bridge.Allocations() {
		out = append(out, "IP "+ip)
	}
	return out
}

// TestConformanceContainerd runs the suite against containerd's own CRI.
func TestConformanceContainerd(t *testing.T) {
	env := startContainerd(t)
	runtimetest.Run(t, func(testing.TB) (cri.RuntimeService, cri.ImageService) {
		return env.client, env.client
	}, &runtimetest.Options{
		Image:         busyboxImage,
		PullImage:     env.pullRef,
		Networking:    true,
		PodCIDR:       env.bridge.Subnet,
		RealProcesses: true,
		// containerd 1.6 answers GetContainerEvents with Unimplemented.
		Events:  false,
		Leaks:   env.leaks,
		Timeout: time.Minute,
	})
}

// TestTestServerImage runs ocibuild's test server image in containerd and
// reaches it on its pod IP over the test's own bridge: the image, the pause
// sandbox and the CNI network together.
func TestTestServerImage(t *testing.T) {
	env := startContainerd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ref = "localhost/longshore/testserver:1"
	img, err := ocibuild.TestServer(ctx, ref, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := env.inst.ImportImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "e2e", Uid: "web-1"},
		Hostname:     "web-pod",
		LogDirectory: t.TempDir(),
	}
	pod, err := env.client.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.client.StopPodSandbox(context.Background(), &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
		env.client.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
	})
	st, err := env.client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.PodSandboxId})
	if err != nil {
		t.Fatal(err)
	}
	ip := st.Status.Network.Ip
	tests := []struct {
		name string
		args []string // nil: the image's default command (serve on :8080)
		exit int32
	}{
		{"server", nil, -1},
		{"crash", []string{"crash", "4"}, 4},
	}
	for _, tt := range tests {
		c, err := env.client.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: tt.name},
			Image:    &runtimeapi.ImageSpec{Image: ref},
			Args:     tt.args,
			LogPath:  tt.name + ".log",
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId}); err != nil {
			t.Fatal(err)
		}
		if tt.exit < 0 {
			continue
		}
		for {
			s, err := env.client.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ContainerId})
			if err != nil {
				t.Fatal(err)
			}
			if s.Status.State == runtimeapi.ContainerState_CONTAINER_EXITED {
				if s.Status.ExitCode != tt.exit {
					t.Fatalf("%s exited %d, want %d", tt.name, s.Status.ExitCode, tt.exit)
				}
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s never exited", tt.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The pod IP lives in a netns on this test's bridge.
	client := &http.Client{Timeout: 2 * time.Second}
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get("http://" + net.JoinHostPort(ip, "8080") + "/")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		break
	}
	if strings.TrimSpace(body) != "web-pod" {
		t.Fatalf("GET / on the pod = %q, want the pod hostname web-pod", body)
	}
}
