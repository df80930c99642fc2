package scheduler

import (
	"errors"
	"fmt"
	"sync"
	"time"

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
	// deadline is when an assumed pod whose binding cycle finished is
	// forgotten if its binding has not shown up; zero while binding runs.
	deadline time.Time
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
	// generation each was cloned at; the nodes whose pods changed since
	// the last UpdateSnapshot, and whether a node was added or removed
	// (or its object changed), which needs a full rebuild.
	snapInfos  map[string]*framework.NodeInfo
	lastSnap   *framework.Snapshot
	dirty      map[string]struct{}
	structural bool
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{nodes: map[string]*framework.NodeInfo{}, pods: map[string]*podState{}, snapInfos: map[string]*framework.NodeInfo{}, dirty: map[string]struct{}{}}
}

// nodeInfo returns a node's info, created if missing, and marks it
// changed: callers modify it.
func (c *Cache) nodeInfo(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = framework.NewNodeInfo()
		c.nodes[name] = ni
		c.structural = true
	}
	c.dirty[name] = struct{}{}
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

// FinishBinding starts the expiry clock of an assumed pod whose binding
// cycle finished: if the informer has not confirmed the pod (AddPod) by
// deadline, CleanupExpired forgets it and frees its node's resources.
func (c *Cache) FinishBinding(pod *core.Pod, deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := podKey(pod)
	st, ok := c.pods[key]
	if !ok || !st.assumed {
		return fmt.Errorf("finish binding %s: %w", key, ErrNotAssumed)
	}
	st.deadline = deadline
	return nil
}

// CleanupExpired forgets the assumed pods whose binding finished and
// whose deadline is before now, and returns them.
func (c *Cache) CleanupExpired(now time.Time) []*core.Pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	var expired []*core.Pod
	for key, st := range c.pods {
		if !st.assumed || st.deadline.IsZero() || !now.After(st.deadline) {
			continue
		}
		delete(c.pods, key)
		_ = c.removeFromNode(st.pod) // the pod is in its node by construction
		expired = append(expired, st.pod)
	}
	return expired
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
	c.dirty[pod.Spec.NodeName] = struct{}{}
	err := ni.RemovePod(pod)
	if ni.Node() == nil && len(ni.Pods) == 0 {
		delete(c.nodes, pod.Spec.NodeName)
		c.structural = true
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
	c.structural = true
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
	c.structural = true
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
// last call: only those are cloned. When only pods moved (the common
// case while scheduling) the snapshot is updated in place
// (Snapshot.UpdateNodeInfos) instead of rebuilt.
func (c *Cache) UpdateSnapshot(snap *framework.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if snap == c.lastSnap && !c.structural {
		changed := make(map[string]*framework.NodeInfo, len(c.dirty))
		for name := range c.dirty {
			ni, ok := c.nodes[name]
			if !ok {
				continue
			}
			if old, ok := c.snapInfos[name]; !ok || old.Generation != ni.Generation {
				clone := ni.Clone()
				c.snapInfos[name] = clone
				changed[name] = clone
			}
		}
		clear(c.dirty)
		if len(changed) == 0 || snap.UpdateNodeInfos(changed) {
			return
		}
	}
	c.lastSnap = snap
	c.structural = false
	clear(c.dirty)
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
