package containerd

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A new Runtime over the same containerd finds the pods and containers of
// the previous one, with their states, and keeps writing the logs of
// running containers.
func TestRestartKeepsState(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	first := e.runtime(t)
	logDir := t.TempDir()
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "survivor", Namespace: "restart", Uid: "u-1"},
		Hostname:     "survivor",
		LogDirectory: logDir,
		Labels:       map[string]string{"app": "survivor"},
		Annotations:  map[string]string{"note": "kept"},
	}
	run, err := first.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	pod := run.GetPodSandboxId()
	t.Cleanup(func() {
		rt := e.runtime(t)
		rt.StopPodSandbox(context.Background(), &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod})
		rt.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod})
	})
	mk := func(name string, cmd ...string) string {
		t.Helper()
		c, err := first.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: name},
			Image:    &runtimeapi.ImageSpec{Image: testBusybox},
			Command:  cmd,
			LogPath:  name + ".log",
			Labels:   map[string]string{"c": name},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return c.GetContainerId()
	}
	ticker := mk("ticker", "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done")
	done := mk("done", "sh", "-c", "exit 7")
	created := mk("created", "true")
	for _, id := range []string{ticker, done} {
		if _, err := first.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		return containerState(t, first, done).GetState() == runtimeapi.ContainerState_CONTAINER_EXITED
	})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := e.runtime(t)
	sbs, err := second.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"app": "survivor"}}})
	if err != nil || len(sbs.GetItems()) != 1 {
		t.Fatalf("ListPodSandbox after restart = %v, %v", sbs.GetItems(), err)
	}
	sb := sbs.GetItems()[0]
	if sb.GetId() != pod || sb.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY || sb.GetMetadata().GetName() != "survivor" || sb.GetAnnotations()["note"] != "kept" {
		t.Fatalf("sandbox after restart = %v", sb)
	}
	st, err := second.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil || st.GetStatus().GetNetwork().GetIp() == "" {
		t.Fatalf("sandbox status after restart = %v, %v", st, err)
	}
	want := map[string]runtimeapi.ContainerState{
		ticker:  runtimeapi.ContainerState_CONTAINER_RUNNING,
		done:    runtimeapi.ContainerState_CONTAINER_EXITED,
		created: runtimeapi.ContainerState_CONTAINER_CREATED,
	}
	for id, state := range want {
		cs := containerState(t, second, id)
		if cs.GetState() != state {
			t.Errorf("container %s after restart: state %v, want %v", cs.GetMetadata().GetName(), cs.GetState(), state)
		}
		if cs.GetLabels()["c"] != cs.GetMetadata().GetName() || cs.GetImage().GetImage() != testBusybox || cs.GetImageRef() == "" {
			t.Errorf("container %s after restart lost metadata: %v", id, cs)
		}
	}
	if cs := containerState(t, second, done); cs.GetExitCode() != 7 || cs.GetFinishedAt() == 0 {
		t.Errorf("exited container after restart: exit %d finished %d, want 7 and a time", cs.GetExitCode(), cs.GetFinishedAt())
	}
	// The ticker's log keeps growing through the new runtime.
	logPath := containerState(t, second, ticker).GetLogPath()
	before := countLines(t, logPath)
	waitFor(t, func() bool { return countLines(t, logPath) > before+3 })
	// The new runtime controls the old containers.
	if _, err := second.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: created}); err != nil {
		t.Fatalf("start a container created before the restart: %v", err)
	}
	if _, err := second.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: ticker, Timeout: 1}); err != nil {
		t.Fatal(err)
	}
	if cs := containerState(t, second, ticker); cs.GetState() != runtimeapi.ContainerState_CONTAINER_EXITED {
		t.Fatalf("ticker after stop: %v", cs.GetState())
	}
	if _, err := second.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatal(err)
	}
	if _, err := second.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatal(err)
	}
	if leaks := e.leaks(t); len(leaks) != 0 {
		t.Fatalf("left behind: %v", leaks)
	}
}

func containerState(t testing.TB, rt *Runtime, id string) *runtimeapi.ContainerStatus {
	t.Helper()
	resp, err := rt.ContainerStatus(context.Background(), &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStatus()
}

func countLines(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
