package containerd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/errdefs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// container is a CRI container: a containerd container with labels that
// record its CRI metadata, and a task once started.
type container struct {
	id          string
	sandboxID   string
	name        string // the reserved unique name
	meta        *runtimeapi.ContainerMetadata
	labels      map[string]string
	annotations map[string]string
	image       string // as requested
	imageRef    string // the image ID (config digest)
	logPath     string
	created     int64
	mounts      []*runtimeapi.Mount
	stopSignal  string // the image's StopSignal, "" for SIGTERM

	// lifecycle serializes Start, Stop and Remove.
	lifecycle chanMutex

	// Guarded by Runtime.mu.
	state    runtimeapi.ContainerState
	started  int64
	finished int64
	exitCode int32
	reason   string
	task     containerd.Task
	done     chan struct{} // closed when the task exits; nil before start
	log      *logFile
	ioCancel func() // stops copying output (Runtime.Close)
}

func containerName(md *runtimeapi.ContainerMetadata, sb *sandbox) string {
	return strings.Join([]string{md.GetName(), sb.meta.GetName(), sb.meta.GetNamespace(), sb.meta.GetUid(), fmt.Sprint(md.GetAttempt())}, "_")
}

// CreateContainer creates a container in a ready sandbox from the image
// config overridden by the CRI config. It does not start it.
func (r *Runtime) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (_ *runtimeapi.CreateContainerResponse, retErr error) {
	ctx = r.ns(ctx)
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md.GetName() == "" {
		return nil, fmt.Errorf("CreateContainer: metadata name is required: %w", cri.ErrInvalidArgument)
	}
	if cfg.GetImage().GetImage() == "" {
		return nil, fmt.Errorf("CreateContainer: image is required: %w", cri.ErrInvalidArgument)
	}
	sb, err := r.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, fmt.Errorf("CreateContainer: %w", err)
	}
	r.mu.RLock()
	state, pausePid := sb.state, sb.pid
	r.mu.RUnlock()
	if state != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, fmt.Errorf("CreateContainer: sandbox %s is not ready: %w", sb.id, cri.ErrFailedPrecondition)
	}
	id := newID()
	c := &container{
		id:          id,
		sandboxID:   sb.id,
		name:        containerName(md, sb),
		meta:        md,
		labels:      cfg.GetLabels(),
		annotations: cfg.GetAnnotations(),
		image:       cfg.GetImage().GetImage(),
		created:     time.Now().UnixNano(),
		mounts:      cfg.GetMounts(),
		state:       runtimeapi.ContainerState_CONTAINER_CREATED,
		lifecycle:   newChanMutex(),
	}
	if p := cfg.GetLogPath(); p != "" {
		c.logPath = p
		if !filepath.IsAbs(p) {
			c.logPath = filepath.Join(sb.logDir, p)
		}
	}
	if err := r.reserve(c.name, id); err != nil {
		return nil, fmt.Errorf("CreateContainer: %w", err)
	}
	defer func() {
		if retErr != nil {
			r.release(c.name, id)
		}
	}()
	info, err := r.image(ctx, c.image)
	if err != nil {
		return nil, fmt.Errorf("CreateContainer: image %s: %w", c.image, err)
	}
	c.imageRef = info.id.String()
	c.stopSignal = info.spec.Config.StopSignal
	specOpts, err := r.containerSpec(c, sb, pausePid, cfg, info)
	if err != nil {
		return nil, fmt.Errorf("CreateContainer: %w", err)
	}
	labels, err := c.containerdLabels()
	if err != nil {
		return nil, fmt.Errorf("CreateContainer: %w", err)
	}
	// A writable snapshot even for a read-only root: runc creates mount
	// points in it before it remounts the root read-only.
	_, err = r.client.NewContainer(ctx, id,
		containerd.WithImage(info.img),
		containerd.WithSnapshotter(r.opts.Snapshotter),
		containerd.WithNewSnapshot(id, info.img),
		containerd.WithNewSpec(specOpts...),
		containerd.WithRuntime(r.opts.Runtime, nil),
		containerd.WithContainerLabels(labels),
	)
	if err != nil {
		return nil, fmt.Errorf("CreateContainer: %w", mapErr(err))
	}
	r.mu.Lock()
	r.containers[id] = c
	r.mu.Unlock()
	r.publish(c, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

func (c *container) containerdLabels() (map[string]string, error) {
	mounts, err := json.Marshal(c.mounts)
	if err != nil {
		return nil, err
	}
	l := map[string]string{
		labelKind:     kindContainer,
		labelSandbox:  c.sandboxID,
		labelName:     c.meta.GetName(),
		labelAttempt:  fmt.Sprint(c.meta.GetAttempt()),
		labelCreated:  itoa64(c.created),
		labelImage:    c.image,
		labelImageRef: c.imageRef,
		labelLogPath:  c.logPath,
		labelMounts:   string(mounts),
		labelStopSig:  c.stopSignal,
	}
	putMap(l, userLabelPrefix, c.labels)
	putMap(l, annotationPrefix, c.annotations)
	return l, nil
}

// containerFromLabels rebuilds a container recorded by containerdLabels.
func containerFromLabels(id string, l map[string]string, sb *sandbox) *container {
	md := &runtimeapi.ContainerMetadata{Name: l[labelName], Attempt: uint32(atoi64(l[labelAttempt]))}
	c := &container{
		id:          id,
		sandboxID:   l[labelSandbox],
		meta:        md,
		labels:      getMap(l, userLabelPrefix),
		annotations: getMap(l, annotationPrefix),
		image:       l[labelImage],
		imageRef:    l[labelImageRef],
		logPath:     l[labelLogPath],
		created:     atoi64(l[labelCreated]),
		started:     atoi64(l[labelStarted]),
		stopSignal:  l[labelStopSig],
		state:       runtimeapi.ContainerState_CONTAINER_CREATED,
		lifecycle:   newChanMutex(),
	}
	if sb != nil {
		c.name = containerName(md, sb)
	}
	json.Unmarshal([]byte(l[labelMounts]), &c.mounts)
	return c
}

func (r *Runtime) getContainer(id string) (*container, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if c, ok := r.containers[id]; ok {
		return c, nil
	}
	var found *container
	for cid, c := range r.containers {
		if id != "" && strings.HasPrefix(cid, id) {
			if found != nil {
				return nil, fmt.Errorf("container ID prefix %q is ambiguous: %w", id, cri.ErrInvalidArgument)
			}
			found = c
		}
	}
	if found == nil {
		return nil, fmt.Errorf("container %q: %w", id, cri.ErrNotFound)
	}
	return found, nil
}

// StartContainer starts a created container, its output going to the log
// in the CRI format.
func (r *Runtime) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	ctx = r.ns(ctx)
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("StartContainer: %w", err)
	}
	if err := c.lifecycle.lock(ctx); err != nil {
		return nil, err
	}
	defer c.lifecycle.unlock()
	r.mu.RLock()
	state := c.state
	sb := r.sandboxes[c.sandboxID]
	r.mu.RUnlock()
	if state != runtimeapi.ContainerState_CONTAINER_CREATED {
		return nil, fmt.Errorf("StartContainer %s: state %v: %w", c.id, state, cri.ErrFailedPrecondition)
	}
	if sb == nil {
		return nil, fmt.Errorf("StartContainer %s: sandbox %s: %w", c.id, c.sandboxID, cri.ErrNotFound)
	}
	cont, err := r.client.LoadContainer(ctx, c.id)
	if err != nil {
		return nil, fmt.Errorf("StartContainer %s: %w", c.id, mapErr(err))
	}
	log, err := openLog(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("StartContainer %s: %w", c.id, err)
	}
	stdout, stderr := log.stream("stdout"), log.stream("stderr")
	if err := os.MkdirAll(r.fifoDir(c.id), 0o700); err != nil {
		log.Close()
		return nil, fmt.Errorf("StartContainer %s: %w", c.id, err)
	}
	task, err := cont.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, stdout, stderr), cio.WithFIFODir(r.fifoDir(c.id))))
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("StartContainer %s: %w", c.id, mapErr(err))
	}
	exitCh, err := task.Wait(r.ns(context.Background()))
	if err == nil {
		err = task.Start(ctx)
	}
	if err != nil {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		task.Delete(cctx, containerd.WithProcessKill)
		log.Close()
		return nil, fmt.Errorf("StartContainer %s: %w", c.id, mapErr(err))
	}
	started := time.Now().UnixNano()
	// Recording the start time is a metadata write containerd syncs to
	// disk; it is off the start path. If the Runtime dies before it lands,
	// a successor reports the container without a start time.
	go func() {
		lctx, cancel := cleanupCtx(ctx)
		defer cancel()
		if _, err := cont.SetLabels(lctx, map[string]string{labelStarted: itoa64(started)}); err != nil && !errdefs.IsNotFound(err) {
			r.log.Warn("record start time", "container", c.id, "err", err)
		}
	}()
	r.mu.Lock()
	c.state = runtimeapi.ContainerState_CONTAINER_RUNNING
	c.started = started
	c.task = task
	c.log = log
	c.done = make(chan struct{})
	c.ioCancel = task.IO().Cancel
	r.mu.Unlock()
	go r.monitorContainer(c, task, exitCh, stdout, stderr)
	r.publish(c, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	return &runtimeapi.StartContainerResponse{}, nil
}

// ioDrainTimeout bounds the wait for a container's output after it
// exited: a background child may hold the pipes open.
const ioDrainTimeout = 5 * time.Second

// monitorContainer waits for the task to exit, drains its output into the
// log, and records the exit.
func (r *Runtime) monitorContainer(c *container, task containerd.Task, exitCh <-chan containerd.ExitStatus, streams ...interface{ Close() error }) {
	code, at, ok := r.waitExit(task, exitCh)
	if !ok {
		return // the Runtime was closed: the task runs on, unobserved
	}
	if io := task.IO(); io != nil {
		drained := make(chan struct{})
		go func() { io.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(ioDrainTimeout):
			io.Cancel()
		}
		io.Close()
	}
	for _, s := range streams {
		s.Close()
	}
	r.mu.Lock()
	if c.log != nil {
		c.log.Close()
	}
	c.state = runtimeapi.ContainerState_CONTAINER_EXITED
	c.exitCode = int32(code)
	c.finished = at.UnixNano()
	if at.IsZero() {
		c.finished = time.Now().UnixNano()
	}
	c.reason = "Completed"
	if code != 0 {
		c.reason = "Error"
	}
	close(c.done)
	r.mu.Unlock()
	r.publish(c, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
}

// detachIO stops copying output without touching the task (Close).
func (c *container) detachIO() {
	if c.ioCancel != nil {
		c.ioCancel()
	}
}

// StopContainer sends the image's stop signal (SIGTERM by default), then
// SIGKILL after req.Timeout seconds (at once for 0). Stopping a container that is not running succeeds.
func (r *Runtime) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	ctx = r.ns(ctx)
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("StopContainer: %w", err)
	}
	if err := r.stopContainer(ctx, c, time.Duration(req.GetTimeout())*time.Second); err != nil {
		return nil, fmt.Errorf("StopContainer %s: %w", c.id, err)
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

func (r *Runtime) stopContainer(ctx context.Context, c *container, grace time.Duration) error {
	if err := c.lifecycle.lock(ctx); err != nil {
		return err
	}
	defer c.lifecycle.unlock()
	r.mu.RLock()
	state, task, done := c.state, c.task, c.done
	r.mu.RUnlock()
	if state != runtimeapi.ContainerState_CONTAINER_RUNNING || task == nil {
		return nil
	}
	if grace > 0 {
		sig := syscall.SIGTERM
		if c.stopSignal != "" {
			if s, err := containerd.ParseSignal(c.stopSignal); err == nil {
				sig = s
			}
		}
		if err := task.Kill(ctx, sig); err != nil && !errdefs.IsNotFound(err) {
			return mapErr(err)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
			return nil
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return mapErr(err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RemoveContainer kills the container if it runs and removes it with its
// task and snapshot. Removing a missing container succeeds.
func (r *Runtime) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	ctx = r.ns(ctx)
	c, err := r.getContainer(req.GetContainerId())
	if errors.Is(err, cri.ErrNotFound) {
		return &runtimeapi.RemoveContainerResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("RemoveContainer: %w", err)
	}
	if err := r.removeContainer(ctx, c); err != nil {
		return nil, fmt.Errorf("RemoveContainer %s: %w", c.id, err)
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

func (r *Runtime) removeContainer(ctx context.Context, c *container) error {
	if err := r.stopContainer(ctx, c, 0); err != nil {
		return err
	}
	if err := c.lifecycle.lock(ctx); err != nil {
		return err
	}
	defer c.lifecycle.unlock()
	if err := deleteContainer(ctx, r.client, c.id); err != nil {
		return err
	}
	os.RemoveAll(r.fifoDir(c.id))
	r.mu.Lock()
	_, present := r.containers[c.id]
	delete(r.containers, c.id)
	r.mu.Unlock()
	r.release(c.name, c.id)
	if present {
		r.publish(c, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	}
	return nil
}

// ContainerStatus returns the container's state, exit and metadata.
func (r *Runtime) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("ContainerStatus: %w", err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	st := &runtimeapi.ContainerStatus{
		Id:          c.id,
		Metadata:    c.meta,
		State:       c.state,
		CreatedAt:   c.created,
		StartedAt:   c.started,
		FinishedAt:  c.finished,
		ExitCode:    c.exitCode,
		Image:       &runtimeapi.ImageSpec{Image: c.image},
		ImageRef:    c.imageRef,
		ImageId:     c.imageRef,
		Reason:      c.reason,
		Labels:      c.labels,
		Annotations: c.annotations,
		Mounts:      c.mounts,
		LogPath:     c.logPath,
	}
	return &runtimeapi.ContainerStatusResponse{Status: st}, nil
}

// ListContainers lists containers matching the filter, oldest first.
func (r *Runtime) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f := req.GetFilter()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*runtimeapi.Container
	for _, c := range r.containers {
		if !c.matches(f) {
			continue
		}
		out = append(out, &runtimeapi.Container{
			Id: c.id, PodSandboxId: c.sandboxID, Metadata: c.meta,
			Image: &runtimeapi.ImageSpec{Image: c.image}, ImageRef: c.imageRef, ImageId: c.imageRef,
			State: c.state, CreatedAt: c.created, Labels: c.labels, Annotations: c.annotations,
		})
	}
	slices.SortFunc(out, func(a, b *runtimeapi.Container) int { return cmpInt64(a.CreatedAt, b.CreatedAt) })
	return &runtimeapi.ListContainersResponse{Containers: out}, nil
}

// matches applies a CRI container filter; Runtime.mu must be held.
func (c *container) matches(f *runtimeapi.ContainerFilter) bool {
	if f.GetId() != "" && !strings.HasPrefix(c.id, f.GetId()) {
		return false
	}
	if f.GetPodSandboxId() != "" && !strings.HasPrefix(c.sandboxID, f.GetPodSandboxId()) {
		return false
	}
	if f.GetState() != nil && f.GetState().GetState() != c.state {
		return false
	}
	return labelSelected(c.labels, f.GetLabelSelector())
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// UpdateContainerResources changes a running container's CPU and memory
// limits.
func (r *Runtime) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	ctx = r.ns(ctx)
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("UpdateContainerResources: %w", err)
	}
	r.mu.RLock()
	state, task := c.state, c.task
	r.mu.RUnlock()
	if state != runtimeapi.ContainerState_CONTAINER_RUNNING || task == nil {
		return nil, fmt.Errorf("UpdateContainerResources %s: not running: %w", c.id, cri.ErrFailedPrecondition)
	}
	res := linuxResources(req.GetLinux())
	if err := task.Update(ctx, containerd.WithResources(res)); err != nil {
		return nil, fmt.Errorf("UpdateContainerResources %s: %w", c.id, mapErr(err))
	}
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

// ReopenContainerLog reopens a running container's log file at its path.
func (r *Runtime) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("ReopenContainerLog: %w", err)
	}
	r.mu.RLock()
	state, log := c.state, c.log
	r.mu.RUnlock()
	if state != runtimeapi.ContainerState_CONTAINER_RUNNING || log == nil {
		return nil, fmt.Errorf("ReopenContainerLog %s: not running: %w", c.id, cri.ErrFailedPrecondition)
	}
	if err := log.reopen(); err != nil {
		return nil, fmt.Errorf("ReopenContainerLog %s: %w", c.id, err)
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// maxExecOutput caps each of ExecSync's stdout and stderr, as the kubelet
// caps probe output.
const maxExecOutput = 16 << 20

// cappedBuffer keeps the first maxExecOutput bytes written to it.
type cappedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxExecOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// ExecSync runs a command in a running container and returns its output
// and exit code. Past req.Timeout seconds (0: no limit) the command is
// killed and the error wraps cri.ErrDeadline.
func (r *Runtime) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	ctx = r.ns(ctx)
	if len(req.GetCmd()) == 0 {
		return nil, fmt.Errorf("ExecSync: empty command: %w", cri.ErrInvalidArgument)
	}
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("ExecSync: %w", err)
	}
	r.mu.RLock()
	state, task := c.state, c.task
	r.mu.RUnlock()
	if state != runtimeapi.ContainerState_CONTAINER_RUNNING || task == nil {
		return nil, fmt.Errorf("ExecSync %s: not running: %w", c.id, cri.ErrFailedPrecondition)
	}
	cont, err := r.client.LoadContainer(ctx, c.id)
	if err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
	}
	spec, err := cont.Spec(ctx)
	if err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
	}
	pspec := *spec.Process
	pspec.Args = req.GetCmd()
	pspec.Terminal = false
	var stdout, stderr cappedBuffer
	execID := "exec-" + newID()[:24]
	if err := os.MkdirAll(r.fifoDir(c.id), 0o700); err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, err)
	}
	proc, err := task.Exec(ctx, execID, &pspec, cio.NewCreator(cio.WithStreams(nil, &stdout, &stderr), cio.WithFIFODir(r.fifoDir(c.id))))
	if err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	defer proc.Delete(cctx, containerd.WithProcessKill)
	exitCh, err := proc.Wait(r.ns(context.Background()))
	if err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
	}
	if err := proc.Start(ctx); err != nil {
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
	}
	var timeout <-chan time.Time
	if req.GetTimeout() > 0 {
		t := time.NewTimer(time.Duration(req.GetTimeout()) * time.Second)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case st := <-exitCh:
		code, _, err := st.Result()
		if err != nil {
			return nil, fmt.Errorf("ExecSync %s: %w", c.id, mapErr(err))
		}
		drained := make(chan struct{})
		go func() { proc.IO().Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(ioDrainTimeout):
			proc.IO().Cancel()
		}
		proc.IO().Close()
		return &runtimeapi.ExecSyncResponse{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: int32(code)}, nil
	case <-timeout:
		proc.Kill(cctx, syscall.SIGKILL)
		<-exitCh
		proc.IO().Cancel()
		proc.IO().Close()
		return nil, fmt.Errorf("ExecSync %s: command %q timed out after %ds: %w", c.id, req.GetCmd(), req.GetTimeout(), cri.ErrDeadline)
	case <-ctx.Done():
		proc.Kill(cctx, syscall.SIGKILL)
		proc.IO().Cancel()
		proc.IO().Close()
		return nil, fmt.Errorf("ExecSync %s: %w", c.id, ctx.Err())
	}
}

// Exec is not implemented: streaming needs an HTTP streaming server.
func (r *Runtime) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return nil, fmt.Errorf("Exec: streaming is not implemented: %w", cri.ErrUnimplemented)
}

// Attach is not implemented: streaming needs an HTTP streaming server.
func (r *Runtime) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return nil, fmt.Errorf("Attach: streaming is not implemented: %w", cri.ErrUnimplemented)
}

// PortForward is not implemented: streaming needs an HTTP streaming server.
func (r *Runtime) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return nil, fmt.Errorf("PortForward: streaming is not implemented: %w", cri.ErrUnimplemented)
}
