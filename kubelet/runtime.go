package kubelet

import (
	"context"
	"errors"
	"sort"

	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// runtimeContainer is what the runtime says about one container of a pod.
type runtimeContainer struct {
	id, sandboxID, name              string
	attempt                          uint32
	state                            runtimeapi.ContainerState
	createdAt, startedAt, finishedAt int64
	exitCode                         int32
	reason, message, image, imageRef string
	logPath                          string
}

// runtimePod is a pod as found in the runtime by its UID label: its
// sandboxes (newest first) and the containers of all of them.
type runtimePod struct {
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeContainer
	// ip and ips of the newest sandbox, if it is ready.
	ips []string
}

// readySandbox returns the newest sandbox if it is ready.
func (rp *runtimePod) readySandbox() *runtimeapi.PodSandbox {
	if len(rp.sandboxes) > 0 && rp.sandboxes[0].State == runtimeapi.PodSandboxState_SANDBOX_READY {
		return rp.sandboxes[0]
	}
	return nil
}

// latest returns the newest instance of the named container (highest
// attempt, then newest), and the one before it.
func (rp *runtimePod) latest(name string) (cur, prev *runtimeContainer) {
	for _, c := range rp.containers { // sorted newest first
		if c.name != name {
			continue
		}
		if cur == nil {
			cur = c
		} else if prev == nil {
			prev = c
			return cur, prev
		}
	}
	return cur, prev
}

// running returns the pod's running containers.
func (rp *runtimePod) running() []*runtimeContainer {
	var out []*runtimeContainer
	for _, c := range rp.containers {
		if c.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
			out = append(out, c)
		}
	}
	return out
}

// runtimePod lists the sandboxes and containers labelled with uid. A
// failed status call (other than not found: removed since the list) fails
// the whole inspection, so no half-read pod is ever reported.
func (k *Kubelet) runtimePod(ctx context.Context, uid string) (*runtimePod, error) {
	sel := map[string]string{LabelPodUID: uid}
	sbs, err := k.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: sel}})
	if err != nil {
		return nil, err
	}
	rp := &runtimePod{sandboxes: sbs.GetItems()}
	sort.Slice(rp.sandboxes, func(i, j int) bool {
		a, b := rp.sandboxes[i], rp.sandboxes[j]
		if a.GetMetadata().GetAttempt() != b.GetMetadata().GetAttempt() {
			return a.GetMetadata().GetAttempt() > b.GetMetadata().GetAttempt()
		}
		return a.CreatedAt > b.CreatedAt
	})
	cs, err := k.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{LabelSelector: sel}})
	if err != nil {
		return nil, err
	}
	for _, c := range cs.GetContainers() {
		rc := &runtimeContainer{id: c.Id, sandboxID: c.PodSandboxId, name: c.GetMetadata().GetName(),
			attempt: c.GetMetadata().GetAttempt(), state: c.State, createdAt: c.CreatedAt,
			image: c.GetImage().GetImage(), imageRef: c.ImageRef}
		st, err := k.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.Id})
		if err != nil && !errors.Is(err, cri.ErrNotFound) {
			// A runtime going down (or restarting) between the calls:
			// a half-read pod would be reported with wrong times and
			// states, so the caller retries instead.
			return nil, err
		}
		if err == nil && st.GetStatus() != nil {
			s := st.GetStatus()
			rc.state, rc.startedAt, rc.finishedAt, rc.exitCode = s.State, s.StartedAt, s.FinishedAt, s.ExitCode
			rc.reason, rc.message, rc.logPath = s.Reason, s.Message, s.LogPath
			if s.ImageRef != "" {
				rc.imageRef = s.ImageRef
			}
		}
		rp.containers = append(rp.containers, rc)
	}
	sort.Slice(rp.containers, func(i, j int) bool {
		a, b := rp.containers[i], rp.containers[j]
		if a.attempt != b.attempt {
			return a.attempt > b.attempt
		}
		return a.createdAt > b.createdAt
	})
	if sb := rp.readySandbox(); sb != nil {
		st, err := k.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sb.Id})
		if err != nil && !errors.Is(err, cri.ErrNotFound) {
			// Without the status the pod's IPs are unknown, not gone.
			return nil, err
		}
		if err == nil && st.GetStatus().GetNetwork() != nil {
			n := st.GetStatus().GetNetwork()
			if n.Ip != "" {
				rp.ips = append(rp.ips, n.Ip)
			}
			for _, a := range n.AdditionalIps {
				rp.ips = append(rp.ips, a.Ip)
			}
		}
	}
	k.setPodIPs(uid, rp.ips)
	return rp, nil
}
