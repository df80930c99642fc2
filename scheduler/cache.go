package scheduler

import (
	"errors"
	"fmt"
	"sync"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// Errors of the Cache.
var (
	// ErrAssumed: AssumePod was called for a pod already in the cache.
	ErrAssumed = errors.New("pod already in the scheduler cache")
	// ErrNotAssumed: FinishBinding or ForgetPod for a pod not assumed.
	ErrNotAssumed = errors.New("pod not assumed")
)

type podState struct {
	pod     *core.Pod
	assumed bool
}

// Cache is the scheduler's view of the cluster: a NodeInfo per node
// holding the bound pods and the pods the scheduler assumed onto it (it
// chose the node and is binding). Assuming lets the next cycle see the
// placement before the API server confirms it. UpdateSnapshot copies the
// nodes that changed since the last call into a framework.Snapshot. It is
// safe for concurrent use.
type Cache struct {
	mu    sync.RWMutex
	nodes map[string]*framework.NodeInfo
	pods  map[string]*podState // by pod key

	// snapshot bookkeeping: the clones handed to the snapshot and the
	// generation each was cloned at.
	snapInfos map[string]*framework.NodeInfo
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{nodes: map[string]*framework.NodeInfo{}, pods: map[string]*podState{}, snapInfos: map[string]*framework.NodeInfo{}}
}

func (c *Cache) nodeInfo(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = framework.NewNodeInfo()
		c.nodes[name] = ni
	}
	return ni
}

// AssumePod places pod (whose spec.nodeName is the chosen node) in the
// cache before it is bound.
func (c *Cache) AssumePod(pod *core.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(pod)
	if _, ok := c.pods[key]; ok {
		return fmt.Errorf("assume %s: %w", key, ErrAssumed)
	}
	if err := c.nodeInfo(pod.Spec.NodeName).AddPod(pod); err != nil {
		return fmt.Errorf("assume %s: %w", key, err)
	}
	c.pods[key] = &podState{pod: pod, assumed: true}
	return nil
}

// ForgetPod removes an assumed pod whose binding failed.
func (c *Cache) ForgetPod(pod *core.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(pod)
	st, ok := c.pods[key]
	if !ok || !st.assumed {
		return fmt.Errorf("forget %s: %w", key, ErrNotAssumed)
	}
	delete(c.pods, key)
	return c.removeFromNode(st.pod)
}

func (c *Cache) removeFromNode(pod *core.Pod) error {
	ni, ok := c.nodes[pod.Spec.NodeName]
	if !ok {
		return nil
	}
	err := ni.RemovePod(pod)
	if ni.Node() == nil && len(ni.Pods) == 0 {
		delete(c.nodes, pod.Spec.NodeName)
	}
	return err
}

// AddPod records a bound pod seen by the informer; it confirms an
// assumed pod (moving it if it was bound elsewhere).
func (c *Cache) AddPod(pod *core.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(pod)
	if st, ok := c.pods[key]; ok {
		// An assumed pod, or a duplicate add: replace it.
		if err := c.removeFromNode(st.pod); err != nil {
			return err
		}
	}
	if err := c.nodeInfo(pod.Spec.NodeName).AddPod(pod); err != nil {
		return err
	}
	c.pods[key] = &podState{pod: pod}
	return nil
}

// UpdatePod replaces a bound pod.
func (c *Cache) UpdatePod(pod *core.Pod) error { return c.AddPod(pod) }

// RemovePod removes a pod (deleted, or finished).
func (c *Cache) RemovePod(pod *core.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(pod)
	st, ok := c.pods[key]
	if !ok {
		return nil
	}
	delete(c.pods, key)
	return c.removeFromNode(st.pod)
}

// IsAssumed reports whether the pod is assumed and not yet confirmed.
func (c *Cache) IsAssumed(pod *core.Pod) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st, ok := c.pods[podKey(pod)]
	return ok && st.assumed
}

// AddNode adds or updates a node.
func (c *Cache) AddNode(node *core.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nodeInfo(node.Name).SetNode(node)
}

// UpdateNode updates a node.
func (c *Cache) UpdateNode(node *core.Node) { c.AddNode(node) }

// RemoveNode removes a node; its pods stay until their own deletion.
func (c *Cache) RemoveNode(node *core.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni, ok := c.nodes[node.Name]
	if !ok {
		return
	}
	if len(ni.Pods) == 0 {
		delete(c.nodes, node.Name)
		return
	}
	ni.RemoveNode()
}

// NodeCount returns the number of nodes.
func (c *Cache) NodeCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, ni := range c.nodes {
		if ni.Node() != nil {
			n++
		}
	}
	return n
}

// UpdateSnapshot refreshes snap with the nodes that changed since the
// last call: only those are cloned.
func (c *Cache) UpdateSnapshot(snap *framework.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, ni := range c.nodes {
		if old, ok := c.snapInfos[name]; !ok || old.Generation != ni.Generation {
			c.snapInfos[name] = ni.Clone()
		}
	}
	for name := range c.snapInfos {
		if _, ok := c.nodes[name]; !ok {
			delete(c.snapInfos, name)
		}
	}
	infos := make(map[string]*framework.NodeInfo, len(c.snapInfos))
	for k, v := range c.snapInfos {
		infos[k] = v
	}
	snap.SetNodeInfos(infos)
}
