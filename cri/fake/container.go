package fake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// Exit codes of containers ended by signals, as a shell reports them.
const (
	exitTerminated int32 = 128 + 15 // SIGTERM
	exitKilled     int32 = 128 + 9  // SIGKILL
)

type container struct {
	id, sandboxID string
	nameKey       string
	config        *runtimeapi.ContainerConfig
	imageID       string
	logPath       string
	resources     *runtimeapi.ContainerResources

	state                            runtimeapi.ContainerState
	createdAt, startedAt, finishedAt time.Time
	exitCode                         int32
	reason                           string

	steps      []step
	pc         int   // next step to run
	status     int32 // exit status of the last step
	ignoreTerm bool
	cancel     func() bool   // pending sleep timer
	exited     chan struct{} // closed on exit
}

func (c *container) apiStatus() *runtimeapi.ContainerStatus {
	return &runtimeapi.ContainerStatus{
		Id:          c.id,
		Metadata:    c.config.GetMetadata(),
		State:       c.state,
		CreatedAt:   nanos(c.createdAt),
		StartedAt:   nanos(c.startedAt),
		FinishedAt:  nanos(c.finishedAt),
		ExitCode:    c.exitCode,
		Image:       c.config.GetImage(),
		ImageRef:    c.imageID,
		ImageId:     c.imageID,
		Reason:      c.reason,
		Labels:      c.config.GetLabels(),
		Annotations: c.config.GetAnnotations(),
		Mounts:      c.config.GetMounts(),
		LogPath:     c.logPath,
		Resources:   c.resources,
	}
}

func (c *container) api() *runtimeapi.Container {
	return &runtimeapi.Container{
		Id:           c.id,
		PodSandboxId: c.sandboxID,
		Metadata:     c.config.GetMetadata(),
		Image:        c.config.GetImage(),
		ImageRef:     c.imageID,
		ImageId:      c.imageID,
		State:        c.state,
		CreatedAt:    nanos(c.createdAt),
		Labels:       c.config.GetLabels(),
		Annotations:  c.config.GetAnnotations(),
	}
}

// containerStatuses returns the statuses of a sandbox's containers. r.mu
// must be held.
func (r *Runtime) containerStatuses(sandboxID string) []*runtimeapi.ContainerStatus {
	var out []*runtimeapi.ContainerStatus
	for _, c := range r.sortedContainers() {
		if c.sandboxID == sandboxID {
			out = append(out, c.apiStatus())
		}
	}
	return out
}

// sortedContainers returns the containers oldest first. r.mu must be held.
func (r *Runtime) sortedContainers() []*container {
	out := make([]*container, 0, len(r.containers))
	for _, id := range sortedKeys(r.containers) {
		out = append(out, r.containers[id])
	}
	slices.SortStableFunc(out, func(a, b *container) int { return a.createdAt.Compare(b.createdAt) })
	return out
}

// containerEvent publishes a lifecycle event of c. r.mu must be held.
func (r *Runtime) containerEvent(c *container, typ runtimeapi.ContainerEventType) {
	if r.events.Subscribers() == 0 {
		return
	}
	ev := &runtimeapi.ContainerEventResponse{
		ContainerId:        c.id,
		ContainerEventType: typ,
		CreatedAt:          nanos(r.clock.Now()),
	}
	if s := r.sandboxes[c.sandboxID]; s != nil {
		ev.PodSandboxStatus = s.status(r.hostIP)
	}
	ev.ContainersStatuses = []*runtimeapi.ContainerStatus{c.apiStatus()}
	r.events.Publish(ev)
}

// lookupContainer returns the container or ErrNotFound. r.mu must be held.
func (r *Runtime) lookupContainer(id string) (*container, error) {
	c := r.containers[id]
	if c == nil {
		return nil, fmt.Errorf("fake: container %q: %w", id, cri.ErrNotFound)
	}
	return c, nil
}

// CreateContainer creates a container in a ready sandbox from a present
// image. What the container will do is read from its command and args
// (see the package doc).
func (r *Runtime) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	if err := r.enter(ctx, "CreateContainer", req); err != nil {
		return nil, err
	}
	cfg := req.GetConfig()
	if cfg.GetMetadata().GetName() == "" {
		return nil, fmt.Errorf("fake: CreateContainer: metadata name is required: %w", cri.ErrInvalidArgument)
	}
	if cfg.GetImage().GetImage() == "" {
		return nil, fmt.Errorf("fake: CreateContainer: image is required: %w", cri.ErrInvalidArgument)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sandboxes[req.GetPodSandboxId()]
	if s == nil {
		return nil, fmt.Errorf("fake: sandbox %q: %w", req.GetPodSandboxId(), cri.ErrNotFound)
	}
	if s.state != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, fmt.Errorf("fake: sandbox %q is not ready: %w", s.id, cri.ErrFailedPrecondition)
	}
	im := r.lookupImage(cfg.GetImage().GetImage())
	if im == nil {
		return nil, fmt.Errorf("fake: image %q: %w", cfg.GetImage().GetImage(), cri.ErrNotFound)
	}
	key := fmt.Sprintf("ctr/%s/%s/%d", s.id, cfg.GetMetadata().GetName(), cfg.GetMetadata().GetAttempt())
	if id, ok := r.names[key]; ok {
		return nil, fmt.Errorf("fake: container name %q is used by %s: %w", key, id, cri.ErrAlreadyExists)
	}
	c := &container{
		id:        newID(),
		sandboxID: s.id,
		nameKey:   key,
		config:    cfg,
		imageID:   im.id,
		resources: &runtimeapi.ContainerResources{Linux: cfg.GetLinux().GetResources()},
		state:     runtimeapi.ContainerState_CONTAINER_CREATED,
		createdAt: r.clock.Now(),
		steps:     program(append(slices.Clone(cfg.GetCommand()), cfg.GetArgs()...)),
		exited:    make(chan struct{}),
	}
	if dir, p := s.config.GetLogDirectory(), cfg.GetLogPath(); dir != "" && p != "" {
		c.logPath = filepath.Join(dir, p)
	}
	r.containers[c.id] = c
	r.names[key] = c.id
	r.containerEvent(c, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	return &runtimeapi.CreateContainerResponse{ContainerId: c.id}, nil
}

// StartContainer starts a created container: its simulated process runs
// its steps on the runtime's clock.
func (r *Runtime) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	if err := r.enter(ctx, "StartContainer", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if c.state != runtimeapi.ContainerState_CONTAINER_CREATED {
		return nil, fmt.Errorf("fake: container %q is %v, not created: %w", c.id, c.state, cri.ErrFailedPrecondition)
	}
	if s := r.sandboxes[c.sandboxID]; s == nil || s.state != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, fmt.Errorf("fake: sandbox of container %q is not ready: %w", c.id, cri.ErrFailedPrecondition)
	}
	if c.logPath != "" {
		f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, fmt.Errorf("fake: open log of container %q: %w", c.id, err)
		}
		f.Close()
	}
	c.state = runtimeapi.ContainerState_CONTAINER_RUNNING
	c.startedAt = r.clock.Now()
	r.containerEvent(c, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	r.run(c)
	return &runtimeapi.StartContainerResponse{}, nil
}

// run executes c's steps until one blocks or the program ends. r.mu must be
// held.
func (r *Runtime) run(c *container) {
	for c.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
		if c.pc >= len(c.steps) {
			r.finish(c, c.status, "")
			return
		}
		st := c.steps[c.pc]
		c.pc++
		switch st.kind {
		case stepEcho:
			r.writeLog(c, st)
			c.status = 0
		case stepStatus:
			c.status = st.code
		case stepExit:
			r.finish(c, st.code, "")
			return
		case stepTrapTerm:
			c.ignoreTerm = true
			c.status = 0
		case stepSleep:
			c.status = 0
			c.cancel = r.clock.AfterFunc(st.d, func() {
				r.mu.Lock()
				defer r.mu.Unlock()
				if r.containers[c.id] == c && c.cancel != nil {
					c.cancel = nil
					r.run(c)
				}
			})
			return
		case stepForever:
			c.pc-- // stays on this step until stopped
			return
		}
	}
}

// writeLog appends one echo's output to the container's log in the CRI
// format. Write errors are logged: a process does not die of a full disk.
func (r *Runtime) writeLog(c *container, st step) {
	if c.logPath == "" {
		return
	}
	stream := "stdout"
	if st.stderr {
		stream = "stderr"
	}
	var b strings.Builder
	now := r.clock.Now().Format(time.RFC3339Nano)
	for _, line := range strings.SplitAfter(st.text, "\n") {
		if line == "" {
			continue
		}
		tag := "F"
		if !strings.HasSuffix(line, "\n") {
			tag, line = "P", line+"\n"
		}
		fmt.Fprintf(&b, "%s %s %s %s", now, stream, tag, line)
	}
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err == nil {
		_, err = f.WriteString(b.String())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		r.log.Warn("write container log", "id", c.id, "path", c.logPath, "err", err)
	}
}

// finish moves a running container to exited. r.mu must be held.
func (r *Runtime) finish(c *container, code int32, reason string) {
	if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return
	}
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if reason == "" {
		reason = "Completed"
		if code != 0 {
			reason = "Error"
		}
	}
	c.state = runtimeapi.ContainerState_CONTAINER_EXITED
	c.finishedAt = r.clock.Now()
	c.exitCode = code
	c.reason = reason
	close(c.exited)
	r.containerEvent(c, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	r.log.Debug("container exited", "id", c.id, "code", code)
}

// StopContainer sends the simulated SIGTERM: a container that did not run
// `trap "" TERM` exits at once with 143; one that did is killed with 137
// once req.Timeout seconds have passed on the runtime's clock (or at once
// for a timeout of 0). It returns when the container has exited.
func (r *Runtime) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	if err := r.enter(ctx, "StopContainer", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	switch {
	case c.state == runtimeapi.ContainerState_CONTAINER_CREATED:
		// Never started: it just becomes exited, as in containerd.
		c.state = runtimeapi.ContainerState_CONTAINER_RUNNING
		r.finish(c, 0, "Completed")
	case c.state != runtimeapi.ContainerState_CONTAINER_RUNNING:
	case !c.ignoreTerm:
		r.finish(c, exitTerminated, "Error")
	case req.GetTimeout() <= 0:
		r.finish(c, exitKilled, "Error")
	default:
		exited := c.exited
		grace := make(chan struct{})
		cancel := r.clock.AfterFunc(time.Duration(req.GetTimeout())*time.Second, func() { close(grace) })
		r.mu.Unlock()
		select {
		case <-exited:
			cancel()
		case <-grace:
		case <-ctx.Done():
			cancel()
			return nil, fmt.Errorf("fake: stop container %q: %w", c.id, ctx.Err())
		}
		r.mu.Lock()
		r.finish(c, exitKilled, "Error")
	}
	r.mu.Unlock()
	return &runtimeapi.StopContainerResponse{}, nil
}

// removeContainer deletes c, killing it if it runs. r.mu must be held.
func (r *Runtime) removeContainer(c *container) {
	r.finish(c, exitKilled, "Error")
	delete(r.containers, c.id)
	delete(r.names, c.nameKey)
	r.containerEvent(c, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
}

// RemoveContainer removes a container, killing it if it runs. Removing a
// missing container succeeds.
func (r *Runtime) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	if err := r.enter(ctx, "RemoveContainer", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.containers[req.GetContainerId()]; c != nil {
		r.removeContainer(c)
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

// ListContainers lists containers matching the filter (ID and sandbox ID
// prefixes, state, labels), oldest first.
func (r *Runtime) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	if err := r.enter(ctx, "ListContainers", req); err != nil {
		return nil, err
	}
	f := req.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ListContainersResponse{}
	for _, c := range r.sortedContainers() {
		if !matchID(f.GetId(), c.id) || !matchID(f.GetPodSandboxId(), c.sandboxID) ||
			!matchLabels(f.GetLabelSelector(), c.config.GetLabels()) {
			continue
		}
		if f.GetState() != nil && f.GetState().GetState() != c.state {
			continue
		}
		resp.Containers = append(resp.Containers, c.api())
	}
	return resp, nil
}

// ContainerStatus returns a container's status or ErrNotFound.
func (r *Runtime) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	if err := r.enter(ctx, "ContainerStatus", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatusResponse{Status: c.apiStatus()}, nil
}

// UpdateContainerResources records new Linux resources of a container that
// has not exited; ContainerStatus reports them.
func (r *Runtime) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	if err := r.enter(ctx, "UpdateContainerResources", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if c.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		return nil, fmt.Errorf("fake: container %q has exited: %w", c.id, cri.ErrFailedPrecondition)
	}
	c.resources = &runtimeapi.ContainerResources{Linux: req.GetLinux()}
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

// ReopenContainerLog creates the log file anew (after the caller renamed
// it) for a running container.
func (r *Runtime) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	if err := r.enter(ctx, "ReopenContainerLog", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return nil, fmt.Errorf("fake: container %q is not running: %w", c.id, cri.ErrFailedPrecondition)
	}
	if c.logPath != "" {
		f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, fmt.Errorf("fake: reopen log of container %q: %w", c.id, err)
		}
		f.Close()
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// ExecSync runs a command in a running container: through Options.ExecSync
// when set, otherwise by simulating it like a container's command (echo
// output, exit codes, sleeps on the runtime's clock). A command that
// outlives req.Timeout seconds fails with an error wrapping cri.ErrDeadline.
func (r *Runtime) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	if err := r.enter(ctx, "ExecSync", req); err != nil {
		return nil, err
	}
	if len(req.GetCmd()) == 0 {
		return nil, fmt.Errorf("fake: ExecSync: empty command: %w", cri.ErrInvalidArgument)
	}
	r.mu.Lock()
	c, err := r.lookupContainer(req.GetContainerId())
	running := err == nil && c.state == runtimeapi.ContainerState_CONTAINER_RUNNING
	exec := r.exec
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !running {
		return nil, fmt.Errorf("fake: container %q is not running: %w", c.id, cri.ErrFailedPrecondition)
	}
	if exec != nil {
		return exec(ctx, c.id, req.GetCmd())
	}
	var deadline <-chan struct{}
	if req.GetTimeout() > 0 {
		ch := make(chan struct{})
		stop := r.clock.AfterFunc(time.Duration(req.GetTimeout())*time.Second, func() { close(ch) })
		defer stop()
		deadline = ch
	}
	wait := func(d time.Duration, forever bool) error {
		var done <-chan struct{}
		if !forever {
			ch := make(chan struct{})
			stop := r.clock.AfterFunc(d, func() { close(ch) })
			defer stop()
			done = ch
		}
		select {
		case <-done:
			return nil
		case <-deadline:
			return fmt.Errorf("fake: exec in %q: timeout %ds exceeded: %w", c.id, req.GetTimeout(), cri.ErrDeadline)
		case <-ctx.Done():
			return fmt.Errorf("fake: exec in %q: %w", c.id, ctx.Err())
		}
	}
	resp := &runtimeapi.ExecSyncResponse{}
	var stdout, stderr strings.Builder
	for _, st := range program(req.GetCmd()) {
		switch st.kind {
		case stepEcho:
			if st.stderr {
				stderr.WriteString(st.text)
			} else {
				stdout.WriteString(st.text)
			}
			resp.ExitCode = 0
		case stepStatus:
			resp.ExitCode = st.code
		case stepExit:
			resp.ExitCode = st.code
			resp.Stdout, resp.Stderr = []byte(stdout.String()), []byte(stderr.String())
			return resp, nil
		case stepSleep, stepForever:
			if err := wait(st.d, st.kind == stepForever); err != nil {
				return nil, err
			}
			resp.ExitCode = 0
		}
	}
	resp.Stdout, resp.Stderr = []byte(stdout.String()), []byte(stderr.String())
	return resp, nil
}

// Exec returns a streaming URL under Options.StreamingURL.
func (r *Runtime) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	if err := r.enter(ctx, "Exec", req); err != nil {
		return nil, err
	}
	if err := r.requireRunning(req.GetContainerId()); err != nil {
		return nil, err
	}
	u, err := r.streamURL("exec")
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ExecResponse{Url: u}, nil
}

// Attach returns a streaming URL under Options.StreamingURL.
func (r *Runtime) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	if err := r.enter(ctx, "Attach", req); err != nil {
		return nil, err
	}
	if err := r.requireRunning(req.GetContainerId()); err != nil {
		return nil, err
	}
	u, err := r.streamURL("attach")
	if err != nil {
		return nil, err
	}
	return &runtimeapi.AttachResponse{Url: u}, nil
}

func (r *Runtime) requireRunning(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(id)
	if err != nil {
		return err
	}
	if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return fmt.Errorf("fake: container %q is not running: %w", id, cri.ErrFailedPrecondition)
	}
	return nil
}
