package kubelet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func nanoTime(ns int64) meta.Time {
	if ns == 0 {
		return meta.Time{}
	}
	return meta.NewTime(time.Unix(0, ns).UTC().Truncate(time.Second))
}

// containerID is Kubernetes' "<runtime>://<id>" form.
func (k *Kubelet) containerID(id string) string {
	name := k.runtimeName
	if name == "" {
		name = "cri"
	}
	return name + "://" + id
}

func (k *Kubelet) terminated(c *runtimeContainer) *core.ContainerStateTerminated {
	reason := c.reason
	if reason == "" {
		reason = "Completed"
		if c.exitCode != 0 {
			reason = "Error"
		}
	}
	return &core.ContainerStateTerminated{ExitCode: c.exitCode, Reason: reason, Message: c.message,
		StartedAt: nanoTime(c.startedAt), FinishedAt: nanoTime(c.finishedAt), ContainerID: k.containerID(c.id)}
}

// containerStatus reports one container from its newest two instances.
func (k *Kubelet) containerStatus(w *podWorker, pod *core.Pod, c *core.Container, rp *runtimePod, init bool, defaultWaiting string) core.ContainerStatus {
	cs := core.ContainerStatus{Name: c.Name, Image: c.Image}
	cur, prev := rp.latest(c.Name)
	f := false
	cs.Started = &f
	if cur == nil {
		reason := defaultWaiting
		msg := ""
		if wr, ok := w.waiting[c.Name]; ok {
			reason, msg = wr.reason, wr.message
		}
		cs.State.Waiting = &core.ContainerStateWaiting{Reason: reason, Message: msg}
		if init {
			cs.Started = nil
		}
		return cs
	}
	cs.RestartCount = int32(cur.attempt)
	cs.ContainerID = k.containerID(cur.id)
	cs.ImageID = cur.imageRef
	if prev != nil && prev.state == runtimeapi.ContainerState_CONTAINER_EXITED {
		cs.LastTerminationState.Terminated = k.terminated(prev)
	}
	switch cur.state {
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		cs.State.Running = &core.ContainerStateRunning{StartedAt: nanoTime(cur.startedAt)}
		started, ready := k.probes.state(pod, c, cur.id)
		cs.Started = &started
		cs.Ready = ready && !init
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		if wr, ok := w.waiting[c.Name]; ok && wr.reason == "CrashLoopBackOff" && shouldRestart(pod.Spec.RestartPolicy, cur) && pod.DeletionTimestamp == nil {
			cs.State.Waiting = &core.ContainerStateWaiting{Reason: wr.reason, Message: wr.message}
			cs.LastTerminationState = core.ContainerState{Terminated: k.terminated(cur)}
		} else {
			cs.State.Terminated = k.terminated(cur)
		}
	default:
		cs.State.Waiting = &core.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	if init {
		cs.Started = nil
		if cur.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
			t := true
			cs.Started = &t
		}
	}
	return cs
}

// podStatus computes the pod's status from the runtime, the probes and the
// worker's notes, keeping the condition transition times of the current
// status where the condition did not change.
func (k *Kubelet) podStatus(w *podWorker, pod *core.Pod, rp *runtimePod) core.PodStatus {
	st := core.PodStatus{QOSClass: QOSClass(pod)}
	k.mu.Lock()
	for _, ip := range k.hostIPs {
		st.HostIPs = append(st.HostIPs, core.HostIP{IP: ip})
	}
	k.mu.Unlock()
	if len(st.HostIPs) > 0 {
		st.HostIP = st.HostIPs[0].IP
	}
	ips := rp.ips
	if pod.Spec.HostNetwork && rp.readySandbox() != nil {
		ips = nil
		for _, h := range st.HostIPs {
			ips = append(ips, h.IP)
		}
	}
	for _, ip := range ips {
		st.PodIPs = append(st.PodIPs, core.PodIP{IP: ip})
	}
	if len(ips) > 0 {
		st.PodIP = ips[0]
	} else if terminalPhase(pod.Status.Phase) || podFinished(pod, rp) {
		// Kubernetes keeps reporting a finished pod's last IPs.
		st.PodIP, st.PodIPs = pod.Status.PodIP, pod.Status.PodIPs
	}
	start := meta.NewTime(w.startTime.UTC().Truncate(time.Second))
	st.StartTime = &start

	initDone := true
	initFailed := false
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		waiting := "PodInitializing"
		cs := k.containerStatus(w, pod, c, rp, true, waiting)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		t := cs.State.Terminated
		if t == nil || t.ExitCode != 0 {
			initDone = false
		}
		if t != nil && t.ExitCode != 0 && pod.Spec.RestartPolicy == core.RestartPolicyNever {
			initFailed = true
		}
	}
	waitingDefault := "ContainerCreating"
	if !initDone {
		waitingDefault = "PodInitializing"
	}
	var running, waiting, stopped, succeeded int
	allReady := true
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		cs := k.containerStatus(w, pod, c, rp, false, waitingDefault)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil:
			if cs.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		}
		if !cs.Ready {
			allReady = false
		}
	}
	// The phase, following Kubernetes' kubelet.
	switch {
	case initFailed:
		st.Phase = core.PodFailed
	case !initDone:
		st.Phase = core.PodPending
	case waiting > 0:
		st.Phase = core.PodPending
	case running > 0:
		st.Phase = core.PodRunning
	case stopped > 0:
		switch {
		case pod.Spec.RestartPolicy == core.RestartPolicyAlways:
			st.Phase = core.PodRunning
		case stopped == succeeded:
			st.Phase = core.PodSucceeded
		case pod.Spec.RestartPolicy == core.RestartPolicyOnFailure:
			st.Phase = core.PodRunning
		default:
			st.Phase = core.PodFailed
		}
	default:
		st.Phase = core.PodPending
	}
	if w.deadlineExceeded {
		st.Phase, st.Reason = core.PodFailed, "DeadlineExceeded"
		st.Message = "Pod was active on the node longer than the specified deadline"
	}
	if terminalPhase(pod.Status.Phase) {
		st.Phase, st.Reason, st.Message = pod.Status.Phase, pod.Status.Reason, pod.Status.Message // a finished pod never comes back
	}
	if wr, ok := w.waiting["*"]; ok && st.Phase == core.PodPending {
		st.Message = wr.message
	}

	cond := func(t core.PodConditionType, ok bool, reason string) core.PodCondition {
		c := core.PodCondition{Type: t, Status: core.ConditionFalse, Reason: reason}
		if ok {
			c.Status, c.Reason = core.ConditionTrue, ""
		}
		return c
	}
	terminal := terminalPhase(st.Phase)
	readyReason := "ContainersNotReady"
	if terminal {
		readyReason = "PodCompleted"
	}
	initReason := "ContainersNotInitialized"
	if terminal && initDone {
		initReason = "PodCompleted"
	}
	conds := []core.PodCondition{
		cond(core.PodReadyToStartContainers, rp.readySandbox() != nil && !terminal, ""),
		cond(core.PodInitialized, initDone, initReason),
		cond(core.PodReady, allReady && gatesPass(pod) && !terminal && len(pod.Spec.Containers) > 0, readyReason),
		cond(core.ContainersReady, allReady && !terminal && len(pod.Spec.Containers) > 0, readyReason),
	}
	if len(pod.Spec.InitContainers) == 0 && terminal {
		conds[1].Status, conds[1].Reason = core.ConditionTrue, ""
	}
	// Keep conditions the kubelet does not own (PodScheduled,
	// DisruptionTarget, readiness gates).
	var out []core.PodCondition
	for _, old := range pod.Status.Conditions {
		owned := false
		for _, c := range conds {
			if c.Type == old.Type {
				owned = true
			}
		}
		if !owned {
			out = append(out, old)
		}
	}
	if !hasCondition(out, core.PodScheduled) {
		out = append([]core.PodCondition{{Type: core.PodScheduled, Status: core.ConditionTrue}}, out...)
	}
	now := meta.Now()
	for _, c := range conds {
		c.LastTransitionTime = now
		for _, old := range pod.Status.Conditions {
			if old.Type == c.Type && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	for i := range out {
		if out[i].Type == core.PodScheduled && out[i].LastTransitionTime.IsZero() {
			out[i].LastTransitionTime = now
		}
	}
	st.Conditions = out
	return st
}

// gatesPass reports whether every readiness gate's condition is True.
func gatesPass(pod *core.Pod) bool {
	for _, g := range pod.Spec.ReadinessGates {
		ok := false
		for _, c := range pod.Status.Conditions {
			if c.Type == g.ConditionType && c.Status == core.ConditionTrue {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func hasCondition(cs []core.PodCondition, t core.PodConditionType) bool {
	for _, c := range cs {
		if c.Type == t {
			return true
		}
	}
	return false
}

// errMirrorPending: a static pod's mirror is not in the API yet.
var errMirrorPending = errors.New("mirror pod not created yet")

// writeStatus writes st through the status subresource if it differs from
// what the API holds and from what this worker wrote last. A conflict is
// retried once on the current object.
func (k *Kubelet) writeStatus(ctx context.Context, w *podWorker, pod *core.Pod, st core.PodStatus) error {
	want, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if !w.static && bytes.Equal(want, w.lastStatus) {
		return nil // the mirror of a static pod may be new: compare below
	}
	if have, _ := json.Marshal(pod.Status); bytes.Equal(want, have) {
		w.lastStatus = want
		return nil
	}
	pods := k.pods.Namespace(pod.Namespace)
	if w.static {
		m, ok := k.mirrorOf(pod)
		if !ok {
			return errMirrorPending
		}
		pod = m
	}
	p := pod.DeepCopyObject().(*core.Pod)
	p.Status = st
	for attempt := 0; ; attempt++ {
		_, err = pods.UpdateStatus(ctx, p, client.WriteOptions{})
		if err == nil || apierror.IsNotFound(err) {
			w.lastStatus = want
			return nil
		}
		if !apierror.IsConflict(err) || attempt > 0 {
			return err
		}
		cur, gerr := pods.Get(ctx, pod.Name)
		if gerr != nil {
			return gerr
		}
		if cur.UID != pod.UID {
			return nil
		}
		p = cur
		p.Status = st
	}
}
