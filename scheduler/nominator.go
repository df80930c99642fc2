package scheduler

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// nominator tracks pods nominated to a node by preemption: the room
// their victims free is kept for them, so pods of no higher priority see
// the nominated pods as if they were already on the node.
type nominator struct {
	mu     sync.RWMutex
	byNode map[string]map[string]*framework.PodInfo
	nodeOf map[string]string
	// pods is len(nodeOf), read without the lock: Filter asks once per
	// node, and there is usually no nominated pod at all.
	pods atomic.Int64
}

func newNominator() *nominator {
	return &nominator{byNode: map[string]map[string]*framework.PodInfo{}, nodeOf: map[string]string{}}
}

func (n *nominator) add(pod *core.Pod, node string) {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return
	}
	key := podKey(pod)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(key)
	if n.byNode[node] == nil {
		n.byNode[node] = map[string]*framework.PodInfo{}
	}
	n.byNode[node][key] = pi
	n.nodeOf[key] = node
	n.pods.Store(int64(len(n.nodeOf)))
}

func (n *nominator) remove(pod *core.Pod) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(podKey(pod))
}

func (n *nominator) removeLocked(key string) {
	node, ok := n.nodeOf[key]
	if !ok {
		return
	}
	delete(n.nodeOf, key)
	n.pods.Store(int64(len(n.nodeOf)))
	delete(n.byNode[node], key)
	if len(n.byNode[node]) == 0 {
		delete(n.byNode, node)
	}
}

// empty reports whether no pod is nominated; a nomination made
// concurrently may be missed, as it would be by a cycle started a moment
// earlier.
func (n *nominator) empty() bool { return n.pods.Load() == 0 }

// competing returns the pods nominated to node with a priority at least
// pod's, other than pod itself.
func (n *nominator) competing(node string, pod *core.Pod) []*framework.PodInfo {
	if n.empty() {
		return nil
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []*framework.PodInfo
	prio := priorityOf(pod)
	for _, pi := range n.byNode[node] {
		if pi.Pod.UID != pod.UID && priorityOf(pi.Pod) >= prio {
			out = append(out, pi)
		}
	}
	return out
}

func priorityOf(p *core.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// filter runs the Filter plugins as Kubernetes does with nominated pods:
// once with the competing nominated pods added to a copy of the node
// (they must fit together), then on the node as it is (affinity to a
// nominated pod must not count).
func (s *Scheduler) filter(ctx context.Context, fw *framework.Framework, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	if s.nominator.empty() {
		return fw.RunFilterPlugins(ctx, state, pod, ni)
	}
	nominated := s.nominator.competing(ni.NodeName(), pod)
	if len(nominated) == 0 {
		return fw.RunFilterPlugins(ctx, state, pod, ni)
	}
	withState, withNode := state.Clone(), ni.Clone()
	for _, pi := range nominated {
		withNode.AddPodInfo(pi)
		if st := fw.RunPreFilterExtensionAddPod(ctx, withState, pod, pi, withNode); !st.IsSuccess() {
			return st
		}
	}
	if st := fw.RunFilterPlugins(ctx, withState, pod, withNode); !st.IsSuccess() {
		return st
	}
	return fw.RunFilterPlugins(ctx, state, pod, ni)
}
