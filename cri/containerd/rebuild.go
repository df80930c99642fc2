package containerd

import (
	"context"
	"fmt"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/errdefs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// rebuild fills the tables from the containerd containers this runtime
// labelled: sandboxes first, then containers, whose running tasks get their
// output re-attached to the log and a new exit monitor.
func (r *Runtime) rebuild(ctx context.Context) error {
	conts, err := r.client.Containers(ctx, fmt.Sprintf("labels.%q", labelKind))
	if err != nil {
		return fmt.Errorf("containerd: list containers: %w", mapErr(err))
	}
	type loaded struct {
		cont   containerd.Container
		labels map[string]string
	}
	var sbs, cs []loaded
	for _, cont := range conts {
		labels, err := cont.Labels(ctx)
		if err != nil {
			continue // deleted meanwhile
		}
		switch labels[labelKind] {
		case kindSandbox:
			sbs = append(sbs, loaded{cont, labels})
		case kindContainer:
			cs = append(cs, loaded{cont, labels})
		}
	}
	for _, l := range sbs {
		sb := sandboxFromLabels(l.cont.ID(), l.labels)
		if task, err := l.cont.Task(ctx, nil); err == nil && l.labels[labelStopped] != "true" {
			if st, err := task.Status(ctx); err == nil && st.Status == containerd.Running {
				if exitCh, err := task.Wait(r.ns(context.Background())); err == nil {
					sb.state = runtimeapi.PodSandboxState_SANDBOX_READY
					sb.pid = task.Pid()
					go r.monitorSandbox(sb, task, exitCh)
				}
			}
		}
		r.sandboxes[sb.id] = sb
		r.names[sb.name] = sb.id
	}
	for _, l := range cs {
		sb := r.sandboxes[l.labels[labelSandbox]]
		c := containerFromLabels(l.cont.ID(), l.labels, sb)
		if err := r.restoreTask(ctx, l.cont, c); err != nil {
			r.log.Warn("restore container task", "container", c.id, "err", err)
		}
		r.containers[c.id] = c
		if c.name != "" {
			r.names[c.name] = c.id
		}
	}
	r.log.Debug("rebuilt state from containerd", "sandboxes", len(sbs), "containers", len(cs))
	return nil
}

// restoreTask sets a rebuilt container's state from its task.
func (r *Runtime) restoreTask(ctx context.Context, cont containerd.Container, c *container) error {
	task, err := cont.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		if c.started != 0 {
			c.state = runtimeapi.ContainerState_CONTAINER_EXITED
			c.reason = "Unknown"
		}
		return nil
	}
	if err != nil {
		return err
	}
	st, err := task.Status(ctx)
	if err != nil {
		return err
	}
	switch st.Status {
	case containerd.Created:
		c.state = runtimeapi.ContainerState_CONTAINER_CREATED
		c.task = task
		return nil
	case containerd.Stopped:
		c.state = runtimeapi.ContainerState_CONTAINER_EXITED
		c.exitCode = int32(st.ExitStatus)
		c.finished = st.ExitTime.UnixNano()
		c.reason = "Completed"
		if st.ExitStatus != 0 {
			c.reason = "Error"
		}
		c.task = task
		c.done = make(chan struct{})
		close(c.done)
		return nil
	}
	// Running or paused: attach to the output FIFOs again.
	log, err := openLog(c.logPath)
	if err != nil {
		return err
	}
	stdout, stderr := log.stream("stdout"), log.stream("stderr")
	task, err = cont.Task(ctx, cio.NewAttach(cio.WithStreams(nil, stdout, stderr)))
	if err != nil {
		log.Close()
		return err
	}
	exitCh, err := task.Wait(r.ns(context.Background()))
	if err != nil {
		log.Close()
		return err
	}
	c.state = runtimeapi.ContainerState_CONTAINER_RUNNING
	c.task = task
	c.log = log
	c.done = make(chan struct{})
	if io := task.IO(); io != nil {
		c.ioCancel = io.Cancel
	}
	go r.monitorContainer(c, task, exitCh, stdout, stderr)
	return nil
}
