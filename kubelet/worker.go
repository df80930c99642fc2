package kubelet

import (
	"context"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
)

// podWorker owns one pod: a goroutine that syncs it whenever it is woken
// (API update, runtime change, probe result, timer). Wakes coalesce: many
// updates while a sync runs cause one more sync with the newest spec.
type podWorker struct {
	uid    string
	wake   chan struct{}
	static bool // from a manifest file: status goes to its mirror pod

	mu   sync.Mutex
	pod  *core.Pod // newest object from the API
	gone bool      // removed from the API

	// Owned by the worker goroutine.
	backoff    map[string]*backoffEntry // by container name, and "pull/"+name
	waiting    map[string]waitingReason // why a container is not running
	lastStatus []byte                   // JSON of the last status written
	rejection  *waitingReason           // admission failure
	startTime  time.Time
	mutated    bool // this sync changed the runtime: read it again for the status
	// deadlineExceeded: the pod ran past activeDeadlineSeconds.
	deadlineExceeded bool
}

type waitingReason struct{ reason, message string }

// backoffEntry is one container's restart (or image pull) back-off.
type backoffEntry struct {
	delay time.Duration // wait after the next failure
	until time.Time     // image pulls: no new attempt before
}

func newPodWorker(p *core.Pod) *podWorker {
	return &podWorker{uid: p.UID, pod: p, wake: make(chan struct{}, 1),
		backoff: map[string]*backoffEntry{}, waiting: map[string]waitingReason{}}
}

func (w *podWorker) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *podWorker) snapshot() (*core.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

// podChanged routes an informer event to the pod's worker, starting one
// (after node admission) for a pod it has not seen.
func (k *Kubelet) podChanged(ctx context.Context, p *core.Pod, deleted bool) {
	if isMirror(p) {
		// The static pod's worker owns it: a new or changed mirror needs
		// its status.
		k.wakePod(p.Annotations[AnnotationConfigMirror])
		return
	}
	k.mu.Lock()
	w := k.workers[p.UID]
	if w == nil {
		if deleted || ctx.Err() != nil {
			k.mu.Unlock()
			return
		}
		w = newPodWorker(p)
		if p.DeletionTimestamp == nil && !terminalPhase(p.Status.Phase) {
			if r := k.admit(p); r != nil {
				w.rejection = r
			} else {
				k.admitted[p.UID] = p
			}
		}
		k.workers[p.UID] = w
		k.wg.Add(1)
		go k.runWorker(ctx, w)
	} else if _, ok := k.admitted[p.UID]; ok {
		k.admitted[p.UID] = p
	}
	k.mu.Unlock()
	w.mu.Lock()
	w.pod = p
	w.gone = w.gone || deleted
	w.mu.Unlock()
	w.kick()
}

// wakePod wakes the worker of a pod, if any.
func (k *Kubelet) wakePod(uid string) {
	k.mu.Lock()
	w := k.workers[uid]
	k.mu.Unlock()
	if w != nil {
		w.kick()
	}
}

func terminalPhase(p core.PodPhase) bool { return p == core.PodSucceeded || p == core.PodFailed }

// runWorker syncs w's pod until the pod is gone or ctx ends.
func (k *Kubelet) runWorker(ctx context.Context, w *podWorker) {
	defer k.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		next, done := k.syncPod(ctx, w)
		if done {
			k.mu.Lock()
			if k.workers[w.uid] == w {
				delete(k.workers, w.uid)
			}
			delete(k.admitted, w.uid)
			k.mu.Unlock()
			k.probes.removePod(w.uid)
			return
		}
		timer.Stop()
		if next > 0 {
			timer.Reset(next)
		}
	}
}

// admitted pods that still hold resources: not terminal.
func (k *Kubelet) activeAdmittedLocked() []*core.Pod {
	var out []*core.Pod
	for _, p := range k.admitted {
		if !terminalPhase(p.Status.Phase) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}
