// Package garbagecollector is the garbage collector controller: it keeps
// the graph of ownerReferences between every object the API server
// serves, and deletes dependents whose owners are gone, as Kubernetes'
// garbage collector does.
//
// # The graph
//
// At Start the collector discovers the resources (Discover: /api/v1 and
// the preferred version of every group of /apis, through the client's raw
// Do, retried with back-off until the server answers) and runs an
// informer on each with the dynamic client. Every
// object's ownerReferences become edges owner UID → dependent UID. An
// owner is only ever identified by UID: when a dependent's owner is not
// in the graph, the collector reads it from the API by name and compares
// UIDs, so a recreated owner with the same name (a new UID) does not keep
// the old one's dependents alive, and an owner just created but not yet
// seen by its informer is not mistaken for a missing one.
//
// # Deletion modes
//
//   - Background: when every owner of an object is gone, the object is
//     deleted (with a UID precondition). When some owners remain, the
//     references to the missing ones are removed instead.
//   - Foreground: an owner with a deletionTimestamp and the
//     foregroundDeletion finalizer has its dependents deleted (dependents
//     that have dependents of their own are deleted in the foreground too);
//     once no dependent with blockOwnerDeletion=true is left the finalizer
//     is removed and the API server removes the owner.
//   - Orphan: an owner with a deletionTimestamp and the orphan finalizer
//     has its reference removed from every dependent, then the finalizer
//     is removed.
//
// Dependents' own finalizers are respected: deleting an object only sets
// its deletionTimestamp when it has finalizers, and the foreground owner
// waits until the API server really removed its blocking dependents.
//
// # Caveats
//
// Resources are discovered once, at Start; resources added later (a new
// CustomResourceDefinition) are not watched until the collector restarts.
// The informers keep whole objects, not only their metadata (the API
// server has no metadata-only lists), so the collector's memory grows
// with the cluster's objects. Events are not watched.
package garbagecollector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/workqueue"
)

// The finalizers the collector acts on (the API server adds them for the
// Orphan and Foreground propagation policies).
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"
)

// Name is the collector's name in logs and metrics.
const Name = "garbage-collector"

// Options tune the collector; the zero value works.
type Options struct {
	// Workers is the number of concurrent work items (default 10).
	Workers int
	// Resources, when set, replaces discovery (tests, or a collector
	// restricted to some resources).
	Resources []client.GVR
	// Metrics records work queue metrics (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// GarbageCollector deletes objects whose owners are gone and processes
// the orphan and foregroundDeletion finalizers. It is a
// controller.Runnable that needs leadership.
type GarbageCollector struct {
	c     *client.Client
	opts  Options
	log   *slog.Logger
	graph *graph
	queue *workqueue.Queue[item]

	mu     sync.Mutex
	byKind map[string]client.GVR // "apiVersion/kind" and "group/kind" → resource
	absent map[string]bool       // owner UIDs verified gone
	synced bool
}

var _ controller.Runnable = (*GarbageCollector)(nil)

// item is one unit of work: attempt to delete a dependent, or process an
// owner's deletion finalizers.
type item struct {
	uid   string
	owner bool
}

// maxAbsent bounds the cache of owners verified gone.
const maxAbsent = 10000

// New returns a collector talking to c.
func New(c *client.Client, opts *Options) (*GarbageCollector, error) {
	if c == nil {
		return nil, errors.New("garbagecollector: a client is required")
	}
	g := &GarbageCollector{c: c, graph: newGraph(), byKind: map[string]client.GVR{}, absent: map[string]bool{}}
	if opts != nil {
		g.opts = *opts
	}
	if g.opts.Workers <= 0 {
		g.opts.Workers = 10
	}
	g.log = g.opts.Logger
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	qo := &workqueue.Options[item]{Name: Name}
	if g.opts.Metrics != nil {
		qo.Metrics = g.opts.Metrics.Queue
	}
	g.queue = workqueue.New(qo)
	return g, nil
}

// HasSynced reports whether the graph holds every object of the watched
// resources (the informers' first lists).
func (g *GarbageCollector) HasSynced() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.synced
}

// GraphSize returns the number of objects in the graph.
func (g *GarbageCollector) GraphSize() int { return g.graph.len() }

// Start discovers the resources, builds the graph from their informers,
// and processes work until ctx is done.
func (g *GarbageCollector) Start(ctx context.Context) error {
	resources := g.opts.Resources
	// Discovery is retried: an API server that is still starting must not
	// stop the whole manager.
	for delay := 500 * time.Millisecond; resources == nil; delay = min(2*delay, 30*time.Second) {
		var err error
		if resources, err = Discover(ctx, g.c); err == nil {
			break
		}
		g.log.Warn("discovery failed; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
	g.mu.Lock()
	for _, r := range resources {
		g.byKind[r.GroupVersion().String()+"/"+r.Kind] = r
		g.byKind[r.Group+"/"+r.Kind] = r
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	infs := make([]controller.SharedInformer, 0, len(resources))
	for _, r := range resources {
		inf := controller.NewInformer(client.Dynamic(g.c, r), controller.InformerOptions{Logger: g.log})
		inf.AddEventHandler(g.handler(r))
		infs = append(infs, inf)
		wg.Add(1)
		go func() { defer wg.Done(); _ = inf.Run(ctx) }()
	}
	if err := controller.WaitForSync(ctx, infs...); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	g.mu.Lock()
	g.synced = true
	g.mu.Unlock()
	g.log.Info("graph synced", "resources", len(resources), "objects", g.graph.len())
	for range g.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	g.queue.ShutDown()
	return nil
}

func (g *GarbageCollector) handler(r client.GVR) controller.EventHandler[*unstructured.Object] {
	upsert := func(obj *unstructured.Object) {
		n := nodeOf(r, obj)
		g.graph.upsert(n)
		if len(n.owners) > 0 {
			g.queue.Add(item{uid: n.uid})
		}
		if n.deleting && (n.has(FinalizerOrphan) || n.has(FinalizerForeground)) {
			g.queue.Add(item{uid: n.uid, owner: true})
		}
		// A dependent that starts going may unblock a foreground owner.
		if n.deleting {
			for _, o := range n.owners {
				g.queue.Add(item{uid: o.UID, owner: true})
			}
		}
	}
	return controller.HandlerFuncs[*unstructured.Object]{
		AddFunc:    upsert,
		UpdateFunc: func(_, obj *unstructured.Object) { upsert(obj) },
		DeleteFunc: func(obj *unstructured.Object, _ bool) {
			n := g.graph.remove(obj.UID)
			if n == nil {
				return
			}
			for _, dep := range g.graph.dependentUIDs(n.uid) {
				g.queue.Add(item{uid: dep})
			}
			for _, o := range n.owners {
				g.queue.Add(item{uid: o.UID, owner: true})
			}
		},
	}
}

func (g *GarbageCollector) processNext(ctx context.Context) bool {
	it, shutdown := g.queue.Get(ctx)
	if shutdown {
		return false
	}
	defer g.queue.Done(it)
	var err error
	var again bool
	if it.owner {
		again, err = g.processOwner(ctx, it.uid)
	} else {
		err = g.attemptToDelete(ctx, it.uid)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		g.log.Warn("garbage collection failed", "uid", it.uid, "err", err)
		g.queue.AddRateLimited(it)
	case again:
		g.queue.Forget(it)
		g.queue.AddAfter(it, 5*time.Second)
	default:
		g.queue.Forget(it)
	}
	return true
}

// ownerState classifies one owner reference of a dependent.
type ownerState int

const (
	ownerSolid   ownerState = iota // exists, not being deleted in the foreground
	ownerGone                      // verified absent (or another UID holds the name)
	ownerWaiting                   // being deleted in the foreground, waiting for dependents
)

func (g *GarbageCollector) classify(ctx context.Context, dep *node, ref meta.OwnerReference) (ownerState, error) {
	if o := g.graph.get(ref.UID); o != nil {
		if o.deleting && o.has(FinalizerForeground) {
			return ownerWaiting, nil
		}
		return ownerSolid, nil
	}
	g.mu.Lock()
	gone := g.absent[ref.UID]
	g.mu.Unlock()
	if gone {
		return ownerGone, nil
	}
	r, ok := g.resourceFor(ref)
	if !ok {
		// An owner of a kind the server does not serve cannot be verified:
		// keep the dependent.
		g.log.Warn("owner of an unknown kind", "apiVersion", ref.APIVersion, "kind", ref.Kind, "namespace", dep.namespace, "name", dep.name)
		return ownerSolid, nil
	}
	ns := ""
	if r.Namespaced {
		ns = dep.namespace
	}
	obj, err := client.Dynamic(g.c, r).Namespace(ns).Get(ctx, ref.Name)
	switch {
	case apierror.IsNotFound(err):
	case err != nil:
		return ownerSolid, err
	case obj.UID == ref.UID:
		if obj.DeletionTimestamp != nil && obj.HasFinalizer(FinalizerForeground) {
			return ownerWaiting, nil
		}
		return ownerSolid, nil
	}
	g.mu.Lock()
	if len(g.absent) >= maxAbsent {
		clear(g.absent)
	}
	g.absent[ref.UID] = true
	g.mu.Unlock()
	return ownerGone, nil
}

func (g *GarbageCollector) resourceFor(ref meta.OwnerReference) (client.GVR, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.byKind[ref.APIVersion+"/"+ref.Kind]; ok {
		return r, true
	}
	gv, err := meta.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return client.GVR{}, false
	}
	r, ok := g.byKind[gv.Group+"/"+ref.Kind]
	return r, ok
}

// attemptToDelete deletes dependent uid when all its owners are gone (or
// waiting on it), or drops the references to gone owners when some
// remain.
func (g *GarbageCollector) attemptToDelete(ctx context.Context, uid string) error {
	n := g.graph.get(uid)
	if n == nil || len(n.owners) == 0 || n.deleting {
		return nil
	}
	var solid, drop []meta.OwnerReference
	waiting := false
	for _, ref := range n.owners {
		st, err := g.classify(ctx, n, ref)
		if err != nil {
			return err
		}
		switch st {
		case ownerSolid:
			solid = append(solid, ref)
		case ownerGone:
			drop = append(drop, ref)
		case ownerWaiting:
			waiting = true
			drop = append(drop, ref)
		}
	}
	if len(solid) > 0 {
		if len(drop) == 0 {
			return nil
		}
		gone := map[string]bool{}
		for _, ref := range drop {
			gone[ref.UID] = true
		}
		return g.removeOwnerRefs(ctx, n, gone)
	}
	policy := meta.DeletePropagationBackground
	if waiting && len(g.graph.dependentUIDs(n.uid)) > 0 {
		// Cascade the foreground deletion down the tree.
		policy = meta.DeletePropagationForeground
	}
	g.log.Info("deleting dependent", "resource", n.gvr.Resource, "namespace", n.namespace, "name", n.name, "propagation", policy)
	err := client.Dynamic(g.c, n.gvr).Namespace(n.namespace).Delete(ctx, n.name,
		&meta.DeleteOptions{Preconditions: &meta.Preconditions{UID: &n.uid}, PropagationPolicy: &policy})
	if err != nil && !apierror.IsNotFound(err) && !apierror.IsConflict(err) {
		return fmt.Errorf("delete %s %s/%s: %w", n.gvr.Resource, n.namespace, n.name, err)
	}
	return nil
}

// processOwner handles an owner being deleted with the orphan or
// foregroundDeletion finalizer. again asks for another look later (a
// foreground owner waiting for its dependents).
func (g *GarbageCollector) processOwner(ctx context.Context, uid string) (again bool, err error) {
	n := g.graph.get(uid)
	if n == nil || !n.deleting {
		return false, nil
	}
	if n.has(FinalizerOrphan) {
		for _, dep := range g.graph.dependentsOf(uid) {
			if err := g.removeOwnerRefs(ctx, dep, map[string]bool{uid: true}); err != nil {
				return false, err
			}
		}
		if err := g.removeFinalizer(ctx, n, FinalizerOrphan); err != nil {
			return false, err
		}
	}
	if !n.has(FinalizerForeground) {
		return false, nil
	}
	blocking := 0
	for _, dep := range g.graph.dependentsOf(uid) {
		if !dep.deleting {
			g.queue.Add(item{uid: dep.uid})
		}
		for _, ref := range dep.owners {
			if ref.UID == uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking++
			}
		}
	}
	if blocking > 0 {
		return true, nil
	}
	return false, g.removeFinalizer(ctx, n, FinalizerForeground)
}

// patchMeta applies fn to a fresh copy of n's metadata and writes the
// fields it returns with a merge patch guarded by uid and
// resourceVersion, retrying on conflicts.
func (g *GarbageCollector) patchMeta(ctx context.Context, n *node, fn func(m *meta.ObjectMeta) (map[string]any, bool)) error {
	res := client.Dynamic(g.c, n.gvr).Namespace(n.namespace)
	for attempt := 0; ; attempt++ {
		obj, err := res.Get(ctx, n.name)
		if apierror.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if obj.UID != n.uid {
			return nil
		}
		fields, changed := fn(&obj.ObjectMeta)
		if !changed {
			return nil
		}
		fields["uid"], fields["resourceVersion"] = obj.UID, obj.ResourceVersion
		patch, err := json.Marshal(map[string]any{"metadata": fields})
		if err != nil {
			return err
		}
		_, err = res.Patch(ctx, n.name, client.MergePatch, patch, client.WriteOptions{})
		if err == nil || apierror.IsNotFound(err) {
			return nil
		}
		if !apierror.IsConflict(err) || attempt == 4 {
			return fmt.Errorf("patch %s %s/%s: %w", n.gvr.Resource, n.namespace, n.name, err)
		}
	}
}

func (g *GarbageCollector) removeOwnerRefs(ctx context.Context, n *node, uids map[string]bool) error {
	return g.patchMeta(ctx, n, func(m *meta.ObjectMeta) (map[string]any, bool) {
		var keep []meta.OwnerReference
		for _, ref := range m.OwnerReferences {
			if !uids[ref.UID] {
				keep = append(keep, ref)
			}
		}
		if len(keep) == len(m.OwnerReferences) {
			return nil, false
		}
		if keep == nil {
			return map[string]any{"ownerReferences": nil}, true
		}
		return map[string]any{"ownerReferences": keep}, true
	})
}

func (g *GarbageCollector) removeFinalizer(ctx context.Context, n *node, finalizer string) error {
	return g.patchMeta(ctx, n, func(m *meta.ObjectMeta) (map[string]any, bool) {
		if !m.RemoveFinalizer(finalizer) {
			return nil, false
		}
		if m.Finalizers == nil {
			return map[string]any{"finalizers": nil}, true
		}
		return map[string]any{"finalizers": m.Finalizers}, true
	})
}
