// Package nodelifecycle is the node lifecycle controller: it watches the
// node Leases the kubelets renew in kube-node-lease, marks nodes that
// stopped renewing as unreachable, taints them, and evicts the pods that
// do not tolerate the taints, as Kubernetes' node lifecycle controller
// does.
//
// # Health
//
// A node is healthy while its Lease's renewTime (or its Ready condition's
// lastHeartbeatTime) keeps changing. The controller times heartbeats with
// its own clock, from the moment it observes a change, so clock skew
// between nodes and the controller does not matter; a node first seen is
// given a full grace period. After Options.GracePeriod (50 s by default)
// without a heartbeat, every node condition (Ready, MemoryPressure,
// DiskPressure, PIDPressure) is set to Unknown with reason
// NodeStatusUnknown.
//
// # Taints
//
// A node whose Ready condition is Unknown gets the
// node.kubernetes.io/unreachable taint with the NoSchedule and NoExecute
// effects; a node whose Ready is False gets node.kubernetes.io/not-ready
// instead. When Ready turns True again (the kubelet posts it) the taints
// are removed.
//
// # Eviction
//
// A pod bound to a node with NoExecute taints is evicted (deleted) when
// one of the taints is not tolerated, or when the shortest
// tolerationSeconds of the tolerations that match has passed since the
// taint was added. The API server's DefaultTolerationSeconds admission
// gives every pod 300 s tolerations of not-ready and unreachable, so pods
// of a lost node go after five minutes unless they ask otherwise.
package nodelifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/record"
)

// Name is the controller's name in logs, metrics and events.
const Name = "node-lifecycle-controller"

// LeaseNamespace holds the kubelets' node Leases.
const LeaseNamespace = "kube-node-lease"

// DefaultGracePeriod is how long a node may go without a heartbeat.
const DefaultGracePeriod = 50 * time.Second

// Options tune the controller; the zero value works.
type Options struct {
	// GracePeriod is how long a node may go without a heartbeat before it
	// is marked unreachable (default 50 s).
	GracePeriod time.Duration
	// Workers is the number of concurrent syncs (default 2).
	Workers int
	// Recorder, when set, receives NodeNotReady and TaintManagerEviction
	// events.
	Recorder *record.Recorder
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Now returns the current time (tests); nil means time.Now.
	Now func() time.Time
}

// Reconciler syncs one Node. Build it with New.
type Reconciler struct {
	nodes   *controller.Informer[*core.Node]
	leases  *controller.Informer[*coordination.Lease]
	pods    *controller.Informer[*core.Pod]
	nodeAPI *client.Resource[*core.Node]
	podAPI  *client.Resource[*core.Pod]
	opts    Options
	log     *slog.Logger

	mu   sync.Mutex
	seen map[string]heartbeat
}

// heartbeat is the last heartbeat observed for a node, and when.
type heartbeat struct {
	lease, ready string
	at           time.Time
}

var _ controller.Reconciler = (*Reconciler)(nil)

// New wires the controller on f's Node, Lease (kube-node-lease) and Pod
// informers; add the returned controller to a Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	r := &Reconciler{seen: map[string]heartbeat{}}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.GracePeriod <= 0 {
		r.opts.GracePeriod = DefaultGracePeriod
	}
	if r.opts.Workers <= 0 {
		r.opts.Workers = 2
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.nodes, err = controller.InformerFor[*core.Node](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.leases, err = controller.InformerFor[*coordination.Lease](f, controller.InformerOptions{Namespace: LeaseNamespace}); err != nil {
		return nil, nil, err
	}
	if r.pods, err = controller.InformerFor[*core.Pod](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	r.nodeAPI = client.MustFor[*core.Node](f.Client())
	r.podAPI = client.MustFor[*core.Pod](f.Client())
	c, err := controller.New(Name, r, &controller.Options{Workers: r.opts.Workers, Metrics: r.opts.Metrics, Logger: r.opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	controller.Watch(c, r.nodes, controller.EnqueueObject[*core.Node]())
	controller.Watch(c, r.leases, func(l *coordination.Lease) []controller.Request {
		if l.Namespace != LeaseNamespace {
			return nil
		}
		return []controller.Request{{Name: l.Name}}
	})
	controller.Watch(c, r.pods, r.podRequests)
	return c, r, nil
}

// podRequests maps a pod to its node when that node has NoExecute taints
// (a pod arriving there, or changing its tolerations, may need eviction).
func (r *Reconciler) podRequests(p *core.Pod) []controller.Request {
	if p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
		return nil
	}
	n, ok := r.nodes.Get("", p.Spec.NodeName)
	if !ok || len(noExecute(n.Spec.Taints)) == 0 {
		return nil
	}
	return []controller.Request{{Name: p.Spec.NodeName}}
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	node, ok := r.nodes.Get("", req.Name)
	if !ok {
		r.mu.Lock()
		delete(r.seen, req.Name)
		r.mu.Unlock()
		return controller.Result{}, nil
	}
	now := r.opts.Now()
	last := r.observe(node, now)
	next := last.Add(r.opts.GracePeriod).Sub(now) + 100*time.Millisecond
	if now.Sub(last) > r.opts.GracePeriod {
		var err error
		if node, err = r.markUnknown(ctx, node, now); err != nil {
			return controller.Result{}, err
		}
		next = r.opts.GracePeriod
	}
	node, err := r.taint(ctx, node, now)
	if err != nil {
		return controller.Result{}, err
	}
	evictIn, err := r.evict(ctx, node, now)
	if err != nil {
		return controller.Result{}, err
	}
	if evictIn > 0 && evictIn < next {
		next = evictIn
	}
	return controller.Result{RequeueAfter: next}, nil
}

// observe records node's heartbeat (Lease renewTime and Ready heartbeat)
// and returns when it last changed, by the controller's clock.
func (r *Reconciler) observe(node *core.Node, now time.Time) time.Time {
	hb := heartbeat{at: now}
	if l, ok := r.leases.Get(LeaseNamespace, node.Name); ok && l.Spec.RenewTime != nil {
		hb.lease = l.Spec.RenewTime.Time.String()
	}
	if c := readyCondition(node); c != nil {
		hb.ready = c.LastHeartbeatTime.Time.String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, ok := r.seen[node.Name]
	if ok && prev.lease == hb.lease && prev.ready == hb.ready {
		return prev.at
	}
	r.seen[node.Name] = hb
	return now
}

func readyCondition(n *core.Node) *core.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == core.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// markUnknown sets every node condition to Unknown.
func (r *Reconciler) markUnknown(ctx context.Context, node *core.Node, now time.Time) (*core.Node, error) {
	if c := readyCondition(node); c != nil && c.Status == core.ConditionUnknown {
		return node, nil
	}
	cp := node.DeepCopy()
	ts := meta.NewTime(now.UTC().Truncate(time.Second))
	types := []core.NodeConditionType{core.NodeReady, core.NodeMemoryPressure, core.NodeDiskPressure, core.NodePIDPressure}
	for _, t := range types {
		i := slices.IndexFunc(cp.Status.Conditions, func(c core.NodeCondition) bool { return c.Type == t })
		if i < 0 {
			cp.Status.Conditions = append(cp.Status.Conditions, core.NodeCondition{Type: t, Status: core.ConditionUnknown,
				Reason: "NodeStatusNeverUpdated", Message: "Kubelet never posted node status.", LastTransitionTime: ts, LastHeartbeatTime: ts})
			continue
		}
		c := &cp.Status.Conditions[i]
		if c.Status != core.ConditionUnknown {
			c.Status, c.LastTransitionTime = core.ConditionUnknown, ts
		}
		c.Reason, c.Message = "NodeStatusUnknown", "Kubelet stopped posting node status."
	}
	out, err := r.nodeAPI.UpdateStatus(ctx, cp, client.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("mark node %s unknown: %w", node.Name, err)
	}
	r.log.Info("node stopped posting status", "node", node.Name)
	if r.opts.Recorder != nil {
		r.opts.Recorder.Eventf(out, record.Normal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.Name)
	}
	return out, nil
}

// taint makes the node's not-ready and unreachable taints match its Ready
// condition.
func (r *Reconciler) taint(ctx context.Context, node *core.Node, now time.Time) (*core.Node, error) {
	want := ""
	if c := readyCondition(node); c != nil {
		switch c.Status {
		case core.ConditionUnknown:
			want = core.TaintNodeUnreachable
		case core.ConditionFalse:
			want = core.TaintNodeNotReady
		}
	}
	var taints []core.Taint
	have := map[core.TaintEffect]bool{}
	for _, t := range node.Spec.Taints {
		if t.Key != core.TaintNodeUnreachable && t.Key != core.TaintNodeNotReady {
			taints = append(taints, t)
			continue
		}
		if t.Key == want {
			taints = append(taints, t)
			have[t.Effect] = true
		}
	}
	if want != "" {
		ts := meta.NewTime(now.UTC().Truncate(time.Second))
		for _, e := range []core.TaintEffect{core.TaintEffectNoSchedule, core.TaintEffectNoExecute} {
			if !have[e] {
				t := core.Taint{Key: want, Effect: e}
				if e == core.TaintEffectNoExecute {
					t.TimeAdded = &ts
				}
				taints = append(taints, t)
			}
		}
	}
	if slices.EqualFunc(taints, node.Spec.Taints, func(a, b core.Taint) bool {
		return a.Key == b.Key && a.Effect == b.Effect && a.Value == b.Value
	}) {
		return node, nil
	}
	cp := node.DeepCopy()
	cp.Spec.Taints = taints
	out, err := r.nodeAPI.Update(ctx, cp, client.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("taint node %s: %w", node.Name, err)
	}
	r.log.Info("node taints updated", "node", node.Name, "taint", want)
	return out, nil
}

func noExecute(taints []core.Taint) []core.Taint {
	var out []core.Taint
	for _, t := range taints {
		if t.Effect == core.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// Tolerates reports whether tol tolerates taint.
func Tolerates(tol core.Toleration, taint core.Taint) bool {
	if tol.Effect != "" && tol.Effect != taint.Effect {
		return false
	}
	switch tol.Operator {
	case core.TolerationOpExists:
		return tol.Key == "" || tol.Key == taint.Key
	case core.TolerationOpEqual, "":
		return tol.Key == taint.Key && tol.Value == taint.Value
	}
	return false
}

// evictAt returns when pod must leave a node with the NoExecute taints:
// zero time for never, or a time (possibly past) at which to evict.
func evictAt(pod *core.Pod, taints []core.Taint) (at time.Time, never bool) {
	never = true
	for _, t := range taints {
		var limit *int64
		tolerated := false
		for _, tol := range pod.Spec.Tolerations {
			if !Tolerates(tol, t) {
				continue
			}
			tolerated = true
			if tol.TolerationSeconds == nil {
				limit = nil
				break
			}
			if limit == nil || *tol.TolerationSeconds < *limit {
				limit = tol.TolerationSeconds
			}
		}
		if !tolerated {
			return time.Time{}, false
		}
		if limit == nil {
			continue
		}
		added := time.Time{}
		if t.TimeAdded != nil {
			added = t.TimeAdded.Time
		}
		deadline := added.Add(time.Duration(max(*limit, 0)) * time.Second)
		if never || deadline.Before(at) {
			at, never = deadline, false
		}
	}
	return at, never
}

// evict deletes the pods the node's NoExecute taints do not tolerate (or
// no longer tolerate); it returns how long until the next toleration
// expires (0 for none).
func (r *Reconciler) evict(ctx context.Context, node *core.Node, now time.Time) (time.Duration, error) {
	taints := noExecute(node.Spec.Taints)
	if len(taints) == 0 {
		return 0, nil
	}
	var next time.Duration
	var errs []error
	for _, p := range r.pods.ListNamespace("", nil) {
		if p.Spec.NodeName != node.Name || p.DeletionTimestamp != nil || p.Status.Phase == core.PodSucceeded || p.Status.Phase == core.PodFailed {
			continue
		}
		at, never := evictAt(p, taints)
		if never {
			continue
		}
		if wait := at.Sub(now); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		uid := p.UID
		err := r.podAPI.Namespace(p.Namespace).Delete(ctx, p.Name, &meta.DeleteOptions{Preconditions: &meta.Preconditions{UID: &uid}})
		if err != nil && !apierror.IsNotFound(err) && !apierror.IsConflict(err) {
			errs = append(errs, fmt.Errorf("evict pod %s/%s: %w", p.Namespace, p.Name, err))
			continue
		}
		r.log.Info("evicted pod", "node", node.Name, "pod", p.Namespace+"/"+p.Name)
		if r.opts.Recorder != nil {
			r.opts.Recorder.Eventf(p, record.Normal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", p.Namespace, p.Name)
		}
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("evict from node %s: %w", node.Name, errs[0])
	}
	if next > 0 {
		next += 100 * time.Millisecond
	}
	return next, nil
}
