package kubelet

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// relist is the pod lifecycle event generator: every RelistPeriod it lists
// the runtime's sandboxes and containers and wakes the worker of every pod
// whose runtime state changed since the last relist.
func (k *Kubelet) relist(ctx context.Context) {
	last := map[string]string{}
	t := time.NewTicker(k.opts.RelistPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := k.runtimeFingerprints(ctx)
		if err != nil {
			if ctx.Err() == nil {
				k.log.Debug("relist", "err", err)
			}
			continue
		}
		for uid, fp := range cur {
			if last[uid] != fp {
				k.wakePod(uid)
			}
		}
		for uid := range last {
			if _, ok := cur[uid]; !ok {
				k.wakePod(uid)
			}
		}
		last = cur
	}
}

// runtimeFingerprints summarises, per pod UID, the ids and states of its
// sandboxes and containers.
func (k *Kubelet) runtimeFingerprints(ctx context.Context) (map[string]string, error) {
	sbs, err := k.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, err
	}
	cs, err := k.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, err
	}
	parts := map[string][]string{}
	for _, s := range sbs.GetItems() {
		uid := s.GetLabels()[LabelPodUID]
		if uid != "" {
			parts[uid] = append(parts[uid], s.Id+"="+s.State.String())
		}
	}
	for _, c := range cs.GetContainers() {
		uid := c.GetLabels()[LabelPodUID]
		if uid != "" {
			parts[uid] = append(parts[uid], c.Id+"="+c.State.String())
		}
	}
	out := make(map[string]string, len(parts))
	for uid, p := range parts {
		sort.Strings(p)
		out[uid] = strings.Join(p, ",")
	}
	return out, nil
}

// eventsRetryMin is the first delay before a broken container event stream
// is reopened; it doubles up to a minute while the runtime refuses it.
var eventsRetryMin = time.Second

// watchEvents wakes pod workers on the runtime's container events, where
// the runtime streams them; relisting covers the rest.
func (k *Kubelet) watchEvents(ctx context.Context) {
	minBackoff := eventsRetryMin
	backoff := minBackoff
	for ctx.Err() == nil {
		started := time.Now()
		delivered := false
		err := k.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{}, func(ev *runtimeapi.ContainerEventResponse) error {
			delivered = true
			if uid := ev.GetPodSandboxStatus().GetMetadata().GetUid(); uid != "" {
				k.wakePod(uid)
			}
			return nil
		})
		if errors.Is(err, cri.ErrUnimplemented) || ctx.Err() != nil {
			return
		}
		// A stream that worked (delivered an event or stayed up a while)
		// ended because the runtime went away, not because it refuses us:
		// start over from the shortest delay, so that after a runtime
		// restart events flow again within a second.
		if delivered || time.Since(started) > 30*time.Second {
			backoff = minBackoff
		}
		if !sleepFor(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// housekeeping removes the sandboxes of pods the API no longer has
// (deleted while no kubelet ran) and refreshes volume contents, once the
// pod informer has synced.
func (k *Kubelet) housekeeping(ctx context.Context) {
	t := time.NewTicker(k.opts.HousekeepingPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !k.podInf.HasSynced() {
			continue
		}
		k.syncStaticPods(ctx)
		k.removeOrphans(ctx)
		k.refreshVolumes(ctx)
	}
}

func (k *Kubelet) removeOrphans(ctx context.Context) {
	sbs, err := k.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return
	}
	orphans := map[string]*runtimeapi.PodSandbox{}
	for _, s := range sbs.GetItems() {
		uid := s.GetLabels()[LabelPodUID]
		if uid == "" {
			continue
		}
		k.mu.Lock()
		_, known := k.workers[uid]
		k.mu.Unlock()
		if known {
			continue
		}
		if p, ok := k.podInf.Get(s.GetLabels()[LabelPodNamespace], s.GetLabels()[LabelPodName]); ok && p.UID == uid {
			continue
		}
		orphans[uid] = s
	}
	for uid, s := range orphans {
		rp, err := k.runtimePod(ctx, uid)
		if err != nil {
			continue
		}
		pod := &core.Pod{}
		pod.Name, pod.Namespace, pod.UID = s.GetMetadata().GetName(), s.GetMetadata().GetNamespace(), uid
		k.log.Info("removing orphaned pod", "pod", pod.Namespace+"/"+pod.Name, "uid", uid)
		if err := k.killContainers(ctx, pod, rp.running(), 2); err != nil {
			continue
		}
		if err := k.stopSandboxes(ctx, rp); err != nil {
			continue
		}
		for _, sb := range rp.sandboxes {
			_, _ = k.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id})
		}
		_ = k.teardownVolumes(uid)
		k.setPodIPs(uid, nil)
	}
}
