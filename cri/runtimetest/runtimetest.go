// Package runtimetest is the conformance suite every cri.RuntimeService and
// cri.ImageService passes: Longshore's fake, containerd's own CRI reached
// through cri/remote, the fake served by cri/server, and Longshore's shim.
//
// # Use
//
//	func TestConformance(t *testing.T) {
//		runtimetest.Run(t, func(t testing.TB) (cri.RuntimeService, cri.ImageService) {
//			rt := newMyRuntime(t)
//			return rt, rt
//		}, &runtimetest.Options{Image: "localhost/longshore/busybox:1"})
//	}
//
// Every check is a subtest; newRuntime is called once per subtest (it may
// hand out one shared runtime: every object the suite creates carries a
// label unique to the subtest, and the suite filters on it).
//
// # What it needs
//
// Options.Image must name an image present in the runtime with a busybox
// userland (sh, echo, sleep, trap, httpd, wget). Checks that need real
// processes or a pod network only run when Options declares the capability;
// otherwise they are skipped with a message naming the missing capability,
// never passed silently.
//
// # What it checks
//
// Version and Status; image status, list and filesystem info; pulling an
// image (twice) and running it; the sandbox lifecycle with idempotent stop and remove
// (of missing IDs too); the container lifecycle, exit codes, StopContainer
// killing a container that ignores SIGTERM once the grace period ends;
// ExecSync output, exit code and timeout; logs in the CRI format at the
// requested path and ReopenContainerLog; list filters by ID, state and
// labels; container events; two containers of a pod sharing localhost;
// several pods at once; and that removing everything leaves nothing behind.
package runtimetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// Options describe the runtime under test.
type Options struct {
	// Image is a present image with a busybox userland; required.
	Image string
	// PullImage is a reference the runtime can pull (from a registry, or
	// one it already has). Empty: the pull check is skipped.
	PullImage string
	// RuntimeHandler is passed to RunPodSandbox (empty: the default).
	RuntimeHandler string
	// Networking: sandboxes get a pod IP. PodCIDR, when set, is the range
	// those IPs must lie in.
	Networking bool
	PodCIDR    string
	// RealProcesses: containers are real processes, so two containers of a
	// pod can talk over localhost.
	RealProcesses bool
	// Events: the runtime implements GetContainerEvents.
	Events bool
	// Leaks, when set, is called after a subtest removed everything it
	// created and returns what remains of it (network namespaces, IP
	// allocations, mounts); any entry fails the suite.
	Leaks func(t testing.TB) []string
	// Timeout bounds every wait for a state change. Default 30s.
	Timeout time.Duration
}

// LabelRun is the label key the suite puts on every sandbox and container,
// with a value unique to the subtest.
const LabelRun = "runtimetest.longshore.io/run"

// checks are the suite's subtests, in order.
var checks = []struct {
	name string
	fn   func(*suite)
}{
	{"Version", testVersion},
	{"Images", testImages},
	{"Pull", testPull},
	{"SandboxLifecycle", testSandboxLifecycle},
	{"ContainerLifecycle", testContainerLifecycle},
	{"ExitCode", testExitCode},
	{"StopKillsIgnoringTERM", testStopKills},
	{"ExecSync", testExecSync},
	{"Logs", testLogs},
	{"Filters", testFilters},
	{"Events", testEvents},
	{"SharedLocalhost", testSharedLocalhost},
	{"ConcurrentPods", testConcurrentPods},
	{"Cleanup", testCleanup},
}

// Checks returns the names of the suite's subtests in the order Run runs
// them (for -run patterns such as TestConformance/ExecSync).
func Checks() []string {
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.name
	}
	return names
}

// Run runs the conformance suite. newRuntime is called once per subtest.
func Run(t *testing.T, newRuntime func(t testing.TB) (cri.RuntimeService, cri.ImageService), opts *Options) {
	if opts == nil || opts.Image == "" {
		t.Fatal("runtimetest: Options.Image is required")
	}
	o := *opts
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			rt, img := newRuntime(t)
			s := &suite{t: t, rt: rt, img: img, o: o, run: randHex(8), logDir: t.TempDir()}
			tt.fn(s)
		})
	}
}

// suite is the state of one subtest.
type suite struct {
	t      *testing.T
	rt     cri.RuntimeService
	img    cri.ImageService
	o      Options
	run    string
	logDir string
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *suite) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout+time.Minute)
	s.t.Cleanup(cancel)
	return ctx
}

func (s *suite) need(capability string, have bool) {
	s.t.Helper()
	if !have {
		s.t.Skipf("runtimetest: runtime does not declare capability %s; check not run", capability)
	}
}

// labels returns the suite's run label plus extra key/value pairs.
func (s *suite) labels(kv ...string) map[string]string {
	m := map[string]string{LabelRun: s.run}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// sandboxConfig returns a config for a pod named name.
func (s *suite) sandboxConfig(name string, kv ...string) *runtimeapi.PodSandboxConfig {
	dir := filepath.Join(s.logDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "runtimetest", Uid: randHex(8)},
		Hostname:     name,
		LogDirectory: dir,
		Labels:       s.labels(kv...),
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD},
		}},
	}
}

// pod is a sandbox the suite created.
type pod struct {
	id  string
	cfg *runtimeapi.PodSandboxConfig
}

// newPod runs a sandbox and removes it when the subtest ends.
func (s *suite) newPod(name string, kv ...string) pod {
	s.t.Helper()
	cfg := s.sandboxConfig(name, kv...)
	resp, err := s.rt.RunPodSandbox(s.ctx(), &runtimeapi.RunPodSandboxRequest{Config: cfg, RuntimeHandler: s.o.RuntimeHandler})
	if err != nil {
		s.t.Fatalf("RunPodSandbox(%s): %v", name, err)
	}
	id := resp.GetPodSandboxId()
	if id == "" {
		s.t.Fatalf("RunPodSandbox(%s) returned an empty ID", name)
	}
	s.t.Cleanup(func() { s.removePod(s.t, id) })
	return pod{id: id, cfg: cfg}
}

func (s *suite) removePod(t testing.TB, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil && !errors.Is(err, cri.ErrNotFound) {
		t.Errorf("cleanup: StopPodSandbox(%s): %v", id, err)
	}
	if _, err := s.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Errorf("cleanup: RemovePodSandbox(%s): %v", id, err)
	}
}

// newContainer creates (not starts) a container running cmd in p.
func (s *suite) newContainer(p pod, name string, cmd []string, kv ...string) string {
	s.t.Helper()
	resp, err := s.rt.CreateContainer(s.ctx(), &runtimeapi.CreateContainerRequest{
		PodSandboxId: p.id,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: name},
			Image:    &runtimeapi.ImageSpec{Image: s.o.Image},
			Command:  cmd,
			LogPath:  name + ".log",
			Labels:   s.labels(kv...),
		},
		SandboxConfig: p.cfg,
	})
	if err != nil {
		s.t.Fatalf("CreateContainer(%s): %v", name, err)
	}
	return resp.GetContainerId()
}

func (s *suite) start(id string) {
	s.t.Helper()
	if _, err := s.rt.StartContainer(s.ctx(), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		s.t.Fatalf("StartContainer(%s): %v", id, err)
	}
}

// runContainer creates and starts a container.
func (s *suite) runContainer(p pod, name string, cmd []string, kv ...string) string {
	s.t.Helper()
	id := s.newContainer(p, name, cmd, kv...)
	s.start(id)
	return id
}

func (s *suite) containerStatus(id string) *runtimeapi.ContainerStatus {
	s.t.Helper()
	resp, err := s.rt.ContainerStatus(s.ctx(), &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		s.t.Fatalf("ContainerStatus(%s): %v", id, err)
	}
	if resp.GetStatus().GetId() != id {
		s.t.Fatalf("ContainerStatus(%s) returned status of %q", id, resp.GetStatus().GetId())
	}
	return resp.GetStatus()
}

// waitState waits until the container reaches state and returns its status.
func (s *suite) waitState(id string, state runtimeapi.ContainerState) *runtimeapi.ContainerStatus {
	s.t.Helper()
	var st *runtimeapi.ContainerStatus
	s.eventually(fmt.Sprintf("container %s to be %v", id, state), func() bool {
		st = s.containerStatus(id)
		return st.GetState() == state
	})
	return st
}

// eventually polls cond until it holds or Options.Timeout passes.
func (s *suite) eventually(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(s.o.Timeout)
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 500*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out after %v waiting for %s", s.o.Timeout, what)
		}
		time.Sleep(delay)
	}
}

func (s *suite) execSync(id string, timeout int64, cmd ...string) (*runtimeapi.ExecSyncResponse, error) {
	return s.rt.ExecSync(s.ctx(), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: timeout})
}

// sleeper is a command that runs until stopped.
var sleeper = []string{"sleep", "3600"}

func testVersion(s *suite) {
	v, err := s.rt.Version(s.ctx(), &runtimeapi.VersionRequest{Version: cri.APIVersion})
	if err != nil {
		s.t.Fatalf("Version: %v", err)
	}
	if v.GetRuntimeApiVersion() != cri.APIVersion || v.GetRuntimeName() == "" {
		s.t.Fatalf("Version = %+v, want runtime API %q and a runtime name", v, cri.APIVersion)
	}
	st, err := s.rt.Status(s.ctx(), &runtimeapi.StatusRequest{})
	if err != nil {
		s.t.Fatalf("Status: %v", err)
	}
	ready := map[string]bool{}
	for _, c := range st.GetStatus().GetConditions() {
		ready[c.GetType()] = c.GetStatus()
	}
	if !ready[runtimeapi.RuntimeReady] {
		s.t.Fatalf("Status: RuntimeReady is not true: %v", st.GetStatus().GetConditions())
	}
	if s.o.Networking && !ready[runtimeapi.NetworkReady] {
		s.t.Fatalf("Status: NetworkReady is not true: %v", st.GetStatus().GetConditions())
	}
}

func testImages(s *suite) {
	ctx := s.ctx()
	spec := &runtimeapi.ImageSpec{Image: s.o.Image}
	st, err := s.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec})
	if err != nil || st.GetImage() == nil {
		s.t.Fatalf("ImageStatus(%s) = %v, %v; want the image", s.o.Image, st, err)
	}
	id := st.GetImage().GetId()
	list, err := s.img.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		s.t.Fatalf("ListImages: %v", err)
	}
	found := false
	for _, im := range list.GetImages() {
		found = found || im.GetId() == id
	}
	if !found {
		s.t.Fatalf("ListImages does not list %s (%s)", s.o.Image, id)
	}
	missing, err := s.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "example.invalid/runtimetest/missing:" + s.run}})
	if err != nil || missing.GetImage() != nil {
		s.t.Fatalf("ImageStatus of a missing image = %v, %v; want no image and no error", missing.GetImage(), err)
	}
	if _, err := s.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}); err != nil {
		s.t.Fatalf("ImageFsInfo: %v", err)
	}
}

func testPull(s *suite) {
	s.need("Pull (Options.PullImage)", s.o.PullImage != "")
	ctx := s.ctx()
	spec := &runtimeapi.ImageSpec{Image: s.o.PullImage}
	for i := range 2 { // the second pull finds the image present
		pulled, err := s.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec})
		if err != nil || pulled.GetImageRef() == "" {
			s.t.Fatalf("PullImage #%d of %s = %v, %v", i+1, s.o.PullImage, pulled, err)
		}
	}
	st, err := s.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec})
	if err != nil || st.GetImage() == nil {
		s.t.Fatalf("ImageStatus after PullImage(%s) = %v, %v", s.o.PullImage, st.GetImage(), err)
	}
	p := s.newPod("pulled")
	c, err := s.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: p.id, SandboxConfig: p.cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "pulled"},
		Image:    spec,
		Command:  []string{"true"},
		Labels:   s.labels(),
	}})
	if err != nil {
		s.t.Fatalf("CreateContainer from the pulled image: %v", err)
	}
	s.start(c.GetContainerId())
	if st := s.waitState(c.GetContainerId(), runtimeapi.ContainerState_CONTAINER_EXITED); st.GetExitCode() != 0 {
		s.t.Fatalf("container of the pulled image exited %d", st.GetExitCode())
	}
	s.removePod(s.t, p.id)
	// Removing an image removes every tag of its ID: keep it when it is
	// Options.Image under another name.
	base, err := s.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: s.o.Image}})
	if err != nil {
		s.t.Fatalf("ImageStatus(%s): %v", s.o.Image, err)
	}
	if base.GetImage().GetId() != st.GetImage().GetId() {
		if _, err := s.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: spec}); err != nil {
			s.t.Fatalf("RemoveImage(%s): %v", s.o.PullImage, err)
		}
	}
}

func testSandboxLifecycle(s *suite) {
	ctx := s.ctx()
	p := s.newPod("lifecycle")
	st, err := s.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.id})
	if err != nil {
		s.t.Fatalf("PodSandboxStatus: %v", err)
	}
	if st.GetStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
		s.t.Fatalf("new sandbox state = %v, want READY", st.GetStatus().GetState())
	}
	if got := st.GetStatus().GetMetadata().GetName(); got != "lifecycle" {
		s.t.Fatalf("sandbox metadata name = %q", got)
	}
	if s.o.Networking {
		s.checkIP(st.GetStatus().GetNetwork().GetIp())
	}
	for i := range 2 { // stop twice: idempotent
		if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
			s.t.Fatalf("StopPodSandbox #%d: %v", i+1, err)
		}
	}
	st, err = s.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.id})
	if err != nil || st.GetStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		s.t.Fatalf("stopped sandbox status = %v, %v; want NOTREADY", st.GetStatus().GetState(), err)
	}
	for i := range 2 {
		if _, err := s.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.id}); err != nil {
			s.t.Fatalf("RemovePodSandbox #%d: %v", i+1, err)
		}
	}
	if _, err := s.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.id}); !errors.Is(err, cri.ErrNotFound) {
		s.t.Fatalf("status of removed sandbox: err = %v, want ErrNotFound", err)
	}
	// Stopping a missing sandbox may succeed or report ErrNotFound (as
	// containerd does); kubelets treat both as done. Any other error fails.
	missing := randHex(32)
	for _, id := range []string{p.id, missing} {
		if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil && !errors.Is(err, cri.ErrNotFound) {
			s.t.Fatalf("StopPodSandbox of a removed or missing ID: %v", err)
		}
	}
	if _, err := s.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: missing}); err != nil {
		s.t.Fatalf("RemovePodSandbox of a missing ID: %v", err)
	}
}

func (s *suite) checkIP(ip string) netip.Addr {
	s.t.Helper()
	a, err := netip.ParseAddr(ip)
	if err != nil {
		s.t.Fatalf("sandbox IP %q: %v", ip, err)
	}
	if s.o.PodCIDR != "" {
		if p, err := netip.ParsePrefix(s.o.PodCIDR); err != nil || !p.Contains(a) {
			s.t.Fatalf("sandbox IP %v outside pod CIDR %s (%v)", a, s.o.PodCIDR, err)
		}
	}
	return a
}

func testContainerLifecycle(s *suite) {
	ctx := s.ctx()
	p := s.newPod("ctrlife")
	id := s.newContainer(p, "sleeper", sleeper)
	if st := s.containerStatus(id); st.GetState() != runtimeapi.ContainerState_CONTAINER_CREATED {
		s.t.Fatalf("new container state = %v, want CREATED", st.GetState())
	}
	s.start(id)
	st := s.waitState(id, runtimeapi.ContainerState_CONTAINER_RUNNING)
	if st.GetStartedAt() == 0 || st.GetMetadata().GetName() != "sleeper" {
		s.t.Fatalf("running container status: startedAt=%d name=%q", st.GetStartedAt(), st.GetMetadata().GetName())
	}
	stats, err := s.rt.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: id})
	if err != nil || stats.GetStats().GetAttributes().GetId() != id {
		s.t.Fatalf("ContainerStats = %v, %v", stats.GetStats().GetAttributes(), err)
	}
	if _, err := s.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 0}); err != nil {
		s.t.Fatalf("StopContainer: %v", err)
	}
	st = s.waitState(id, runtimeapi.ContainerState_CONTAINER_EXITED)
	if st.GetFinishedAt() == 0 {
		s.t.Fatalf("exited container has no finishedAt")
	}
	if _, err := s.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id}); err != nil {
		s.t.Fatalf("StopContainer of an exited container: %v", err)
	}
	for i := range 2 {
		if _, err := s.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id}); err != nil {
			s.t.Fatalf("RemoveContainer #%d: %v", i+1, err)
		}
	}
	if _, err := s.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id}); !errors.Is(err, cri.ErrNotFound) {
		s.t.Fatalf("status of removed container: err = %v, want ErrNotFound", err)
	}
}

func testExitCode(s *suite) {
	p := s.newPod("exitcode")
	tests := []struct {
		name string
		cmd  []string
		want int32
	}{
		{"exit3", []string{"sh", "-c", "exit 3"}, 3},
		{"false", []string{"false"}, 1},
		{"true", []string{"true"}, 0},
	}
	for _, tt := range tests {
		id := s.runContainer(p, tt.name, tt.cmd)
		st := s.waitState(id, runtimeapi.ContainerState_CONTAINER_EXITED)
		if st.GetExitCode() != tt.want {
			s.t.Errorf("%v exited with %d, want %d", tt.cmd, st.GetExitCode(), tt.want)
		}
	}
}

// waitLog waits until the container's log holds a line with text.
func (s *suite) waitLog(p pod, name, text string) string {
	s.t.Helper()
	path := filepath.Join(p.cfg.GetLogDirectory(), name+".log")
	var data []byte
	s.eventually(fmt.Sprintf("%q in %s", text, path), func() bool {
		data, _ = os.ReadFile(path)
		return strings.Contains(string(data), text)
	})
	return string(data)
}

func testStopKills(s *suite) {
	p := s.newPod("stopkill")
	id := s.runContainer(p, "stubborn", []string{"sh", "-c", `trap "" TERM; echo trapped; while true; do sleep 1; done`})
	s.waitLog(p, "stubborn", "trapped")
	const grace = 1
	start := time.Now()
	if _, err := s.rt.StopContainer(s.ctx(), &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: grace}); err != nil {
		s.t.Fatalf("StopContainer: %v", err)
	}
	took := time.Since(start)
	st := s.waitState(id, runtimeapi.ContainerState_CONTAINER_EXITED)
	if st.GetExitCode() != 128+9 {
		s.t.Fatalf("container ignoring SIGTERM exited with %d, want 137 (SIGKILL)", st.GetExitCode())
	}
	if took < grace*time.Second*9/10 {
		s.t.Fatalf("StopContainer killed after %v, before the %ds grace period", took, grace)
	}
}

func testExecSync(s *suite) {
	p := s.newPod("exec")
	id := s.runContainer(p, "target", sleeper)
	s.waitState(id, runtimeapi.ContainerState_CONTAINER_RUNNING)
	resp, err := s.execSync(id, 10, "sh", "-c", "echo out; echo err >&2; exit 4")
	if err != nil {
		s.t.Fatalf("ExecSync: %v", err)
	}
	if string(resp.GetStdout()) != "out\n" || string(resp.GetStderr()) != "err\n" || resp.GetExitCode() != 4 {
		s.t.Fatalf("ExecSync = stdout %q stderr %q exit %d; want \"out\\n\" \"err\\n\" 4", resp.GetStdout(), resp.GetStderr(), resp.GetExitCode())
	}
	if _, err := s.execSync(id, 1, "sleep", "30"); !errors.Is(err, cri.ErrDeadline) {
		s.t.Fatalf("ExecSync past its timeout: err = %v, want ErrDeadline", err)
	}
	if _, err := s.execSync(randHex(32), 1, "true"); !errors.Is(err, cri.ErrNotFound) {
		s.t.Fatalf("ExecSync in a missing container: err = %v, want ErrNotFound", err)
	}
}

func testLogs(s *suite) {
	ctx := s.ctx()
	p := s.newPod("logs")
	id := s.runContainer(p, "logger", []string{"sh", "-c", "echo hello-out; echo hello-err >&2; sleep 3600"})
	data := s.waitLog(p, "logger", "hello-err")
	data = s.waitLog(p, "logger", "hello-out")
	seen := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) != 4 {
			s.t.Fatalf("log line %q is not \"<time> <stream> <tag> <text>\"", line)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil {
			s.t.Fatalf("log line %q: time: %v", line, err)
		}
		if f[2] != "F" && f[2] != "P" {
			s.t.Fatalf("log line %q: tag %q, want F or P", line, f[2])
		}
		seen[f[3]] = f[1]
	}
	if seen["hello-out"] != "stdout" || seen["hello-err"] != "stderr" {
		s.t.Fatalf("log streams = %v, want hello-out on stdout and hello-err on stderr", seen)
	}
	path := filepath.Join(p.cfg.GetLogDirectory(), "logger.log")
	if got := s.containerStatus(id).GetLogPath(); got != path {
		s.t.Fatalf("status LogPath = %q, want %q", got, path)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.rt.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: id}); err != nil {
		s.t.Fatalf("ReopenContainerLog: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		s.t.Fatalf("after ReopenContainerLog the log file is not there again: %v", err)
	}
	if old, _ := os.ReadFile(path + ".1"); !strings.Contains(string(old), "hello-out") {
		s.t.Fatalf("rotated log lost its content: %q", old)
	}
	if _, err := s.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id}); err != nil {
		s.t.Fatalf("StopContainer: %v", err)
	}
	s.waitState(id, runtimeapi.ContainerState_CONTAINER_EXITED)
	if _, err := s.rt.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: id}); err == nil {
		s.t.Fatalf("ReopenContainerLog of an exited container succeeded")
	}
}
