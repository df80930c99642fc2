package fake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

const img = "localhost/test/busybox:1"

func newRuntime(t testing.TB, o *Options) *Runtime {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	o.Images = append(o.Images, img)
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runPod runs a sandbox logging into a temp dir and returns its ID and
// config.
func runPod(t testing.TB, r *Runtime, name string) (string, *runtimeapi.PodSandboxConfig) {
	t.Helper()
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "ns", Uid: name + "-uid"},
		LogDirectory: t.TempDir(),
	}
	resp, err := r.RunPodSandbox(context.Background(), &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return resp.PodSandboxId, cfg
}

func runContainer(t testing.TB, r *Runtime, pod string, cfg *runtimeapi.PodSandboxConfig, name string, cmd ...string) string {
	t.Helper()
	ctx := context.Background()
	resp, err := r.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: name},
		Image:    &runtimeapi.ImageSpec{Image: img},
		Command:  cmd,
		LogPath:  name + ".log",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		t.Fatal(err)
	}
	return resp.ContainerId
}

func status(t testing.TB, r *Runtime, id string) *runtimeapi.ContainerStatus {
	t.Helper()
	resp, err := r.ContainerStatus(context.Background(), &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Status
}

func TestProgram(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want []stepKind
	}{
		{"empty", nil, []stepKind{stepForever}},
		{"true", []string{"/bin/true"}, []stepKind{stepStatus}},
		{"sleep", []string{"sleep", "5"}, []stepKind{stepSleep}},
		{"sleep infinity", []string{"sleep", "infinity"}, []stepKind{stepForever}},
		{"server", []string{"/server", "--port", "80"}, []stepKind{stepForever}},
		{"script", []string{"sh", "-c", `trap "" TERM; echo hi >&2 && sleep 1; exit 3`}, []stepKind{stepTrapTerm, stepEcho, stepSleep, stepExit}},
		{"loop is forever", []string{"/bin/sh", "-c", "while true; do sleep 1; done"}, []stepKind{stepForever, stepForever, stepForever}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []stepKind
			for _, s := range program(tt.argv) {
				got = append(got, s.kind)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("program(%q) = %v, want %v", tt.argv, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("program(%q) = %v, want %v", tt.argv, got, tt.want)
				}
			}
		})
	}
}

func TestManualClockDrivesExits(t *testing.T) {
	clock := NewManualClock(time.Unix(1000, 0))
	r := newRuntime(t, &Options{Clock: clock})
	pod, cfg := runPod(t, r, "p")
	tests := []struct {
		name    string
		cmd     []string
		advance time.Duration
		state   runtimeapi.ContainerState
		code    int32
	}{
		{"false exits at once", []string{"false"}, 0, runtimeapi.ContainerState_CONTAINER_EXITED, 1},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 0, runtimeapi.ContainerState_CONTAINER_EXITED, 3},
		{"sleep 30 before 30s", []string{"sleep", "30"}, 29 * time.Second, runtimeapi.ContainerState_CONTAINER_RUNNING, 0},
		{"sleep 30 after 30s", []string{"sleep", "30"}, 30 * time.Second, runtimeapi.ContainerState_CONTAINER_EXITED, 0},
		{"two sleeps then exit", []string{"sh", "-c", "sleep 1; sleep 2; exit 7"}, 3 * time.Second, runtimeapi.ContainerState_CONTAINER_EXITED, 7},
		{"server", []string{"/server"}, time.Hour, runtimeapi.ContainerState_CONTAINER_RUNNING, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := runContainer(t, r, pod, cfg, "c"+string(rune('a'+i)), tt.cmd...)
			clock.Advance(tt.advance)
			st := status(t, r, id)
			if st.State != tt.state || st.ExitCode != tt.code {
				t.Fatalf("after %v: state %v code %d, want %v %d", tt.advance, st.State, st.ExitCode, tt.state, tt.code)
			}
			if tt.state == runtimeapi.ContainerState_CONTAINER_EXITED && st.FinishedAt != clock.Now().UnixNano() {
				t.Fatalf("finishedAt %d, want the clock's now %d", st.FinishedAt, clock.Now().UnixNano())
			}
		})
	}
}

func TestStopWithGraceOnManualClock(t *testing.T) {
	clock := NewManualClock(time.Unix(0, 0))
	r := newRuntime(t, &Options{Clock: clock})
	pod, cfg := runPod(t, r, "p")
	plain := runContainer(t, r, pod, cfg, "plain", "sleep", "100")
	stubborn := runContainer(t, r, pod, cfg, "stubborn", "sh", "-c", `trap "" TERM; sleep 100`)
	ctx := context.Background()
	if _, err := r.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: plain, Timeout: 30}); err != nil {
		t.Fatal(err)
	}
	if st := status(t, r, plain); st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.ExitCode != 143 {
		t.Fatalf("plain container after stop: %v %d, want EXITED 143", st.State, st.ExitCode)
	}
	done := make(chan error, 1)
	pending := clock.Pending()
	go func() {
		_, err := r.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: stubborn, Timeout: 30})
		done <- err
	}()
	for clock.Pending() == pending { // the grace timer is armed
		time.Sleep(time.Millisecond)
	}
	clock.Advance(29 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("StopContainer returned before the grace period: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := status(t, r, stubborn); st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.ExitCode != 137 {
		t.Fatalf("stubborn container after stop: %v %d, want EXITED 137", st.State, st.ExitCode)
	}
}

func TestFailNextAndCalls(t *testing.T) {
	r := newRuntime(t, &Options{RecordCalls: true})
	ctx := context.Background()
	boom := errors.New("boom")
	if err := r.FailNext("Status", 2, boom); err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{boom, boom, nil} {
		if _, err := r.Status(ctx, &runtimeapi.StatusRequest{}); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("Status #%d = %v, want %v", i+1, err, want)
		}
	}
	if err := r.FailNext("Version", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Version(ctx, &runtimeapi.VersionRequest{}); !errors.Is(err, cri.ErrUnavailable) {
		t.Fatalf("default injected error = %v, want ErrUnavailable", err)
	}
	if err := r.FailNext("NoSuchMethod", 1, nil); !errors.Is(err, cri.ErrInvalidArgument) {
		t.Fatalf("FailNext of an unknown method = %v", err)
	}
	if got := r.CallCount("Status"); got != 3 {
		t.Fatalf("CallCount(Status) = %d, want 3", got)
	}
	calls := r.Calls()
	if len(calls) != 4 || calls[0].Method != "Status" || calls[3].Method != "Version" {
		t.Fatalf("Calls = %+v", calls)
	}
}

func TestIPAllocation(t *testing.T) {
	r := newRuntime(t, &Options{PodCIDR: "198.18.5.0/30"}) // one usable address
	ctx := context.Background()
	id, _ := runPod(t, r, "a")
	st, err := r.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil || st.Status.Network.Ip != "198.18.5.2" {
		t.Fatalf("IP = %v, %v; want 198.18.5.2", st.GetStatus().GetNetwork().GetIp(), err)
	}
	_, err = r.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "b", Namespace: "ns", Uid: "b"}}})
	if !errors.Is(err, cri.ErrResourceExhausted) {
		t.Fatalf("second pod in a /30: %v, want ErrResourceExhausted", err)
	}
	if _, err := r.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Fatal(err)
	}
	if r.IPsInUse() != 0 {
		t.Fatalf("stopped sandbox kept its IP")
	}
	host, err := r.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "h", Namespace: "ns", Uid: "h"},
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = r.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: host.PodSandboxId})
	if st.Status.Network.Ip != DefaultHostIP || r.IPsInUse() != 0 {
		t.Fatalf("host network sandbox: IP %q, %d in use", st.Status.Network.Ip, r.IPsInUse())
	}
}

func TestNewRejects(t *testing.T) {
	for _, o := range []*Options{
		{PodCIDR: "10.0.0.0/24"},
		{PodCIDR: "198.18.0.0/14"},
		{PodCIDR: "nonsense"},
		{HostIP: "nope"},
		{Images: []string{"bad ref"}},
	} {
		if _, err := New(o); !errors.Is(err, cri.ErrInvalidArgument) {
			t.Errorf("New(%+v) = %v, want ErrInvalidArgument", o, err)
		}
	}
}

func TestExecSyncHook(t *testing.T) {
	r := newRuntime(t, nil)
	pod, cfg := runPod(t, r, "p")
	id := runContainer(t, r, pod, cfg, "c", "/server")
	r.SetExecSync(func(ctx context.Context, cid string, cmd []string) (*runtimeapi.ExecSyncResponse, error) {
		return &runtimeapi.ExecSyncResponse{Stdout: []byte(cid[:4] + ":" + strings.Join(cmd, ",")), ExitCode: 9}, nil
	})
	resp, err := r.ExecSync(context.Background(), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"cat", "/x"}})
	if err != nil || string(resp.Stdout) != id[:4]+":cat,/x" || resp.ExitCode != 9 {
		t.Fatalf("ExecSync = %v, %v", resp, err)
	}
}

func TestLogFormat(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	r := newRuntime(t, &Options{Clock: clock})
	pod, cfg := runPod(t, r, "p")
	runContainer(t, r, pod, cfg, "c", "sh", "-c", "echo one; echo two >&2")
	data, err := os.ReadFile(filepath.Join(cfg.LogDirectory, "c.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-01-02T03:04:05.000000006Z stdout F one\n2026-01-02T03:04:05.000000006Z stderr F two\n"
	if string(data) != want {
		t.Fatalf("log = %q, want %q", data, want)
	}
}

func TestEventsDropSlowSubscriber(t *testing.T) {
	r := newRuntime(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	block := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- r.GetContainerEvents(ctx, nil, func(*runtimeapi.ContainerEventResponse) error { <-block; return nil })
	}()
	for r.subscribers() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < cri.EventBuffer+2; i++ {
		id, _ := runPod(t, r, "p")
		r.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id})
	}
	close(block)
	if err := <-errc; !errors.Is(err, cri.ErrUnavailable) {
		t.Fatalf("slow subscriber ended with %v, want ErrUnavailable", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := newRuntime(t, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod, cfg := runPod(t, r, "p"+string(rune('a'+i)))
			id := runContainer(t, r, pod, cfg, "c", "sleep", "0.001")
			r.ListContainers(context.Background(), &runtimeapi.ListContainersRequest{})
			r.ListPodSandboxStats(context.Background(), &runtimeapi.ListPodSandboxStatsRequest{})
			r.RemoveContainer(context.Background(), &runtimeapi.RemoveContainerRequest{ContainerId: id})
			r.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod})
		}()
	}
	wg.Wait()
	if r.IPsInUse() != 0 {
		t.Fatalf("%d IPs leaked", r.IPsInUse())
	}
}

func TestImages(t *testing.T) {
	r := newRuntime(t, &Options{Images: []string{"busybox"}, PullRefusal: []string{"example.com/missing:1"}})
	ctx := context.Background()
	st, err := r.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "docker.io/library/busybox:latest"}})
	if err != nil || st.Image == nil || st.Image.RepoTags[0] != "docker.io/library/busybox:latest" {
		t.Fatalf("short name not normalized: %v, %v", st.GetImage(), err)
	}
	byID, err := r.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: st.Image.Id}})
	if err != nil || byID.Image == nil {
		t.Fatalf("lookup by ID: %v, %v", byID.GetImage(), err)
	}
	if _, err := r.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/missing:1"}}); !errors.Is(err, cri.ErrNotFound) {
		t.Fatalf("refused pull = %v, want ErrNotFound", err)
	}
	pulled, err := r.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/app:2"}})
	if err != nil || !strings.HasPrefix(pulled.ImageRef, "sha256:") {
		t.Fatalf("pull = %v, %v", pulled, err)
	}
	if _, err := r.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/app:2"}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/app:2"}}); st.Image != nil {
		t.Fatalf("removed image still present")
	}
	pod, cfg := runPod(t, r, "p")
	_, err = r.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: "example.com/app:2"},
	}})
	if !errors.Is(err, cri.ErrNotFound) {
		t.Fatalf("container from a missing image: %v, want ErrNotFound", err)
	}
}

func TestStreamingURLs(t *testing.T) {
	ctx := context.Background()
	off := newRuntime(t, nil)
	pod, cfg := runPod(t, off, "p")
	id := runContainer(t, off, pod, cfg, "c", "/server")
	if _, err := off.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id}); !errors.Is(err, cri.ErrUnimplemented) {
		t.Fatalf("Exec without StreamingURL = %v, want ErrUnimplemented", err)
	}
	on := newRuntime(t, &Options{StreamingURL: "http://127.0.0.1:10010/"})
	pod, cfg = runPod(t, on, "p")
	id = runContainer(t, on, pod, cfg, "c", "/server")
	resp, err := on.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id})
	if err != nil || !strings.HasPrefix(resp.Url, "http://127.0.0.1:10010/exec/") {
		t.Fatalf("Exec = %v, %v", resp, err)
	}
	pf, err := on.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: pod})
	if err != nil || !strings.HasPrefix(pf.Url, "http://127.0.0.1:10010/portforward/") {
		t.Fatalf("PortForward = %v, %v", pf, err)
	}
}

func TestStats(t *testing.T) {
	clock := NewManualClock(time.Unix(0, 0))
	r := newRuntime(t, &Options{Clock: clock})
	pod, cfg := runPod(t, r, "p")
	id := runContainer(t, r, pod, cfg, "c", "/server")
	clock.Advance(10 * time.Second)
	ctx := context.Background()
	cs, err := r.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: id})
	if err != nil || cs.Stats.Cpu.UsageCoreNanoSeconds.Value != uint64(10*time.Second/100) || cs.Stats.Memory.WorkingSetBytes.Value != fakeWorkingSet {
		t.Fatalf("ContainerStats = %v, %v", cs.GetStats(), err)
	}
	ps, err := r.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: pod})
	if err != nil || len(ps.Stats.Linux.Containers) != 1 || ps.Stats.Linux.Cpu.UsageCoreNanoSeconds.Value != cs.Stats.Cpu.UsageCoreNanoSeconds.Value {
		t.Fatalf("PodSandboxStats = %v, %v", ps.GetStats(), err)
	}
}
