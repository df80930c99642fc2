// Package containerdproc starts a real containerd (Debian's
// /usr/bin/containerd) as a child process in a temp dir, for end-to-end
// tests of CRI code.
//
// Each Instance has its own root, state, gRPC socket, runc root and config
// file: the CRI plugin is enabled with restrict_oom_score_adj = true
// (required where the test sandbox forbids lowering oom_score_adj),
// sandbox_image set to a local pause image built with cri/ocibuild and
// imported at start, CNI binaries from /usr/lib/cni with a conf dir the
// caller provides, network namespaces under the instance's state dir, and
// the overlayfs snapshotter (native when an overlay mount does not work in
// the instance dir). Loopback registries can be configured as plain-HTTP
// mirrors.
//
// Restart stops the daemon alone (SIGTERM, as a service manager would; the
// containers keep running under their shims) and starts it again on the
// same dir, socket, root and state, like a containerd upgrade or crash
// recovery on a node. StopDaemon and StartDaemon are its two halves, for
// tests that act while containerd is down.
//
// Stop ends containerd and then whatever it left: containers (through runc
// with the instance's root), shims serving the instance's socket, and mounts
// under the instance dir. StartForTest gates on containerd, runc, ctr and
// root with internal/testenv and stops the instance in t.Cleanup.
package containerdproc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/internal/testenv"
)

// ErrRunning is returned by StartDaemon while containerd runs.
var ErrRunning = errors.New("containerd is running")

// DefaultPauseImage is the sandbox image Start builds and imports when
// Options.SandboxImage is empty.
const DefaultPauseImage = "localhost/longshore/pause:1"

// CNIBinDir is where Debian's containernetworking-plugins installs the
// plugins.
const CNIBinDir = "/usr/lib/cni"

// Options configure an Instance. The zero value works.
type Options struct {
	// SandboxImage is the pause image reference for sandbox_image. Empty:
	// Start builds DefaultPauseImage and imports it. When set, the caller
	// imports it (Instance.Import).
	SandboxImage string
	// CNIConfDir is the CRI plugin's CNI conf_dir. Empty: an empty dir in
	// the instance dir (sandboxes then fail until a config appears).
	CNIConfDir string
	// Snapshotter is "overlayfs" or "native". Empty: overlayfs if an
	// overlay mount works in the instance dir, else native.
	Snapshotter string
	// RegistryMirrors are "127.0.0.1:PORT" registries reached over plain
	// HTTP.
	RegistryMirrors []string
	// Containerd, Ctr and Runc are program paths. Default: found on PATH.
	Containerd, Ctr, Runc string
	// Dir is where the instance dir is created. Default os.TempDir(); keep
	// it short, unix socket paths are limited to 107 bytes.
	Dir string
	// StartTimeout bounds the wait for the CRI to answer. Default 60s.
	StartTimeout time.Duration
	// Logger receives progress records. Default discards.
	Logger *slog.Logger
}

// Instance is one running containerd.
//
// An Instance's methods are not safe for concurrent use with StopDaemon,
// StartDaemon, Restart and Stop.
type Instance struct {
	dir, address, snapshotter string
	ctr, runc                 string
	containerd, cfgPath       string
	startTimeout              time.Duration
	cmd                       *exec.Cmd
	exited                    chan struct{}
	waitErr                   error
	log                       *slog.Logger
}

// Start creates an instance dir, writes the config, starts containerd, waits
// until its CRI answers Version and Status, and imports the pause image
// unless Options.SandboxImage is set. On error everything is cleaned up.
func Start(ctx context.Context, opts *Options) (_ *Instance, err error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	paths := map[string]*string{"containerd": &o.Containerd, "ctr": &o.Ctr, "runc": &o.Runc}
	for name, p := range paths {
		if *p == "" {
			if *p, err = exec.LookPath(name); err != nil {
				return nil, fmt.Errorf("containerdproc: %w", err)
			}
		}
	}
	dir, err := os.MkdirTemp(o.Dir, "lsctrd-")
	if err != nil {
		return nil, fmt.Errorf("containerdproc: %w", err)
	}
	inst := &Instance{dir: dir, address: filepath.Join(dir, "containerd.sock"), ctr: o.Ctr, runc: o.Runc,
		containerd: o.Containerd, cfgPath: filepath.Join(dir, "config.toml"), startTimeout: o.StartTimeout,
		log: o.Logger, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			inst.Stop(context.Background())
		}
	}()
	if len(inst.address) > 100 {
		return nil, fmt.Errorf("containerdproc: socket path %q too long for a unix socket", inst.address)
	}
	inst.snapshotter = o.Snapshotter
	if inst.snapshotter == "" {
		inst.snapshotter = "native"
		if overlayWorks(dir) {
			inst.snapshotter = "overlayfs"
		}
	}
	if o.CNIConfDir == "" {
		o.CNIConfDir = filepath.Join(dir, "cni")
		if err := os.MkdirAll(o.CNIConfDir, 0o755); err != nil {
			return nil, fmt.Errorf("containerdproc: %w", err)
		}
	}
	sandboxImage := o.SandboxImage
	if sandboxImage == "" {
		sandboxImage = DefaultPauseImage
	}
	cfg := config(dir, inst.address, inst.snapshotter, sandboxImage, o.CNIConfDir, o.RegistryMirrors)
	if err := os.WriteFile(inst.cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("containerdproc: %w", err)
	}
	if err := inst.launch(ctx); err != nil {
		return nil, err
	}
	if o.SandboxImage == "" {
		img, err := ocibuild.Pause(ctx, DefaultPauseImage, dir)
		if err != nil {
			return nil, fmt.Errorf("containerdproc: pause image: %w", err)
		}
		if err := inst.ImportImage(ctx, img); err != nil {
			return nil, err
		}
	}
	return inst, nil
}

// launch starts the containerd process on the instance's config (its log
// appended to LogPath) and waits until its CRI answers.
func (i *Instance) launch(ctx context.Context) error {
	logf, err := os.OpenFile(i.LogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("containerdproc: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(i.containerd, "--config", i.cfgPath, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logf, logf
	// Pdeathsig: a test binary killed by its timeout takes containerd with
	// it instead of leaving a daemon behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("containerdproc: start containerd: %w", err)
	}
	exited := make(chan struct{})
	i.cmd, i.exited = cmd, exited
	go func() { i.waitErr = cmd.Wait(); close(exited) }()
	i.log.Info("containerd started", "dir", i.dir, "pid", cmd.Process.Pid, "snapshotter", i.snapshotter)
	return i.waitReady(ctx, i.startTimeout)
}

// StopDaemon ends the containerd process alone: SIGTERM, SIGKILL if it has
// not exited within 10s or when ctx ends. Containers keep running under
// their shims, and the instance dir stays, for StartDaemon. Stopping a
// daemon that is not running does nothing.
func (i *Instance) StopDaemon(ctx context.Context) error {
	if i.cmd == nil || i.cmd.Process == nil {
		return nil
	}
	select {
	case <-i.exited:
		return nil
	default:
	}
	if err := i.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("containerdproc: stop containerd: %w", err)
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-i.exited:
	case <-t.C:
		i.cmd.Process.Kill()
		<-i.exited
	case <-ctx.Done():
		i.cmd.Process.Kill()
		<-i.exited
	}
	i.log.Info("containerd stopped", "dir", i.dir, "pid", i.cmd.Process.Pid)
	return nil
}

// StartDaemon starts containerd again on the instance's dir, socket, root
// and state after StopDaemon, and waits until its CRI answers (bounded by
// ctx and Options.StartTimeout). It fails with ErrRunning while the daemon
// runs.
func (i *Instance) StartDaemon(ctx context.Context) error {
	if i.cmd != nil {
		select {
		case <-i.exited:
		default:
			return fmt.Errorf("containerdproc: start containerd in %s: %w", i.dir, ErrRunning)
		}
	}
	if _, err := os.Stat(i.cfgPath); err != nil {
		return fmt.Errorf("containerdproc: start containerd: %w", err)
	}
	return i.launch(ctx)
}

// Restart is StopDaemon then StartDaemon: containerd goes down with SIGTERM
// and comes back on the same dir, socket, root and state, while the
// containers keep running under their shims.
func (i *Instance) Restart(ctx context.Context) error {
	if err := i.StopDaemon(ctx); err != nil {
		return err
	}
	return i.StartDaemon(ctx)
}

// RuncRoot returns the runc state root of the CRI's containers (namespace
// k8s.io), for acting on containers while containerd is down.
func (i *Instance) RuncRoot() string { return filepath.Join(i.dir, "runc", "k8s.io") }

// config renders the containerd config.
func config(dir, address, snapshotter, sandboxImage, cniConfDir string, mirrors []string) string {
	var b strings.Builder
	q := strconv.Quote
	fmt.Fprintf(&b, "version = 2\nroot = %s\nstate = %s\n", q(filepath.Join(dir, "root")), q(filepath.Join(dir, "state")))
	b.WriteString(`disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]` + "\n")
	fmt.Fprintf(&b, "[grpc]\n  address = %s\n[ttrpc]\n  address = %s\n", q(address), q(address+".ttrpc"))
	fmt.Fprintf(&b, "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = %s\n", q(filepath.Join(dir, "opt")))
	const cri = `[plugins."io.containerd.grpc.v1.cri"]`
	fmt.Fprintf(&b, "%s\n  sandbox_image = %s\n  restrict_oom_score_adj = true\n  netns_mounts_under_state_dir = true\n", cri, q(sandboxImage))
	b.WriteString("  stream_server_address = \"127.0.0.1\"\n  stream_server_port = \"0\"\n  enable_selinux = false\n  disable_apparmor = true\n")
	fmt.Fprintf(&b, "%s.containerd]\n  snapshotter = %s\n  default_runtime_name = \"runc\"\n", strings.TrimSuffix(cri, "]"), q(snapshotter))
	fmt.Fprintf(&b, "%s.containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n", strings.TrimSuffix(cri, "]"))
	fmt.Fprintf(&b, "%s.containerd.runtimes.runc.options]\n  Root = %s\n  SystemdCgroup = false\n", strings.TrimSuffix(cri, "]"), q(filepath.Join(dir, "runc")))
	fmt.Fprintf(&b, "%s.cni]\n  bin_dir = %s\n  conf_dir = %s\n  max_conf_num = 1\n", strings.TrimSuffix(cri, "]"), q(CNIBinDir), q(cniConfDir))
	for _, m := range mirrors {
		fmt.Fprintf(&b, "%s.registry.mirrors.%s]\n  endpoint = [%s]\n", strings.TrimSuffix(cri, "]"), q(m), q("http://"+m))
	}
	return b.String()
}

// overlayWorks tries an overlay mount inside dir.
func overlayWorks(dir string) bool {
	base := filepath.Join(dir, "overlay-probe")
	defer os.RemoveAll(base)
	var parts []string
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		p := filepath.Join(base, d)
		if os.MkdirAll(p, 0o755) != nil {
			return false
		}
		parts = append(parts, p)
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", parts[0], parts[1], parts[2])
	if err := unix.Mount("overlay", parts[3], "overlay", 0, data); err != nil {
		return false
	}
	unix.Unmount(parts[3], unix.MNT_DETACH)
	return true
}

// waitReady polls the CRI until Version and Status answer.
func (i *Instance) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		select {
		case <-i.exited:
			return fmt.Errorf("containerdproc: containerd exited during start (%v): %s", i.waitErr, i.logTail())
		default:
		}
		if _, err := os.Stat(i.address); err == nil {
			c, err := remote.New(ctx, i.address, &remote.Options{StatusTimeout: 5 * time.Second})
			if err == nil {
				_, err = c.Status(ctx, &runtimeapi.StatusRequest{})
				c.Close()
				if err == nil {
					return nil
				}
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("containerdproc: CRI not ready after %v (last error %v): %s", timeout, last, i.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail returns the end of containerd's log for error messages.
func (i *Instance) logTail() string {
	data, _ := os.ReadFile(i.LogPath())
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}

// Address returns the gRPC socket path (CRI and containerd API).
func (i *Instance) Address() string { return i.address }

// Dir returns the instance dir.
func (i *Instance) Dir() string { return i.dir }

// Snapshotter returns the snapshotter in use.
func (i *Instance) Snapshotter() string { return i.snapshotter }

// LogPath returns containerd's log file.
func (i *Instance) LogPath() string { return filepath.Join(i.dir, "containerd.log") }

// Import imports an OCI archive into the k8s.io namespace, unpacked for
// the instance's snapshotter, so the CRI sees it.
func (i *Instance) Import(ctx context.Context, archive string) error {
	cmd := exec.CommandContext(ctx, i.ctr, "--address", i.address, "-n", "k8s.io", "images", "import", "--snapshotter", i.snapshotter, archive)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("containerdproc: ctr images import %s: %w: %s", archive, err, bytes.TrimSpace(out))
	}
	return nil
}

// ImportImage writes img as an archive in the instance dir and imports it.
func (i *Instance) ImportImage(ctx context.Context, img *ocibuild.Image) error {
	archive := filepath.Join(i.dir, fmt.Sprintf("image-%d.tar", time.Now().UnixNano()))
	if _, err := ocibuild.WriteFile(archive, img); err != nil {
		return fmt.Errorf("containerdproc: %w", err)
	}
	defer os.Remove(archive)
	return i.Import(ctx, archive)
}

// Stop kills the instance's containers, stops containerd (SIGTERM, SIGKILL
// after 10s), kills its shims, unmounts what remains under the instance dir
// and removes the dir. It is safe to call more than once; it returns the
// first cleanup error.
func (i *Instance) Stop(ctx context.Context) error {
	var errs []error
	runcRoot := i.RuncRoot()
	ids := i.runcList(ctx, runcRoot)
	for _, id := range ids {
		exec.CommandContext(ctx, i.runc, "--root", runcRoot, "kill", "--all", id, "KILL").Run()
	}
	if i.cmd != nil && i.cmd.Process != nil {
		select {
		case <-i.exited:
		default:
			i.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-i.exited:
			case <-time.After(10 * time.Second):
				i.cmd.Process.Kill()
				<-i.exited
			}
		}
	}
	for _, pid := range shimPIDs(i.address) {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("kill shim %d: %w", pid, err))
		}
	}
	for _, id := range i.runcList(ctx, runcRoot) {
		if out, err := exec.CommandContext(ctx, i.runc, "--root", runcRoot, "delete", "--force", id).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete %s: %w: %s", id, err, bytes.TrimSpace(out)))
		}
	}
	for _, m := range Mounts(i.dir) {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	if err := os.RemoveAll(i.dir); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("containerdproc: stop: %w", errors.Join(errs...))
	}
	return nil
}

// runcList returns the IDs of containers under the runc root.
func (i *Instance) runcList(ctx context.Context, root string) []string {
	if _, err := os.Stat(root); err != nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, i.runc, "--root", root, "list", "-q").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

// shimPIDs finds containerd-shim processes started for address.
func shimPIDs(address string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for j := 0; j+1 < len(args); j++ {
			if args[j] == "-address" && args[j+1] == address {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// Mounts returns the mount points at or below dir, deepest first.
func Mounts(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// unescapeMount decodes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// StartForTest starts an instance for t, gated on root, containerd, runc and
// ctr (skipped, or failed under LONGSHORE_E2E=require, when missing), and
// stops it in t.Cleanup. Errors fail the test.
func StartForTest(t testing.TB, opts *Options) *Instance {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.Need(t, "containerd", "runc", "ctr", "go")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	inst, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			t.Logf("containerd log tail:\n%s", inst.logTail())
		}
		if err := inst.Stop(ctx); err != nil {
			t.Errorf("stop containerd: %v", err)
		}
	})
	return inst
}
