package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// retryAfterError is how soon a failed sync is tried again.
const retryAfterError = time.Second

// syncPod drives the pod one step towards its spec and reports its status.
// It returns when to sync again without a wake (0: only on a wake) and
// whether the worker is done (the pod was deleted and cleaned up).
func (k *Kubelet) syncPod(ctx context.Context, w *podWorker) (time.Duration, bool) {
	pod, gone := w.snapshot()
	rp, err := k.runtimePod(ctx, w.uid)
	if err != nil {
		k.log.Warn("inspect pod in runtime", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return retryAfterError, false
	}
	if gone || pod.DeletionTimestamp != nil {
		return k.terminatePod(ctx, w, pod, rp, gone)
	}
	if w.rejection != nil {
		st := pod.Status.DeepCopy()
		st.Phase, st.Reason, st.Message = core.PodFailed, w.rejection.reason, w.rejection.message
		if err := k.writeStatus(ctx, w, pod, *st); err != nil {
			return retryAfterError, false
		}
		return 0, false
	}
	if w.startTime.IsZero() {
		w.startTime = time.Now()
		if pod.Status.StartTime != nil {
			w.startTime = pod.Status.StartTime.Time
		}
	}
	w.mutated = false
	var next time.Duration
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && !terminalPhase(pod.Status.Phase) {
		if left := time.Duration(*d)*time.Second - time.Since(w.startTime); left > 0 {
			next = left
		} else {
			w.deadlineExceeded = true
		}
	}
	if w.deadlineExceeded {
		// Past activeDeadlineSeconds: stop everything, the pod fails.
		if running := rp.running(); len(running) > 0 {
			w.mutated = true
			err = k.killContainers(ctx, pod, running, gracePeriod(pod))
		}
	} else {
		var n time.Duration
		n, err = k.syncRunning(ctx, w, pod, rp)
		next = minPositive(next, n)
	}
	if err != nil && ctx.Err() == nil {
		k.log.Warn("sync pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		next = minPositive(next, retryAfterError)
	}
	// Report what the runtime shows now.
	if w.mutated {
		if rp2, err := k.runtimePod(ctx, w.uid); err == nil {
			rp = rp2
		}
	}
	if w.static {
		// Conditions keep their times from what the mirror pod shows.
		m, ok := k.mirrorOf(pod)
		if !ok {
			return minPositive(next, retryAfterError), false
		}
		sp := pod.DeepCopyObject().(*core.Pod)
		sp.Status = m.Status
		pod = sp
	}
	st := k.podStatus(w, pod, rp)
	if terminalPhase(st.Phase) {
		// A finished pod keeps its containers (for logs) but not its
		// sandbox: the network is released at once.
		if err := k.stopSandboxes(ctx, rp); err != nil {
			next = minPositive(next, retryAfterError)
		}
	}
	if err := k.writeStatus(ctx, w, pod, st); err != nil && ctx.Err() == nil {
		k.log.Warn("write pod status", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		next = minPositive(next, retryAfterError)
	}
	return next, false
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// syncRunning makes one pass: sandbox, init containers in order, app
// containers.
func (k *Kubelet) syncRunning(ctx context.Context, w *podWorker, pod *core.Pod, rp *runtimePod) (time.Duration, error) {
	if terminalPhase(pod.Status.Phase) {
		return 0, nil
	}
	policy := pod.Spec.RestartPolicy
	sb := rp.readySandbox()
	if sb == nil {
		// Kill what still runs of an older sandbox, then start over in a
		// new one, unless the pod has finished its work.
		if running := rp.running(); len(running) > 0 {
			w.mutated = true
			if err := k.killContainers(ctx, pod, running, gracePeriod(pod)); err != nil {
				return 0, err
			}
		}
		if len(rp.sandboxes) > 0 && podFinished(pod, rp) {
			return 0, nil
		}
		if err := k.setupVolumes(ctx, pod); err != nil {
			w.waiting["*"] = waitingReason{"ContainerCreating", err.Error()}
			return retryAfterError, err
		}
		delete(w.waiting, "*")
		attempt := uint32(0)
		if len(rp.sandboxes) > 0 {
			attempt = rp.sandboxes[0].GetMetadata().GetAttempt() + 1
		}
		cfg := k.sandboxConfig(pod, attempt)
		if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
			return 0, err
		}
		resp, err := k.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
		if err != nil {
			return 0, fmt.Errorf("run sandbox: %w", err)
		}
		// Read back the new sandbox (and its IP); old containers belong to
		// the dead sandbox and are ignored from here on.
		nrp, err := k.runtimePod(ctx, w.uid)
		if err != nil {
			return 0, err
		}
		rp = nrp
		sb = rp.readySandbox()
		if sb == nil || sb.Id != resp.PodSandboxId {
			return retryAfterError, errors.New("new sandbox not ready")
		}
	}
	sbCfg := k.sandboxConfig(pod, sb.GetMetadata().GetAttempt())
	inSandbox := func(c *runtimeContainer) *runtimeContainer {
		if c != nil && c.sandboxID != sb.Id {
			return nil
		}
		return c
	}
	var next time.Duration

	// Init containers, one at a time, in order.
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cur, _ := rp.latest(c.Name)
		inst := inSandbox(cur)
		switch {
		case inst == nil || inst.state == runtimeapi.ContainerState_CONTAINER_CREATED:
			if inst != nil {
				w.mutated = true
				_, _ = k.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: inst.id})
				return 0, nil
			}
			d, err := k.startContainer(ctx, w, pod, c, sb.Id, sbCfg, nextAttempt(cur))
			return d, err
		case inst.state == runtimeapi.ContainerState_CONTAINER_RUNNING:
			return 0, nil // wait for it to finish
		case inst.exitCode == 0:
			continue
		default: // failed
			if policy == core.RestartPolicyNever {
				return 0, nil // the pod has failed; status says so
			}
			if d, ok := k.inBackoff(w, pod, c.Name, inst); ok {
				return d, nil
			}
			d, err := k.startContainer(ctx, w, pod, c, sb.Id, sbCfg, nextAttempt(cur))
			return d, err
		}
	}

	// App containers, all at once.
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cur, _ := rp.latest(c.Name)
		inst := inSandbox(cur)
		switch {
		case inst == nil:
			if cur != nil && !shouldRestart(policy, cur) {
				continue // it finished in an older sandbox
			}
			d, err := k.startContainer(ctx, w, pod, c, sb.Id, sbCfg, nextAttempt(cur))
			next = minPositive(next, d)
			if err != nil {
				return next, err
			}
		case inst.state == runtimeapi.ContainerState_CONTAINER_CREATED:
			w.mutated = true
			if _, err := k.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: inst.id}); err != nil {
				return retryAfterError, err
			}
		case inst.state == runtimeapi.ContainerState_CONTAINER_RUNNING:
			k.probes.ensure(ctx, pod, c, inst.id)
			if reason, grace, kill := k.probes.shouldKill(pod, c, inst.id); kill {
				k.log.Info("killing container", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "reason", reason)
				w.mutated = true
				if err := k.killContainer(ctx, pod, c, inst.id, grace); err != nil {
					return retryAfterError, err
				}
				next = minPositive(next, 10*time.Millisecond)
			}
		default: // exited
			if !shouldRestart(policy, inst) {
				continue
			}
			if d, ok := k.inBackoff(w, pod, c.Name, inst); ok {
				next = minPositive(next, d)
				continue
			}
			d, err := k.startContainer(ctx, w, pod, c, sb.Id, sbCfg, nextAttempt(cur))
			next = minPositive(next, d)
			if err != nil {
				return next, err
			}
		}
	}
	return next, nil
}

func nextAttempt(cur *runtimeContainer) uint32 {
	if cur == nil {
		return 0
	}
	return cur.attempt + 1
}

// shouldRestart applies the restart policy to an exited container.
func shouldRestart(policy core.RestartPolicy, c *runtimeContainer) bool {
	switch policy {
	case core.RestartPolicyNever:
		return false
	case core.RestartPolicyOnFailure:
		return c.exitCode != 0
	}
	return true
}

// podFinished reports whether no container would run again: every app
// container exited and the restart policy does not bring it back.
func podFinished(pod *core.Pod, rp *runtimePod) bool {
	for i := range pod.Spec.Containers {
		cur, _ := rp.latest(pod.Spec.Containers[i].Name)
		if cur == nil || cur.state != runtimeapi.ContainerState_CONTAINER_EXITED || shouldRestart(pod.Spec.RestartPolicy, cur) {
			return false
		}
	}
	return true
}

// inBackoff applies CrashLoopBackOff to an exited container: the first
// restart is immediate, each later one waits twice as long as the one
// before (from BackOffInitial up to BackOffMax) after the container
// finished; a container that ran for BackOffReset starts over.
func (k *Kubelet) inBackoff(w *podWorker, pod *core.Pod, name string, inst *runtimeContainer) (time.Duration, bool) {
	e := w.backoff[name]
	finished := time.Unix(0, inst.finishedAt)
	if e != nil && inst.startedAt > 0 && finished.Sub(time.Unix(0, inst.startedAt)) >= k.opts.BackOffReset {
		delete(w.backoff, name)
		e = nil
	}
	if e == nil {
		return 0, false
	}
	if left := time.Until(finished.Add(e.delay)); left > 0 {
		w.waiting[name] = waitingReason{"CrashLoopBackOff",
			fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", e.delay, name, pod.Name, pod.Namespace, pod.UID)}
		return left, true
	}
	return 0, false
}

// noteRestart records that a container was (re)started after it had
// exited, moving its back-off one step.
func (k *Kubelet) noteRestart(w *podWorker, name string) {
	e := w.backoff[name]
	if e == nil {
		w.backoff[name] = &backoffEntry{delay: k.opts.BackOffInitial}
		return
	}
	e.delay = min(2*e.delay, k.opts.BackOffMax)
}

// startContainer pulls the image as its policy says, creates and starts
// one container; failures are recorded as the container's waiting reason.
func (k *Kubelet) startContainer(ctx context.Context, w *podWorker, pod *core.Pod, c *core.Container, sandboxID string, sbCfg *runtimeapi.PodSandboxConfig, attempt uint32) (time.Duration, error) {
	w.mutated = true
	if attempt > 0 {
		k.noteRestart(w, c.Name)
	}
	imageRef, err := k.ensureImage(ctx, w, pod, c)
	if errors.Is(err, errPullBackoff) {
		return k.pullWait(w, c.Name), nil
	}
	if err != nil {
		return k.pullWait(w, c.Name), err
	}
	cfg, err := k.containerConfig(ctx, pod, c, attempt, imageRef)
	if err != nil {
		w.waiting[c.Name] = waitingReason{"CreateContainerConfigError", err.Error()}
		return retryAfterError, err
	}
	// The runtime writes the log, the kubelet makes its directory.
	if err := os.MkdirAll(filepath.Join(sbCfg.LogDirectory, c.Name), 0o755); err != nil {
		return retryAfterError, err
	}
	resp, err := k.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: sandboxID, Config: cfg, SandboxConfig: sbCfg})
	if err != nil {
		w.waiting[c.Name] = waitingReason{"CreateContainerError", err.Error()}
		return retryAfterError, fmt.Errorf("create container %s: %w", c.Name, err)
	}
	if _, err := k.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		w.waiting[c.Name] = waitingReason{"RunContainerError", err.Error()}
		return retryAfterError, fmt.Errorf("start container %s: %w", c.Name, err)
	}
	delete(w.waiting, c.Name)
	if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
		if err := k.runHook(ctx, pod, c, resp.ContainerId, c.Lifecycle.PostStart, gracePeriod(pod)); err != nil {
			k.log.Info("postStart hook failed; killing container", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
			_, _ = k.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: resp.ContainerId, Timeout: gracePeriod(pod)})
		}
	}
	k.removeOldInstances(ctx, pod, c.Name, attempt)
	return 0, nil
}

// removeOldInstances keeps the newest dead instance of a container (for
// "previous" logs) and removes older ones.
func (k *Kubelet) removeOldInstances(ctx context.Context, pod *core.Pod, name string, attempt uint32) {
	if attempt < 2 {
		return
	}
	resp, err := k.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		LabelSelector: map[string]string{LabelPodUID: pod.UID, LabelContainerName: name}}})
	if err != nil {
		return
	}
	for _, c := range resp.GetContainers() {
		if c.GetMetadata().GetAttempt()+1 < attempt && c.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
			_, _ = k.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.Id})
		}
	}
}

// pullWait is how long until the next pull of a container's image.
func (k *Kubelet) pullWait(w *podWorker, name string) time.Duration {
	if e := w.backoff["pull/"+name]; e != nil {
		return max(time.Until(e.until), 10*time.Millisecond)
	}
	return retryAfterError
}

// errPullBackoff: the image is not pulled again before its back-off ends.
var errPullBackoff = errors.New("image pull backing off")

// ensureImage applies the pull policy and returns the image reference to
// create the container from.
func (k *Kubelet) ensureImage(ctx context.Context, w *podWorker, pod *core.Pod, c *core.Container) (string, error) {
	spec := &runtimeapi.ImageSpec{Image: c.Image, Annotations: map[string]string{}}
	policy := c.ImagePullPolicy
	if policy == "" {
		policy = core.PullIfNotPresent
	}
	if policy != core.PullAlways {
		st, err := k.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec})
		if err == nil && st.GetImage() != nil {
			delete(w.backoff, "pull/"+c.Name)
			return st.GetImage().Id, nil
		}
		if policy == core.PullNever {
			w.waiting[c.Name] = waitingReason{"ErrImageNeverPull", fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)}
			return "", fmt.Errorf("image %s not present", c.Image)
		}
	}
	key := "pull/" + c.Name
	if e := w.backoff[key]; e != nil && time.Now().Before(e.until) {
		w.waiting[c.Name] = waitingReason{"ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q", c.Image)}
		return "", errPullBackoff
	}
	resp, err := k.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec})
	if err != nil {
		e := w.backoff[key]
		if e == nil {
			e = &backoffEntry{delay: k.opts.BackOffInitial}
			w.backoff[key] = e
		} else {
			e.delay = min(2*e.delay, k.opts.BackOffMax)
		}
		e.until = time.Now().Add(e.delay)
		w.waiting[c.Name] = waitingReason{"ErrImagePull", err.Error()}
		return "", fmt.Errorf("pull %s: %w", c.Image, err)
	}
	delete(w.backoff, "pull/"+c.Name)
	return resp.ImageRef, nil
}

// gracePeriod is the pod's termination grace period in seconds: the one of
// its deletion if set, else its spec's (default 30).
func gracePeriod(pod *core.Pod) int64 {
	if pod.DeletionGracePeriodSeconds != nil {
		return *pod.DeletionGracePeriodSeconds
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return core.DefaultTerminationGracePeriodSeconds
}

func specContainer(pod *core.Pod, name string) *core.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	return nil
}

// killContainers stops running containers in parallel, each after its
// preStop hook, within grace seconds.
func (k *Kubelet) killContainers(ctx context.Context, pod *core.Pod, cs []*runtimeContainer, grace int64) error {
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = k.killContainer(ctx, pod, specContainer(pod, c.name), c.id, grace)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// killContainer runs the preStop hook (bounded by the grace period), then
// asks the runtime to stop the container with what is left of it: SIGTERM,
// then SIGKILL when it runs out.
func (k *Kubelet) killContainer(ctx context.Context, pod *core.Pod, c *core.Container, id string, grace int64) error {
	start := time.Now()
	if c != nil && c.Lifecycle != nil && c.Lifecycle.PreStop != nil && grace > 0 {
		hctx, cancel := context.WithTimeout(ctx, time.Duration(grace)*time.Second)
		if err := k.runHook(hctx, pod, c, id, c.Lifecycle.PreStop, grace); err != nil {
			k.log.Info("preStop hook failed", "pod", pod.Namespace+"/"+pod.Name, "container", c.Name, "err", err)
		}
		cancel()
		grace -= int64(time.Since(start) / time.Second)
		if grace < 2 {
			grace = 2 // Kubernetes' minimum after a hook
		}
	}
	_, err := k.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: grace})
	if err != nil && !errors.Is(err, cri.ErrNotFound) {
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	k.probes.removeContainer(id)
	return nil
}

// stopSandboxes stops every ready sandbox of the pod (releasing its
// network).
func (k *Kubelet) stopSandboxes(ctx context.Context, rp *runtimePod) error {
	for _, sb := range rp.sandboxes {
		if sb.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		if _, err := k.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil && !errors.Is(err, cri.ErrNotFound) {
			return err
		}
	}
	return nil
}

// terminatePod stops the containers of a deleted pod within its grace
// period, stops and removes its sandboxes (the runtime tears down its
// network), removes its volumes, and then confirms the deletion to the
// API server with a zero grace period, which removes the object.
func (k *Kubelet) terminatePod(ctx context.Context, w *podWorker, pod *core.Pod, rp *runtimePod, gone bool) (time.Duration, bool) {
	grace := gracePeriod(pod)
	if gone {
		grace = min(grace, 2)
	}
	if err := k.killContainers(ctx, pod, rp.running(), grace); err != nil {
		k.log.Warn("kill pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return retryAfterError, false
	}
	if err := k.stopSandboxes(ctx, rp); err != nil {
		return retryAfterError, false
	}
	for _, sb := range rp.sandboxes {
		if _, err := k.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil && !errors.Is(err, cri.ErrNotFound) {
			return retryAfterError, false
		}
	}
	if err := k.teardownVolumes(pod.UID); err != nil {
		k.log.Warn("remove pod volumes", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return retryAfterError, false
	}
	_ = os.RemoveAll(k.podLogDir(pod))
	k.forgetTokens(pod.UID)
	k.setPodIPs(pod.UID, nil)
	if gone {
		if w.static {
			if err := k.deleteMirror(ctx, pod); err != nil {
				k.log.Warn("delete mirror pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
				return retryAfterError, false
			}
		}
		return 0, true
	}
	zero := int64(0)
	uid := pod.UID
	err := k.pods.Namespace(pod.Namespace).Delete(ctx, pod.Name, &meta.DeleteOptions{GracePeriodSeconds: &zero,
		Preconditions: &meta.Preconditions{UID: &uid}})
	if err != nil && !apierror.IsNotFound(err) && !apierror.IsConflict(err) {
		k.log.Warn("confirm pod deletion", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return retryAfterError, false
	}
	return 0, true
}
