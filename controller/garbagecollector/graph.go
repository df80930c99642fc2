package garbagecollector

import (
	"slices"
	"sync"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// node is one observed object of the ownership graph.
type node struct {
	gvr        client.GVR
	namespace  string
	name       string
	uid        string
	owners     []meta.OwnerReference
	deleting   bool
	finalizers []string
}

func (n *node) has(finalizer string) bool { return slices.Contains(n.finalizers, finalizer) }

// graph is the ownerReferences graph: observed objects by UID, and for
// every owner UID (observed or not) the UIDs of its dependents.
type graph struct {
	mu         sync.RWMutex
	nodes      map[string]*node
	dependents map[string]map[string]bool
}

func newGraph() *graph {
	return &graph{nodes: map[string]*node{}, dependents: map[string]map[string]bool{}}
}

func nodeOf(gvr client.GVR, obj meta.Object) *node {
	m := obj.GetObjectMeta()
	return &node{gvr: gvr, namespace: m.Namespace, name: m.Name, uid: m.UID,
		owners: slices.Clone(m.OwnerReferences), deleting: m.DeletionTimestamp != nil, finalizers: slices.Clone(m.Finalizers)}
}

// upsert stores n and re-links its owner edges.
func (g *graph) upsert(n *node) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.nodes[n.uid]; ok {
		for _, o := range old.owners {
			g.unlink(o.UID, n.uid)
		}
	}
	g.nodes[n.uid] = n
	for _, o := range n.owners {
		set := g.dependents[o.UID]
		if set == nil {
			set = map[string]bool{}
			g.dependents[o.UID] = set
		}
		set[n.uid] = true
	}
}

func (g *graph) unlink(owner, dep string) {
	if set := g.dependents[owner]; set != nil {
		delete(set, dep)
		if len(set) == 0 {
			delete(g.dependents, owner)
		}
	}
}

// remove forgets uid and returns the node it held, if any.
func (g *graph) remove(uid string) *node {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok {
		return nil
	}
	delete(g.nodes, uid)
	for _, o := range n.owners {
		g.unlink(o.UID, uid)
	}
	return n
}

func (g *graph) get(uid string) *node {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.nodes[uid]
}

// dependentsOf returns the observed dependents of owner.
func (g *graph) dependentsOf(owner string) []*node {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []*node
	for uid := range g.dependents[owner] {
		if n := g.nodes[uid]; n != nil {
			out = append(out, n)
		}
	}
	return out
}

// dependentUIDs returns every dependent UID of owner, observed or not.
func (g *graph) dependentUIDs(owner string) []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.dependents[owner]))
	for uid := range g.dependents[owner] {
		out = append(out, uid)
	}
	return out
}

func (g *graph) len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.nodes)
}
