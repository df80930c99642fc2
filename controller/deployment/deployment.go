package deployment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/internal/podutil"
	"github.com/longshore/longshore/controller/record"
)

// Name is the controller's name in logs, metrics and events.
const Name = "deployment-controller"

// Annotations and labels the controller maintains, as in Kubernetes.
const (
	// RevisionAnnotation holds a ReplicaSet's revision (and the
	// Deployment's current one).
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// DesiredReplicasAnnotation holds the Deployment's replicas when the
	// set was last scaled.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation holds replicas+maxSurge when the set was last
	// scaled.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// PodTemplateHashLabel tells the ReplicaSets of a Deployment apart.
	PodTemplateHashLabel = "pod-template-hash"
	// ChangeCauseAnnotation is copied from the Deployment to its new
	// ReplicaSet; kubectl rollout history shows it.
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
)

// Condition reasons of the Progressing and Available conditions.
const (
	ReasonNewRSCreated       = "NewReplicaSetCreated"
	ReasonFoundNewRS         = "FoundNewReplicaSet"
	ReasonRSUpdated          = "ReplicaSetUpdated"
	ReasonNewRSAvailable     = "NewReplicaSetAvailable"
	ReasonTimedOut           = "ProgressDeadlineExceeded"
	ReasonPaused             = "DeploymentPaused"
	ReasonResumed            = "DeploymentResumed"
	ReasonMinimumAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumUnavailable = "MinimumReplicasUnavailable"
	ReasonFailedCreateNewRS  = "ReplicaSetCreateError"
)

const (
	eventScalingReplicaSet = "ScalingReplicaSet"
	eventFailedRSCreate    = "FailedCreate"
	eventSelectingAll      = "SelectingAll"
	defaultWorkers         = 5
	maxStatusRetries       = 1
)

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent syncs (default 5).
	Workers int
	// Recorder, when set, receives ScalingReplicaSet and failure events.
	Recorder *record.Recorder
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Now returns the current time (tests); nil means time.Now.
	Now func() time.Time
}

// Reconciler syncs one Deployment. Build it with New.
type Reconciler struct {
	deps   *controller.Informer[*apps.Deployment]
	rsets  *controller.Informer[*apps.ReplicaSet]
	pods   *controller.Informer[*core.Pod]
	depAPI *client.Resource[*apps.Deployment]
	rsAPI  *client.Resource[*apps.ReplicaSet]
	opts   Options
	log    *slog.Logger

	// created remembers, per Deployment, the UID of a ReplicaSet created
	// but not yet seen in the cache: until it shows up, a sync would act
	// on a view without it (and, say, scale the old set instead).
	mu      sync.Mutex
	created map[string]createdRS
	// written holds, per ReplicaSet UID, the resourceVersion of this
	// controller's last write, until the cache has caught up with it.
	written map[string]uint64
}

// wrote records a write of rs.
func (r *Reconciler) wrote(rs *apps.ReplicaSet) {
	v, err := strconv.ParseUint(rs.ResourceVersion, 10, 64)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written[rs.UID] = v
}

// stale reports whether the cache holds an older version of a set than
// this controller wrote; acting on it would undo the write's intent.
func (r *Reconciler) stale(sets []*apps.ReplicaSet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range sets {
		w, ok := r.written[rs.UID]
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(rs.ResourceVersion, 10, 64)
		if err != nil || v >= w {
			delete(r.written, rs.UID)
			continue
		}
		return true
	}
	return false
}

type createdRS struct {
	uid string
	at  time.Time
}

// createdTTL bounds the wait for a created set to reach the cache.
const createdTTL = time.Minute

// awaitingCreated reports whether d's last created set is still missing
// from the cache.
func (r *Reconciler) awaitingCreated(key string, sets []*apps.ReplicaSet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.created[key]
	if !ok {
		return false
	}
	for _, rs := range sets {
		if rs.UID == c.uid {
			delete(r.created, key)
			return false
		}
	}
	if r.opts.Now().Sub(c.at) > createdTTL {
		delete(r.created, key)
		return false
	}
	return true
}

func (r *Reconciler) expectCreated(key, uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created[key] = createdRS{uid: uid, at: r.opts.Now()}
}

var (
	_ controller.Reconciler = (*Reconciler)(nil)

	deployKind = apps.SchemeGroupVersion.WithKind("Deployment")
)

// New wires the controller on f's Deployment, ReplicaSet and Pod
// informers; add the returned controller to a Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	r := &Reconciler{created: map[string]createdRS{}, written: map[string]uint64{}}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Workers <= 0 {
		r.opts.Workers = defaultWorkers
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.deps, err = controller.InformerFor[*apps.Deployment](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.rsets, err = controller.InformerFor[*apps.ReplicaSet](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.pods, err = controller.InformerFor[*core.Pod](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	r.depAPI = client.MustFor[*apps.Deployment](f.Client())
	r.rsAPI = client.MustFor[*apps.ReplicaSet](f.Client())
	c, err := controller.New(Name, r, &controller.Options{Workers: r.opts.Workers, Metrics: r.opts.Metrics, Logger: r.opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	controller.Watch(c, r.deps, controller.EnqueueObject[*apps.Deployment]())
	controller.Watch(c, r.rsets, r.rsRequests)
	controller.Watch(c, r.pods, r.podRequests)
	return c, r, nil
}

// rsRequests maps a ReplicaSet to its controlling Deployment or, for an
// orphan, to every Deployment whose selector matches it.
func (r *Reconciler) rsRequests(rs *apps.ReplicaSet) []controller.Request {
	if ref := meta.GetControllerOf(&rs.ObjectMeta); ref != nil {
		if ref.Kind == deployKind.Kind {
			return []controller.Request{{Namespace: rs.Namespace, Name: ref.Name}}
		}
		return nil
	}
	var out []controller.Request
	for _, d := range r.deps.ListNamespace(rs.Namespace, nil) {
		if sel, err := labels.FromLabelSelector(d.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			out = append(out, controller.Request{Namespace: d.Namespace, Name: d.Name})
		}
	}
	return out
}

// podRequests maps a pod to the Deployment of its ReplicaSet, for
// Recreate, which waits for old pods to go. Only Recreate Deployments
// care; others are left alone so 10,000 pod updates cost no syncs.
func (r *Reconciler) podRequests(p *core.Pod) []controller.Request {
	ref := meta.GetControllerOf(&p.ObjectMeta)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return nil
	}
	rs, ok := r.rsets.Get(p.Namespace, ref.Name)
	if !ok {
		return nil
	}
	dref := meta.GetControllerOf(&rs.ObjectMeta)
	if dref == nil || dref.Kind != deployKind.Kind {
		return nil
	}
	d, ok := r.deps.Get(p.Namespace, dref.Name)
	if !ok || d.Spec.Strategy.Type != apps.RecreateDeploymentStrategyType {
		return nil
	}
	if p.DeletionTimestamp == nil && !podutil.IsTerminal(p) {
		return nil
	}
	return []controller.Request{{Namespace: d.Namespace, Name: d.Name}}
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	d, ok := r.deps.Get(req.Namespace, req.Name)
	if !ok {
		r.mu.Lock()
		delete(r.created, req.String())
		r.mu.Unlock()
		return controller.Result{}, nil
	}
	d = d.DeepCopy()
	sel, err := labels.FromLabelSelector(d.Spec.Selector)
	if err != nil {
		return controller.Result{}, nil // invalid selector: wait for the user to fix it
	}
	if sel.Empty() {
		r.event(d, record.Warning, eventSelectingAll, "This deployment is selecting all pods. A non-empty selector is required.")
		return controller.Result{}, nil
	}
	rsList, err := r.claim(ctx, d, sel)
	if err != nil {
		return controller.Result{}, err
	}
	if r.awaitingCreated(req.String(), rsList) || r.stale(rsList) {
		// The set's event requeues the Deployment; the timer is a safety net.
		return controller.Result{RequeueAfter: time.Second}, nil
	}
	if d.DeletionTimestamp != nil {
		// Only report status; the garbage collector removes the sets.
		s := &syncer{r: r, d: d, orig: *d.Status.DeepCopy(), all: rsList}
		s.lookup()
		return s.finish(ctx)
	}
	s := &syncer{r: r, d: d, orig: *d.Status.DeepCopy(), all: rsList}
	if d.Spec.Paused || s.scalingEvent() {
		return s.scaleOnly(ctx)
	}
	switch d.Spec.Strategy.Type {
	case apps.RecreateDeploymentStrategyType:
		return s.recreate(ctx)
	default:
		return s.rolling(ctx)
	}
}

// claim returns the ReplicaSets d controls, adopting orphans that match
// its selector and releasing owned sets that no longer match.
func (r *Reconciler) claim(ctx context.Context, d *apps.Deployment, sel labels.Selector) ([]*apps.ReplicaSet, error) {
	var owned []*apps.ReplicaSet
	var errs []error
	for _, rs := range r.rsets.ListNamespace(d.Namespace, nil) {
		ref := meta.GetControllerOf(&rs.ObjectMeta)
		matches := sel.Matches(labels.Set(rs.Labels))
		switch {
		case ref != nil && ref.UID == d.UID:
			if matches || d.DeletionTimestamp != nil {
				owned = append(owned, rs.DeepCopy())
				continue
			}
			if err := r.setOwner(ctx, rs, d, false); err != nil && !apierror.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("release replica set %s: %w", rs.Name, err))
			}
		case ref == nil && matches && d.DeletionTimestamp == nil && rs.DeletionTimestamp == nil:
			fresh, err := r.depAPI.Namespace(d.Namespace).Get(ctx, d.Name)
			if err != nil || fresh.UID != d.UID || fresh.DeletionTimestamp != nil {
				continue // never adopt for a deleted or recreated deployment
			}
			if err := r.setOwner(ctx, rs, d, true); err != nil {
				if !apierror.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("adopt replica set %s: %w", rs.Name, err))
				}
				continue
			}
			cp := rs.DeepCopy()
			cp.OwnerReferences = append(cp.OwnerReferences, *meta.NewControllerRef(&d.ObjectMeta, deployKind))
			owned = append(owned, cp)
		}
	}
	return owned, errors.Join(errs...)
}

// setOwner adds (adopt) or removes (release) d's controller reference on
// rs with a merge patch guarded by uid and resourceVersion.
func (r *Reconciler) setOwner(ctx context.Context, rs *apps.ReplicaSet, d *apps.Deployment, adopt bool) error {
	patch, err := controller.ControllerRefPatch(&rs.ObjectMeta, &d.ObjectMeta, deployKind, adopt)
	if err != nil {
		return err
	}
	_, err = r.rsAPI.Namespace(rs.Namespace).Patch(ctx, rs.Name, client.MergePatch, patch, client.WriteOptions{})
	return err
}

func (r *Reconciler) event(obj meta.Object, typ, reason, format string, args ...any) {
	if r.opts.Recorder != nil {
		r.opts.Recorder.Eventf(obj, typ, reason, format, args...)
	}
}

// findNew returns the set whose template equals d's (ignoring the
// pod-template-hash label), the oldest if several do.
func findNew(d *apps.Deployment, sets []*apps.ReplicaSet) *apps.ReplicaSet {
	sorted := append([]*apps.ReplicaSet(nil), sets...)
	sortByCreation(sorted)
	want := templateKey(&d.Spec.Template)
	for _, rs := range sorted {
		if templateKey(&rs.Spec.Template) == want {
			return rs
		}
	}
	return nil
}

// oldSets returns every set but the new one.
func oldSets(d *apps.Deployment, sets []*apps.ReplicaSet) []*apps.ReplicaSet {
	n := findNew(d, sets)
	var out []*apps.ReplicaSet
	for _, rs := range sets {
		if n == nil || rs.UID != n.UID {
			out = append(out, rs)
		}
	}
	return out
}

func sortByCreation(sets []*apps.ReplicaSet) {
	sort.SliceStable(sets, func(i, j int) bool {
		a, b := sets[i], sets[j]
		if !a.CreationTimestamp.Equal(b.CreationTimestamp.Time) {
			return a.CreationTimestamp.Before(b.CreationTimestamp.Time)
		}
		return a.Name < b.Name
	})
}

// replicas returns *p or def.
func replicas(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

func specReplicas(rs *apps.ReplicaSet) int32 { return replicas(rs.Spec.Replicas, 1) }

func deploymentReplicas(d *apps.Deployment) int32 { return replicas(d.Spec.Replicas, 1) }

// revision returns a set's revision annotation, 0 if missing or invalid.
func revision(obj *meta.ObjectMeta) int64 {
	v, err := strconv.ParseInt(obj.Annotations[RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// updateStatusRetry writes d's status, retrying once on a conflict with a
// fresh copy.
func (r *Reconciler) updateStatus(ctx context.Context, d *apps.Deployment, st apps.DeploymentStatus) error {
	if reflect.DeepEqual(d.Status, st) {
		return nil
	}
	api := r.depAPI.Namespace(d.Namespace)
	cur := d.DeepCopy()
	for attempt := 0; ; attempt++ {
		cur.Status = st
		_, err := api.UpdateStatus(ctx, cur, client.WriteOptions{})
		if err == nil || apierror.IsNotFound(err) {
			return nil
		}
		if !apierror.IsConflict(err) || attempt == maxStatusRetries {
			return fmt.Errorf("update status of deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
		if cur, err = api.Get(ctx, d.Name); err != nil {
			return err
		}
		if cur.Generation != d.Generation {
			return fmt.Errorf("deployment %s/%s changed during sync; will sync again", d.Namespace, d.Name)
		}
	}
}
