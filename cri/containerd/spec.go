package containerd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/containers"
	"github.com/containerd/containerd/oci"
	"github.com/containerd/containerd/pkg/cap"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// sandboxOOMScoreAdj is the pause process's oom_score_adj, as in
// containerd's CRI; it is raised to the runtime's own value when that is
// higher (see withOOMScoreAdj).
const sandboxOOMScoreAdj = -998

// cgroupsPath places a container's cgroup under parent, or under a
// directory named after the containerd namespace.
func (r *Runtime) cgroupsPath(parent, id string) string {
	if parent == "" {
		parent = "/" + r.opts.Namespace
	}
	return filepath.Join(parent, id)
}

// sandboxSpec is the pause container's spec: the image's command, the
// pod's network namespace (or the host's), fresh IPC, UTS and PID
// namespaces, and the pod's hostname.
func (r *Runtime) sandboxSpec(sb *sandbox, img *imageInfo) []oci.SpecOpts {
	opts := []oci.SpecOpts{
		withImageConfig(img.spec.Config),
		oci.WithHostname(sb.hostname),
		oci.WithCgroup(r.cgroupsPath(sb.cgroupParent, sb.id)),
		withOOMScoreAdj(sandboxOOMScoreAdj),
		oci.WithAnnotations(map[string]string{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": sb.id}),
	}
	if sb.hostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace))
	} else {
		opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: sb.netnsPath}))
	}
	return opts
}

// containerSpec turns a CRI container config into spec options: image
// config first, then the CRI overrides, then the sandbox's namespaces.
func (r *Runtime) containerSpec(c *container, sb *sandbox, pausePid uint32, cfg *runtimeapi.ContainerConfig, img *imageInfo) ([]oci.SpecOpts, error) {
	imgSpec := img.spec
	args := processArgs(imgSpec.Config.Entrypoint, imgSpec.Config.Cmd, cfg.GetCommand(), cfg.GetArgs())
	if len(args) == 0 {
		return nil, fmt.Errorf("no command: neither the image nor the config gives one: %w", cri.ErrInvalidArgument)
	}
	sc := cfg.GetLinux().GetSecurityContext()
	if sc.GetPrivileged() && !sbPrivileged(sb) {
		// The sandbox config is not kept; privileged containers are allowed
		// only in sandboxes created with the annotation below.
		return nil, fmt.Errorf("privileged container in an unprivileged sandbox: %w", cri.ErrInvalidArgument)
	}
	opts := []oci.SpecOpts{
		withImageConfig(imgSpec.Config),
		oci.WithProcessArgs(args...),
		oci.WithEnv([]string{"HOSTNAME=" + sb.hostname}),
		oci.WithEnv(envList(cfg.GetEnvs())),
		oci.WithCgroup(r.cgroupsPath(sb.cgroupParent, c.id)),
		oci.WithAnnotations(map[string]string{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": sb.id}),
		oci.WithAnnotations(cfg.GetAnnotations()),
	}
	if wd := cfg.GetWorkingDir(); wd != "" {
		opts = append(opts, oci.WithProcessCwd(wd))
	}
	// The sandbox's files; a CRI mount at the same path wins.
	dir := r.sandboxDir(sb.id)
	taken := map[string]bool{}
	for _, m := range cfg.GetMounts() {
		taken[filepath.Clean(m.GetContainerPath())] = true
	}
	var mounts []specs.Mount
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		if dst := "/etc/" + f; !taken[dst] {
			mounts = append(mounts, specs.Mount{Destination: dst, Source: filepath.Join(dir, f), Type: "bind", Options: []string{"rbind", "rprivate", "rw"}})
		}
	}
	for _, m := range cfg.GetMounts() {
		sm, err := bindMount(m)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, sm)
	}
	opts = append(opts, oci.WithMounts(mounts))

	// Namespaces: the pod's network, IPC and UTS; PID per the config.
	if sb.hostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace))
	} else {
		opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: sb.netnsPath}))
	}
	if pausePid == 0 {
		return nil, fmt.Errorf("sandbox %s has no pause process: %w", sb.id, cri.ErrFailedPrecondition)
	}
	proc := func(ns string) string { return fmt.Sprintf("/proc/%d/ns/%s", pausePid, ns) }
	opts = append(opts,
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.IPCNamespace, Path: proc("ipc")}),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.UTSNamespace, Path: proc("uts")}),
	)
	switch sc.GetNamespaceOptions().GetPid() {
	case runtimeapi.NamespaceMode_POD:
		opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.PIDNamespace, Path: proc("pid")}))
	case runtimeapi.NamespaceMode_NODE:
		opts = append(opts, oci.WithHostNamespace(specs.PIDNamespace))
	}

	// Resources.
	if res := cfg.GetLinux().GetResources(); res != nil {
		lr := linuxResources(res)
		opts = append(opts, func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
			if s.Linux == nil {
				s.Linux = &specs.Linux{}
			}
			s.Linux.Resources = mergeResources(s.Linux.Resources, lr)
			return nil
		})
		if adj := res.GetOomScoreAdj(); adj != 0 {
			opts = append(opts, withOOMScoreAdj(int(adj)))
		}
	}

	// Security context.
	if sc.GetReadonlyRootfs() {
		opts = append(opts, oci.WithRootFSReadonly())
	}
	switch {
	case sc.GetRunAsUser() != nil && sc.GetRunAsGroup() != nil:
		opts = append(opts, oci.WithUIDGID(uint32(sc.GetRunAsUser().GetValue()), uint32(sc.GetRunAsGroup().GetValue())))
	case sc.GetRunAsUser() != nil:
		opts = append(opts, oci.WithUserID(uint32(sc.GetRunAsUser().GetValue())))
	case sc.GetRunAsUsername() != "":
		opts = append(opts, oci.WithUser(sc.GetRunAsUsername()))
	}
	if groups := sc.GetSupplementalGroups(); len(groups) > 0 {
		opts = append(opts, func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
			for _, g := range groups {
				s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, uint32(g))
			}
			return nil
		})
	}
	if sc.GetPrivileged() {
		opts = append(opts,
			oci.WithCapabilities(cap.Known()),
			oci.WithMaskedPaths(nil),
			oci.WithReadonlyPaths(nil),
			oci.WithHostDevices,
			oci.WithAllDevicesAllowed,
			oci.WithWriteableSysfs,
			oci.WithWriteableCgroupfs,
		)
	} else if caps := sc.GetCapabilities(); caps != nil {
		opts = append(opts, capabilityOpts(caps.GetAddCapabilities(), caps.GetDropCapabilities())...)
	}
	if sc.GetNoNewPrivs() {
		opts = append(opts, oci.WithNoNewPrivileges)
	}
	return opts, nil
}

// defaultPath is the PATH of images that set no environment.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// withImageConfig applies an image config (env, command, working dir,
// user) from the cached config. Unlike oci.WithImageConfig it reads no
// content and mounts the root filesystem only for a named image user.
func withImageConfig(ic ocispec.ImageConfig) oci.SpecOpts {
	return func(ctx context.Context, client oci.Client, c *containers.Container, s *specs.Spec) error {
		if s.Process == nil {
			s.Process = &specs.Process{}
		}
		env := ic.Env
		if len(env) == 0 {
			env = []string{defaultPath}
		}
		if err := oci.WithEnv(env)(ctx, client, c, s); err != nil {
			return err
		}
		s.Process.Args = append(append([]string{}, ic.Entrypoint...), ic.Cmd...)
		s.Process.Cwd = ic.WorkingDir
		if s.Process.Cwd == "" {
			s.Process.Cwd = "/"
		}
		if ic.User != "" {
			return oci.WithUser(ic.User)(ctx, client, c, s)
		}
		s.Process.User = specs.User{}
		return nil
	}
}

// privilegedAnnotation on a sandbox allows privileged containers in it.
const privilegedAnnotation = "io.longshore.cri/privileged"

func sbPrivileged(sb *sandbox) bool { return sb.annotations[privilegedAnnotation] == "true" }

// processArgs applies Kubernetes' rules: command replaces the image's
// entrypoint (and drops its cmd), args replace the cmd.
func processArgs(entrypoint, cmd, command, args []string) []string {
	if len(command) > 0 {
		entrypoint, cmd = command, nil
	}
	if len(args) > 0 {
		cmd = args
	}
	return append(append([]string{}, entrypoint...), cmd...)
}

func envList(kvs []*runtimeapi.KeyValue) []string {
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, kv.GetKey()+"="+string(kv.GetValue()))
	}
	return out
}

// bindMount turns a CRI mount into an OCI bind mount. A missing host path
// is created as a directory, as the kubelet expects of runtimes.
func bindMount(m *runtimeapi.Mount) (specs.Mount, error) {
	if m.GetContainerPath() == "" || m.GetHostPath() == "" {
		return specs.Mount{}, fmt.Errorf("mount %v: host and container paths are required: %w", m, cri.ErrInvalidArgument)
	}
	if _, err := os.Stat(m.GetHostPath()); os.IsNotExist(err) {
		if err := os.MkdirAll(m.GetHostPath(), 0o755); err != nil {
			return specs.Mount{}, fmt.Errorf("mount source %s: %w", m.GetHostPath(), err)
		}
	}
	opts := []string{"rbind"}
	switch m.GetPropagation() {
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		opts = append(opts, "rslave")
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		opts = append(opts, "rshared")
	default:
		opts = append(opts, "rprivate")
	}
	if m.GetReadonly() {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "rw")
	}
	return specs.Mount{Destination: m.GetContainerPath(), Source: m.GetHostPath(), Type: "bind", Options: opts}, nil
}

// capabilityOpts adds and drops capabilities; "ALL" means every known one.
func capabilityOpts(add, drop []string) []oci.SpecOpts {
	norm := func(cs []string) (all bool, out []string) {
		for _, c := range cs {
			c = strings.ToUpper(c)
			if c == "ALL" {
				all = true
				continue
			}
			if !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			out = append(out, c)
		}
		return all, out
	}
	addAll, addList := norm(add)
	dropAll, dropList := norm(drop)
	var opts []oci.SpecOpts
	if addAll {
		opts = append(opts, oci.WithCapabilities(cap.Known()))
	}
	if dropAll {
		opts = append(opts, oci.WithCapabilities(nil))
	}
	if len(addList) > 0 && !addAll {
		opts = append(opts, oci.WithAddedCapabilities(addList))
	}
	if len(dropList) > 0 {
		opts = append(opts, oci.WithDroppedCapabilities(dropList))
	}
	if dropAll && len(addList) > 0 {
		opts = append(opts, oci.WithAddedCapabilities(addList))
	}
	return opts
}

// linuxResources converts CRI resources (OOM score aside) to OCI ones.
func linuxResources(res *runtimeapi.LinuxContainerResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if res == nil {
		return out
	}
	cpu := &specs.LinuxCPU{}
	if v := res.GetCpuShares(); v > 0 {
		s := uint64(v)
		cpu.Shares = &s
	}
	if v := res.GetCpuQuota(); v > 0 {
		cpu.Quota = &v
	}
	if v := res.GetCpuPeriod(); v > 0 {
		p := uint64(v)
		cpu.Period = &p
	}
	cpu.Cpus = res.GetCpusetCpus()
	cpu.Mems = res.GetCpusetMems()
	if cpu.Shares != nil || cpu.Quota != nil || cpu.Period != nil || cpu.Cpus != "" || cpu.Mems != "" {
		out.CPU = cpu
	}
	if v := res.GetMemoryLimitInBytes(); v > 0 {
		out.Memory = &specs.LinuxMemory{Limit: &v}
	}
	return out
}

func mergeResources(base, over *specs.LinuxResources) *specs.LinuxResources {
	if base == nil {
		return over
	}
	if over.CPU != nil {
		base.CPU = over.CPU
	}
	if over.Memory != nil {
		base.Memory = over.Memory
	}
	return base
}

// withOOMScoreAdj sets the process's oom_score_adj, but never below the
// runtime's own: an unprivileged or restricted runtime (containerd's
// restrict_oom_score_adj) may not lower it, and runc would fail the start.
func withOOMScoreAdj(adj int) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
		if cur, err := currentOOMScoreAdj(); err == nil && adj < cur {
			adj = cur
		}
		if s.Process == nil {
			s.Process = &specs.Process{}
		}
		s.Process.OOMScoreAdj = &adj
		return nil
	}
}

func currentOOMScoreAdj() (int, error) {
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
