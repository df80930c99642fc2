package containerd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/errdefs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cni"
	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri"
)

// sandbox is a pod sandbox: a network namespace, its CNI attachment and a
// pause container holding the IPC, UTS and PID namespaces.
type sandbox struct {
	id           string
	name         string // the reserved unique name
	meta         *runtimeapi.PodSandboxMetadata
	labels       map[string]string
	annotations  map[string]string
	created      int64
	netnsPath    string
	ips          []string
	hostNetwork  bool
	logDir       string
	handler      string
	hostname     string
	cgroupParent string

	// Guarded by Runtime.mu.
	state runtimeapi.PodSandboxState
	pid   uint32 // the pause process

	// lifecycle serializes Stop and Remove of this sandbox.
	lifecycle chanMutex
}

// chanMutex is a mutex whose Lock gives up when ctx ends.
type chanMutex chan struct{}

func newChanMutex() chanMutex { return make(chanMutex, 1) }

func (m chanMutex) lock(ctx context.Context) error {
	select {
	case m <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m chanMutex) unlock() { <-m }

func sandboxName(md *runtimeapi.PodSandboxMetadata) string {
	return strings.Join([]string{md.GetName(), md.GetNamespace(), md.GetUid(), fmt.Sprint(md.GetAttempt())}, "_")
}

// RunPodSandbox creates the pod's network namespace, attaches it with CNI,
// and starts the pause container in it. On any error everything created so
// far is undone.
func (r *Runtime) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (_ *runtimeapi.RunPodSandboxResponse, retErr error) {
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md.GetName() == "" || md.GetNamespace() == "" {
		return nil, fmt.Errorf("RunPodSandbox: metadata name and namespace are required: %w", cri.ErrInvalidArgument)
	}
	ctx = r.ns(ctx)
	id := newID()
	sb := &sandbox{
		id:           id,
		name:         sandboxName(md),
		meta:         md,
		labels:       cfg.GetLabels(),
		annotations:  cfg.GetAnnotations(),
		created:      time.Now().UnixNano(),
		hostNetwork:  cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() == runtimeapi.NamespaceMode_NODE,
		logDir:       cfg.GetLogDirectory(),
		handler:      req.GetRuntimeHandler(),
		hostname:     cfg.GetHostname(),
		cgroupParent: cfg.GetLinux().GetCgroupParent(),
		lifecycle:    newChanMutex(),
	}
	if err := r.reserve(sb.name, id); err != nil {
		return nil, fmt.Errorf("RunPodSandbox: %w", err)
	}
	var undo []func(context.Context)
	defer func() {
		if retErr == nil {
			return
		}
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i](cctx)
		}
		r.release(sb.name, id)
	}()

	if !sb.hostNetwork {
		ns, err := netns.Create(r.opts.NetnsDir, "cri-"+id[:32])
		if err != nil {
			return nil, fmt.Errorf("RunPodSandbox: %w", err)
		}
		undo = append(undo, func(context.Context) { ns.Delete() })
		sb.netnsPath = ns.Path()
		if err := ns.SetLoopbackUp(); err != nil {
			return nil, fmt.Errorf("RunPodSandbox: %w", err)
		}
		if r.opts.CNI != nil {
			pod := sb.cniPod(cfg.GetPortMappings())
			res, err := r.opts.CNI.Attach(ctx, pod)
			if err != nil {
				if errors.Is(err, cni.ErrNoConfig) {
					return nil, fmt.Errorf("RunPodSandbox: network not ready: %w: %w", cri.ErrUnavailable, err)
				}
				return nil, fmt.Errorf("RunPodSandbox: setup network: %w", err)
			}
			undo = append(undo, func(ctx context.Context) { r.opts.CNI.Detach(ctx, pod) })
			for _, a := range res.Addrs() {
				sb.ips = append(sb.ips, a.String())
			}
		}
	}
	if err := r.writeSandboxFiles(sb, cfg.GetDnsConfig()); err != nil {
		return nil, fmt.Errorf("RunPodSandbox: %w", err)
	}
	undo = append(undo, func(context.Context) { os.RemoveAll(r.sandboxDir(id)) })

	info, err := r.image(ctx, r.opts.SandboxImage)
	if err != nil {
		return nil, fmt.Errorf("RunPodSandbox: sandbox image %s: %w", r.opts.SandboxImage, err)
	}
	cont, err := r.client.NewContainer(ctx, id,
		containerd.WithImage(info.img),
		containerd.WithSnapshotter(r.opts.Snapshotter),
		containerd.WithNewSnapshot(id, info.img),
		containerd.WithNewSpec(r.sandboxSpec(sb, info)...),
		containerd.WithRuntime(r.opts.Runtime, nil),
		containerd.WithContainerLabels(sb.containerdLabels()),
	)
	if err != nil {
		return nil, fmt.Errorf("RunPodSandbox: create pause container: %w", mapErr(err))
	}
	undo = append(undo, func(ctx context.Context) { cont.Delete(ctx, containerd.WithSnapshotCleanup) })
	task, err := cont.NewTask(ctx, cio.NullIO)
	if err != nil {
		return nil, fmt.Errorf("RunPodSandbox: create pause task: %w", mapErr(err))
	}
	undo = append(undo, func(ctx context.Context) { task.Delete(ctx, containerd.WithProcessKill) })
	exitCh, err := task.Wait(r.ns(context.Background()))
	if err != nil {
		return nil, fmt.Errorf("RunPodSandbox: wait pause task: %w", mapErr(err))
	}
	if err := task.Start(ctx); err != nil {
		return nil, fmt.Errorf("RunPodSandbox: start pause task: %w", mapErr(err))
	}
	r.mu.Lock()
	sb.state = runtimeapi.PodSandboxState_SANDBOX_READY
	sb.pid = task.Pid()
	r.sandboxes[id] = sb
	r.mu.Unlock()
	go r.monitorSandbox(sb, task, exitCh)
	r.log.Debug("sandbox ready", "id", id, "name", sb.name, "ips", sb.ips)
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: id}, nil
}

func (sb *sandbox) cniPod(pms []*runtimeapi.PortMapping) cni.Pod {
	pod := cni.Pod{ID: sb.id, Namespace: sb.meta.GetNamespace(), Name: sb.meta.GetName(), UID: sb.meta.GetUid(), NetnsPath: sb.netnsPath}
	for _, pm := range pms {
		if pm.GetHostPort() <= 0 {
			continue
		}
		pod.Capabilities.PortMappings = append(pod.Capabilities.PortMappings, cni.PortMapping{
			HostPort:      pm.GetHostPort(),
			ContainerPort: pm.GetContainerPort(),
			Protocol:      strings.ToLower(pm.GetProtocol().String()),
			HostIP:        pm.GetHostIp(),
		})
	}
	return pod
}

func (sb *sandbox) containerdLabels() map[string]string {
	l := map[string]string{
		labelKind:                     kindSandbox,
		labelName:                     sb.meta.GetName(),
		labelNamespace:                sb.meta.GetNamespace(),
		labelUID:                      sb.meta.GetUid(),
		labelAttempt:                  fmt.Sprint(sb.meta.GetAttempt()),
		labelCreated:                  itoa64(sb.created),
		labelNetns:                    sb.netnsPath,
		labelIPs:                      strings.Join(sb.ips, ","),
		labelLogDir:                   sb.logDir,
		labelHandler:                  sb.handler,
		labelPrefix + "hostname":      sb.hostname,
		labelPrefix + "cgroup-parent": sb.cgroupParent,
	}
	if sb.hostNetwork {
		l[labelHostNetwork] = "true"
	}
	putMap(l, userLabelPrefix, sb.labels)
	putMap(l, annotationPrefix, sb.annotations)
	return l
}

// sandboxFromLabels rebuilds a sandbox recorded by containerdLabels.
func sandboxFromLabels(id string, l map[string]string) *sandbox {
	md := &runtimeapi.PodSandboxMetadata{Name: l[labelName], Namespace: l[labelNamespace], Uid: l[labelUID], Attempt: uint32(atoi64(l[labelAttempt]))}
	sb := &sandbox{
		id:           id,
		name:         sandboxName(md),
		meta:         md,
		labels:       getMap(l, userLabelPrefix),
		annotations:  getMap(l, annotationPrefix),
		created:      atoi64(l[labelCreated]),
		netnsPath:    l[labelNetns],
		hostNetwork:  l[labelHostNetwork] == "true",
		logDir:       l[labelLogDir],
		handler:      l[labelHandler],
		hostname:     l[labelPrefix+"hostname"],
		cgroupParent: l[labelPrefix+"cgroup-parent"],
		state:        runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		lifecycle:    newChanMutex(),
	}
	if ips := l[labelIPs]; ips != "" {
		sb.ips = strings.Split(ips, ",")
	}
	return sb
}

// writeSandboxFiles writes the hostname, hosts and resolv.conf files that
// every container of the sandbox mounts.
func (r *Runtime) writeSandboxFiles(sb *sandbox, dns *runtimeapi.DNSConfig) error {
	dir := r.sandboxDir(sb.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hostname := sb.hostname
	if hostname == "" || sb.hostNetwork {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		if hostname == "" {
			hostname = h
		}
	}
	sb.hostname = hostname
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if len(sb.ips) > 0 {
		hosts += sb.ips[0] + "\t" + hostname + "\n"
	}
	if sb.hostNetwork {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
	}
	var resolv string
	if dns != nil && (len(dns.GetServers()) > 0 || len(dns.GetSearches()) > 0 || len(dns.GetOptions()) > 0) {
		var b strings.Builder
		if len(dns.GetSearches()) > 0 {
			fmt.Fprintf(&b, "search %s\n", strings.Join(dns.GetSearches(), " "))
		}
		for _, s := range dns.GetServers() {
			fmt.Fprintf(&b, "nameserver %s\n", s)
		}
		if len(dns.GetOptions()) > 0 {
			fmt.Fprintf(&b, "options %s\n", strings.Join(dns.GetOptions(), " "))
		}
		resolv = b.String()
	} else if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		resolv = string(b)
	}
	for name, data := range map[string]string{"hostname": hostname + "\n", "hosts": hosts, "resolv.conf": resolv} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// monitorSandbox marks the sandbox not ready when its pause process ends.
func (r *Runtime) monitorSandbox(sb *sandbox, task containerd.Task, exitCh <-chan containerd.ExitStatus) {
	if _, _, ok := r.waitExit(task, exitCh); !ok {
		return
	}
	r.mu.Lock()
	sb.state = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	r.mu.Unlock()
}

func (r *Runtime) getSandbox(id string) (*sandbox, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if sb, ok := r.sandboxes[id]; ok {
		return sb, nil
	}
	// A unique prefix is accepted, as by containerd's CRI.
	var found *sandbox
	for sid, sb := range r.sandboxes {
		if id != "" && strings.HasPrefix(sid, id) {
			if found != nil {
				return nil, fmt.Errorf("sandbox ID prefix %q is ambiguous: %w", id, cri.ErrInvalidArgument)
			}
			found = sb
		}
	}
	if found == nil {
		return nil, fmt.Errorf("sandbox %q: %w", id, cri.ErrNotFound)
	}
	return found, nil
}

// sandboxContainers returns the containers of a sandbox.
func (r *Runtime) sandboxContainers(id string) []*container {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*container
	for _, c := range r.containers {
		if c.sandboxID == id {
			out = append(out, c)
		}
	}
	return out
}

// StopPodSandbox stops the sandbox's containers, kills the pause process,
// detaches the network and deletes the namespace. It is idempotent, and a
// missing sandbox is not an error.
func (r *Runtime) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	sb, err := r.getSandbox(req.GetPodSandboxId())
	if errors.Is(err, cri.ErrNotFound) {
		return &runtimeapi.StopPodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("StopPodSandbox: %w", err)
	}
	if err := r.stopSandbox(r.ns(ctx), sb); err != nil {
		return nil, fmt.Errorf("StopPodSandbox %s: %w", sb.id, err)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (r *Runtime) stopSandbox(ctx context.Context, sb *sandbox) error {
	if err := sb.lifecycle.lock(ctx); err != nil {
		return err
	}
	defer sb.lifecycle.unlock()
	for _, c := range r.sandboxContainers(sb.id) {
		if err := r.stopContainer(ctx, c, 0); err != nil {
			return err
		}
	}
	cont, err := r.client.LoadContainer(ctx, sb.id)
	if err != nil && !errdefs.IsNotFound(err) {
		return mapErr(err)
	}
	if err == nil {
		if err := killTask(ctx, cont); err != nil {
			return err
		}
		if _, err := cont.SetLabels(ctx, map[string]string{labelStopped: "true"}); err != nil && !errdefs.IsNotFound(err) {
			return mapErr(err)
		}
	}
	if !sb.hostNetwork && sb.netnsPath != "" {
		if r.opts.CNI != nil {
			if err := r.opts.CNI.Detach(ctx, sb.cniPod(nil)); err != nil {
				return fmt.Errorf("teardown network: %w", err)
			}
		}
		if err := netns.Delete(sb.netnsPath); err != nil {
			return err
		}
	}
	r.mu.Lock()
	sb.state = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	r.mu.Unlock()
	return nil
}

// killTask SIGKILLs the container's task, if any, and waits until it is
// stopped.
func killTask(ctx context.Context, cont containerd.Container) error {
	task, err := cont.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return mapErr(err)
	}
	st, err := task.Status(ctx)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return mapErr(err)
	}
	if st.Status == containerd.Stopped {
		return nil
	}
	exitCh, err := task.Wait(ctx)
	if err != nil {
		return mapErr(err)
	}
	if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return mapErr(err)
	}
	select {
	case <-exitCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RemovePodSandbox stops the sandbox if needed and removes it with its
// containers. Removing a missing sandbox succeeds.
func (r *Runtime) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	ctx = r.ns(ctx)
	sb, err := r.getSandbox(req.GetPodSandboxId())
	if errors.Is(err, cri.ErrNotFound) {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("RemovePodSandbox: %w", err)
	}
	if err := r.stopSandbox(ctx, sb); err != nil {
		return nil, fmt.Errorf("RemovePodSandbox %s: %w", sb.id, err)
	}
	if err := sb.lifecycle.lock(ctx); err != nil {
		return nil, err
	}
	defer sb.lifecycle.unlock()
	for _, c := range r.sandboxContainers(sb.id) {
		if err := r.removeContainer(ctx, c); err != nil {
			return nil, fmt.Errorf("RemovePodSandbox %s: %w", sb.id, err)
		}
	}
	if err := deleteContainer(ctx, r.client, sb.id); err != nil {
		return nil, fmt.Errorf("RemovePodSandbox %s: %w", sb.id, err)
	}
	os.RemoveAll(r.sandboxDir(sb.id))
	r.mu.Lock()
	delete(r.sandboxes, sb.id)
	r.mu.Unlock()
	r.release(sb.name, sb.id)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// deleteContainer deletes a containerd container, its task and snapshot;
// a missing one is not an error.
func deleteContainer(ctx context.Context, client *containerd.Client, id string) error {
	cont, err := client.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return mapErr(err)
	}
	if task, err := cont.Task(ctx, nil); err == nil {
		if _, err := task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			return mapErr(err)
		}
	} else if !errdefs.IsNotFound(err) {
		return mapErr(err)
	}
	if err := cont.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return mapErr(err)
	}
	return nil
}

// PodSandboxStatus returns the sandbox's state, metadata and IPs.
func (r *Runtime) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	sb, err := r.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, fmt.Errorf("PodSandboxStatus: %w", err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return &runtimeapi.PodSandboxStatusResponse{Status: sb.status()}, nil
}

// status builds the CRI status; Runtime.mu must be held.
func (sb *sandbox) status() *runtimeapi.PodSandboxStatus {
	st := &runtimeapi.PodSandboxStatus{
		Id:             sb.id,
		Metadata:       sb.meta,
		State:          sb.state,
		CreatedAt:      sb.created,
		Labels:         sb.labels,
		Annotations:    sb.annotations,
		RuntimeHandler: sb.handler,
		Network:        &runtimeapi.PodSandboxNetworkStatus{},
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: &runtimeapi.NamespaceOption{
			Network: map[bool]runtimeapi.NamespaceMode{true: runtimeapi.NamespaceMode_NODE, false: runtimeapi.NamespaceMode_POD}[sb.hostNetwork],
			Pid:     runtimeapi.NamespaceMode_CONTAINER,
			Ipc:     runtimeapi.NamespaceMode_POD,
		}}},
	}
	if len(sb.ips) > 0 {
		st.Network.Ip = sb.ips[0]
		for _, ip := range sb.ips[1:] {
			st.Network.AdditionalIps = append(st.Network.AdditionalIps, &runtimeapi.PodIP{Ip: ip})
		}
	}
	return st
}

// ListPodSandbox lists sandboxes matching the filter, oldest first.
func (r *Runtime) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f := req.GetFilter()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var items []*runtimeapi.PodSandbox
	for _, sb := range r.sandboxes {
		if f.GetId() != "" && !strings.HasPrefix(sb.id, f.GetId()) {
			continue
		}
		if f.GetState() != nil && f.GetState().GetState() != sb.state {
			continue
		}
		if !labelSelected(sb.labels, f.GetLabelSelector()) {
			continue
		}
		items = append(items, &runtimeapi.PodSandbox{
			Id: sb.id, Metadata: sb.meta, State: sb.state, CreatedAt: sb.created,
			Labels: sb.labels, Annotations: sb.annotations, RuntimeHandler: sb.handler,
		})
	}
	slices.SortFunc(items, func(a, b *runtimeapi.PodSandbox) int { return cmpInt64(a.CreatedAt, b.CreatedAt) })
	return &runtimeapi.ListPodSandboxResponse{Items: items}, nil
}
