// Package replicaset is the ReplicaSet controller: it keeps
// spec.replicas pods matching a ReplicaSet's selector, as Kubernetes'
// replicaset controller does.
//
// # Behaviour
//
// Pods are created from spec.template with a controller ownerReference
// (controller=true, blockOwnerDeletion=true), in slow-start batches of 1,
// 2, 4, ... so a failing template costs one request, not hundreds. Orphan
// pods whose labels match are adopted (the ownerReference is added);
// owned pods whose labels no longer match are released (it is removed).
// Scaling down deletes pods in Kubernetes' order (see podsToDelete).
//
// Expectations remember the creates and deletes issued but not yet seen
// in the pod cache; until they are observed (or expire after five
// minutes) the set is not resized again, so a slow cache never creates or
// deletes twice.
//
// Status (replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas honouring minReadySeconds, observedGeneration and the
// ReplicaFailure condition) is written through the status subresource.
package replicaset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
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
const Name = "replicaset-controller"

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent syncs (default 5).
	Workers int
	// BurstReplicas caps creates or deletes per sync (default 500).
	BurstReplicas int
	// Recorder, when set, receives SuccessfulCreate, FailedCreate,
	// SuccessfulDelete and FailedDelete events.
	Recorder *record.Recorder
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Reconciler syncs one ReplicaSet. Build it with New.
type Reconciler struct {
	rsets  *controller.Informer[*apps.ReplicaSet]
	pods   *controller.Informer[*core.Pod]
	rsAPI  *client.Resource[*apps.ReplicaSet]
	podAPI *client.Resource[*core.Pod]
	exp    *expectations
	opts   Options
	log    *slog.Logger
}

var rsKind = apps.SchemeGroupVersion.WithKind("ReplicaSet")

// New wires the controller on f's ReplicaSet and Pod informers; add the
// returned controller to a Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	r := &Reconciler{exp: newExpectations()}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Workers <= 0 {
		r.opts.Workers = 5
	}
	if r.opts.BurstReplicas <= 0 {
		r.opts.BurstReplicas = 500
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.rsets, err = controller.InformerFor[*apps.ReplicaSet](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.pods, err = controller.InformerFor[*core.Pod](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	r.rsAPI = client.MustFor[*apps.ReplicaSet](f.Client())
	r.podAPI = client.MustFor[*core.Pod](f.Client())
	c, err := controller.New(Name, r, &controller.Options{Workers: r.opts.Workers, Metrics: r.opts.Metrics, Logger: r.opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	// Expectations are lowered before the request is queued, so the sync
	// that follows sees them met.
	r.pods.AddEventHandler(controller.HandlerFuncs[*core.Pod]{
		AddFunc: func(p *core.Pod) {
			if ref := r.ownerRef(p); ref != nil {
				if p.DeletionTimestamp != nil {
					r.exp.deletionObserved(controller.Key(p.Namespace, ref.Name), controller.ObjectKey(p))
				} else {
					r.exp.creationObserved(controller.Key(p.Namespace, ref.Name))
				}
			}
		},
		UpdateFunc: func(old, p *core.Pod) {
			if ref := r.ownerRef(p); ref != nil && p.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
				r.exp.deletionObserved(controller.Key(p.Namespace, ref.Name), controller.ObjectKey(p))
			}
		},
		DeleteFunc: func(p *core.Pod, _ bool) {
			if ref := r.ownerRef(p); ref != nil {
				r.exp.deletionObserved(controller.Key(p.Namespace, ref.Name), controller.ObjectKey(p))
			}
		},
	})
	controller.Watch(c, r.rsets, controller.EnqueueObject[*apps.ReplicaSet]())
	controller.Watch(c, r.pods, r.podRequests)
	return c, r, nil
}

func (r *Reconciler) ownerRef(p *core.Pod) *meta.OwnerReference {
	if ref := meta.GetControllerOf(&p.ObjectMeta); ref != nil && ref.Kind == rsKind.Kind {
		return ref
	}
	return nil
}

// podRequests maps a pod to its controlling replica set or, for an
// orphan, to every set whose selector matches it (a candidate adopter).
func (r *Reconciler) podRequests(p *core.Pod) []controller.Request {
	if ref := r.ownerRef(p); ref != nil {
		return []controller.Request{{Namespace: p.Namespace, Name: ref.Name}}
	}
	if meta.GetControllerOf(&p.ObjectMeta) != nil || p.DeletionTimestamp != nil {
		return nil
	}
	var out []controller.Request
	for _, rs := range r.rsets.ListNamespace(p.Namespace, nil) {
		if sel, err := labels.FromLabelSelector(rs.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, controller.Request{Namespace: rs.Namespace, Name: rs.Name})
		}
	}
	return out
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	key := req.String()
	rs, ok := r.rsets.Get(req.Namespace, req.Name)
	if !ok {
		r.exp.forget(key)
		return controller.Result{}, nil
	}
	sel, err := labels.FromLabelSelector(rs.Spec.Selector)
	if err != nil {
		return controller.Result{}, nil // invalid selector: nothing can be done until the user fixes it
	}
	needsSync := r.exp.satisfied(key) && rs.DeletionTimestamp == nil
	var active []*core.Pod
	for _, p := range r.pods.ListNamespace(rs.Namespace, nil) {
		if podutil.IsActive(p) {
			active = append(active, p)
		}
	}
	pods, err := r.claim(ctx, rs, sel, active)
	if err != nil {
		return controller.Result{}, err
	}
	var manageErr error
	if needsSync {
		manageErr = r.manage(ctx, rs, pods)
	}
	now := time.Now()
	st := status(rs, pods, manageErr, now)
	if err := r.updateStatus(ctx, rs, st); err != nil {
		return controller.Result{}, err
	}
	if manageErr != nil {
		return controller.Result{}, manageErr
	}
	if rs.Spec.MinReadySeconds > 0 && st.ReadyReplicas != st.AvailableReplicas {
		return controller.Result{RequeueAfter: time.Duration(rs.Spec.MinReadySeconds) * time.Second}, nil
	}
	return controller.Result{}, nil
}

// claim adopts matching orphans and releases owned pods that no longer
// match; it returns the pods the set owns afterwards.
func (r *Reconciler) claim(ctx context.Context, rs *apps.ReplicaSet, sel labels.Selector, pods []*core.Pod) ([]*core.Pod, error) {
	var owned []*core.Pod
	var errs []error
	checked := false
	canAdopt := func() error {
		if checked {
			return nil
		}
		// A fresh read: never adopt for a set that was deleted or recreated.
		fresh, err := r.rsAPI.Namespace(rs.Namespace).Get(ctx, rs.Name)
		if err != nil {
			return err
		}
		if fresh.UID != rs.UID || fresh.DeletionTimestamp != nil {
			return fmt.Errorf("replicaset %s/%s changed (uid or deletion); not adopting", rs.Namespace, rs.Name)
		}
		checked = true
		return nil
	}
	for _, p := range pods {
		ref := meta.GetControllerOf(&p.ObjectMeta)
		matches := sel.Matches(labels.Set(p.Labels))
		switch {
		case ref != nil && ref.UID == rs.UID:
			if matches || rs.DeletionTimestamp != nil {
				owned = append(owned, p)
				continue
			}
			if err := r.setOwner(ctx, p, rs, false); err != nil && !apierror.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("release pod %s: %w", p.Name, err))
			}
		case ref == nil && matches && rs.DeletionTimestamp == nil && p.DeletionTimestamp == nil:
			if err := canAdopt(); err != nil {
				errs = append(errs, err)
				return owned, errors.Join(errs...)
			}
			if err := r.setOwner(ctx, p, rs, true); err != nil {
				if !apierror.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("adopt pod %s: %w", p.Name, err))
				}
				continue
			}
			owned = append(owned, p)
		}
	}
	return owned, errors.Join(errs...)
}

// setOwner adds (adopt) or removes (release) rs's controller reference on
// p with a merge patch guarded by the pod's uid and resourceVersion.
func (r *Reconciler) setOwner(ctx context.Context, p *core.Pod, rs *apps.ReplicaSet, adopt bool) error {
	patch, err := controller.ControllerRefPatch(&p.ObjectMeta, &rs.ObjectMeta, rsKind, adopt)
	if err != nil {
		return err
	}
	_, err = r.podAPI.Namespace(p.Namespace).Patch(ctx, p.Name, client.MergePatch, patch, client.WriteOptions{})
	return err
}

// manage creates or deletes pods to reach spec.replicas.
func (r *Reconciler) manage(ctx context.Context, rs *apps.ReplicaSet, pods []*core.Pod) error {
	key := controller.ObjectKey(rs)
	want := 1
	if rs.Spec.Replicas != nil {
		want = int(*rs.Spec.Replicas)
	}
	diff := len(pods) - want
	switch {
	case diff < 0:
		n := min(-diff, r.opts.BurstReplicas)
		r.exp.expectCreations(key, n)
		created, err := slowStart(ctx, n, 1, func(ctx context.Context) error { return r.createPod(ctx, rs) })
		// Creates that were never attempted or failed will not be observed.
		for range n - created {
			r.exp.creationObserved(key)
		}
		return err
	case diff > 0:
		n := min(diff, r.opts.BurstReplicas)
		victims := podsToDelete(pods, n)
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = controller.ObjectKey(p)
		}
		r.exp.expectDeletions(key, keys)
		var wg sync.WaitGroup
		errc := make(chan error, len(victims))
		for _, p := range victims {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.podAPI.Namespace(p.Namespace).Delete(ctx, p.Name, &meta.DeleteOptions{Preconditions: &meta.Preconditions{UID: &p.UID}})
				if err != nil && !apierror.IsNotFound(err) {
					r.exp.deletionObserved(key, controller.ObjectKey(p))
					r.event(rs, record.Warning, "FailedDelete", "Error deleting pod %s: %v", p.Name, err)
					errc <- fmt.Errorf("delete pod %s: %w", p.Name, err)
					return
				}
				r.event(rs, record.Normal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
			}()
		}
		wg.Wait()
		close(errc)
		var errs []error
		for err := range errc {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	return nil
}

// slowStart calls fn count times in batches of initial, 2*initial, ...
// each batch in parallel, stopping after a batch with a failure. It
// returns how many calls succeeded and the first error.
func slowStart(ctx context.Context, count, initial int, fn func(context.Context) error) (int, error) {
	done := 0
	for batch := min(initial, count); batch > 0; batch = min(2*batch, count-done) {
		var wg sync.WaitGroup
		errc := make(chan error, batch)
		for range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(ctx); err != nil {
					errc <- err
				}
			}()
		}
		wg.Wait()
		close(errc)
		failed := len(errc)
		done += batch - failed
		if failed > 0 {
			return done, <-errc
		}
	}
	return done, nil
}

func (r *Reconciler) createPod(ctx context.Context, rs *apps.ReplicaSet) error {
	t := rs.Spec.Template.DeepCopy()
	pod := &core.Pod{
		ObjectMeta: meta.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []meta.OwnerReference{*meta.NewControllerRef(&rs.ObjectMeta, rsKind)},
		},
		Spec: t.Spec,
	}
	created, err := r.podAPI.Namespace(rs.Namespace).Create(ctx, pod, client.WriteOptions{})
	if err != nil {
		r.event(rs, record.Warning, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod for %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	r.event(rs, record.Normal, "SuccessfulCreate", "Created pod: %s", created.Name)
	return nil
}

func (r *Reconciler) event(rs *apps.ReplicaSet, typ, reason, format string, args ...any) {
	if r.opts.Recorder != nil {
		r.opts.Recorder.Eventf(rs, typ, reason, format, args...)
	}
}

// status computes the set's status from the pods it owns.
func status(rs *apps.ReplicaSet, pods []*core.Pod, manageErr error, now time.Time) apps.ReplicaSetStatus {
	st := apps.ReplicaSetStatus{Replicas: int32(len(pods)), ObservedGeneration: rs.Generation,
		Conditions: append([]apps.ReplicaSetCondition(nil), rs.Status.Conditions...)}
	tmpl := labels.SelectorFromSet(labels.Set(rs.Spec.Template.Labels))
	for _, p := range pods {
		if tmpl.Matches(labels.Set(p.Labels)) {
			st.FullyLabeledReplicas++
		}
		if podutil.IsReady(p) {
			st.ReadyReplicas++
			if podutil.IsAvailable(p, rs.Spec.MinReadySeconds, now) {
				st.AvailableReplicas++
			}
		}
	}
	i := -1
	for j, c := range st.Conditions {
		if c.Type == apps.ReplicaSetReplicaFailure {
			i = j
		}
	}
	switch {
	case manageErr != nil && i < 0:
		reason := "FailedCreate"
		if rs.Spec.Replicas != nil && int(*rs.Spec.Replicas) < len(pods) {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, apps.ReplicaSetCondition{Type: apps.ReplicaSetReplicaFailure,
			Status: core.ConditionTrue, LastTransitionTime: meta.NewTime(now.UTC().Truncate(time.Second)), Reason: reason, Message: manageErr.Error()})
	case manageErr == nil && i >= 0:
		st.Conditions = append(st.Conditions[:i], st.Conditions[i+1:]...)
	}
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	return st
}

func (r *Reconciler) updateStatus(ctx context.Context, rs *apps.ReplicaSet, st apps.ReplicaSetStatus) error {
	if reflect.DeepEqual(rs.Status, st) {
		return nil
	}
	api := r.rsAPI.Namespace(rs.Namespace)
	cur := rs.DeepCopyObject().(*apps.ReplicaSet)
	for attempt := 0; ; attempt++ {
		cur.Status = st
		_, err := api.UpdateStatus(ctx, cur, client.WriteOptions{})
		if err == nil || apierror.IsNotFound(err) {
			return nil
		}
		if !apierror.IsConflict(err) || attempt == 1 {
			return fmt.Errorf("update status of %s/%s: %w", rs.Namespace, rs.Name, err)
		}
		// The cache is behind: retry once on a fresh copy (status only
		// depends on the pods and the generation we observed).
		if cur, err = api.Get(ctx, rs.Name); err != nil {
			return err
		}
	}
}

var _ controller.Reconciler = (*Reconciler)(nil)
