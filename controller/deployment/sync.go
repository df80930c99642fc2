package deployment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/internal/podutil"
	"github.com/longshore/longshore/controller/record"
)

// syncer holds one sync's view of a Deployment and its sets. d is a
// private copy whose status conditions collect this sync's changes.
type syncer struct {
	r     *Reconciler
	d     *apps.Deployment
	orig  apps.DeploymentStatus // d's status before this sync
	all   []*apps.ReplicaSet
	newRS *apps.ReplicaSet
	old   []*apps.ReplicaSet
}

// fenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against d's replicas; Recreate has neither.
func fenceposts(d *apps.Deployment) (surge, unavailable int32) {
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type == apps.RecreateDeploymentStrategyType || ru == nil {
		return 0, 0
	}
	n := int(deploymentReplicas(d))
	def := intstr.FromString("25%")
	ms, mu := ru.MaxSurge, ru.MaxUnavailable
	if ms == nil {
		ms = &def
	}
	if mu == nil {
		mu = &def
	}
	s, err := intstr.ScaledValue(ms, n, true)
	if err != nil {
		s = 0
	}
	u, err := intstr.ScaledValue(mu, n, false)
	if err != nil {
		u = 0
	}
	if s == 0 && u == 0 {
		// Nothing could ever move: allow one unavailable, as Kubernetes does.
		u = 1
	}
	return int32(s), int32(min(u, n))
}

// maxUnavailable is fenceposts' second value, 0 for Recreate.
func maxUnavailable(d *apps.Deployment) int32 {
	_, u := fenceposts(d)
	if d.Spec.Strategy.Type == apps.RecreateDeploymentStrategyType || deploymentReplicas(d) == 0 {
		return 0
	}
	return u
}

func sumSpec(sets []*apps.ReplicaSet) int32 {
	var n int32
	for _, rs := range sets {
		n += specReplicas(rs)
	}
	return n
}

func (s *syncer) sets() []*apps.ReplicaSet {
	out := append([]*apps.ReplicaSet(nil), s.old...)
	if s.newRS != nil {
		out = append(out, s.newRS)
	}
	return out
}

// ensureNew finds the new set (and brings its revision and annotations up
// to date) or, when create is true, creates it.
func (s *syncer) ensureNew(ctx context.Context, create bool) error {
	d := s.d
	s.old = oldSets(d, s.all)
	var maxOld int64
	for _, rs := range s.old {
		maxOld = max(maxOld, revision(&rs.ObjectMeta))
	}
	newRev := maxOld + 1
	if existing := findNew(d, s.all); existing != nil {
		cp := existing.DeepCopy()
		changed := false
		if revision(&cp.ObjectMeta) < newRev {
			// A rollback made an old set current again: it gets the next revision.
			setAnnotation(&cp.ObjectMeta, RevisionAnnotation, strconv.FormatInt(newRev, 10))
			changed = true
		}
		if cc, ok := d.Annotations[ChangeCauseAnnotation]; ok && cp.Annotations[ChangeCauseAnnotation] != cc {
			setAnnotation(&cp.ObjectMeta, ChangeCauseAnnotation, cc)
			changed = true
		}
		if cp.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			cp.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			changed = true
		}
		if changed {
			out, err := s.r.rsAPI.Namespace(cp.Namespace).Update(ctx, cp, client.WriteOptions{})
			if err != nil {
				return fmt.Errorf("update new replica set %s: %w", cp.Name, err)
			}
			s.r.wrote(out)
			cp = out
		}
		s.newRS = cp
		if d.Spec.ProgressDeadlineSeconds != nil && condition(d.Status.Conditions, apps.DeploymentProgressing) == nil {
			s.setCondition(apps.DeploymentProgressing, core.ConditionTrue, ReasonFoundNewRS, fmt.Sprintf("Found new replica set %q", cp.Name))
		}
		return s.syncDeploymentRevision(ctx)
	}
	if !create {
		return nil
	}
	hash := ComputeHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels = withLabel(tmpl.Labels, PodTemplateHashLabel, hash)
	sel := d.Spec.Selector.DeepCopy()
	sel.MatchLabels = withLabel(sel.MatchLabels, PodTemplateHashLabel, hash)
	size := s.newSetSize()
	surge, _ := fenceposts(d)
	rs := &apps.ReplicaSet{
		ObjectMeta: meta.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			Labels:          withLabel(maps.Clone(d.Spec.Template.Labels), PodTemplateHashLabel, hash),
			Annotations:     rsAnnotations(d, newRev, surge),
			OwnerReferences: []meta.OwnerReference{*meta.NewControllerRef(&d.ObjectMeta, deployKind)},
		},
		Spec: apps.ReplicaSetSpec{Replicas: &size, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: *tmpl},
	}
	created, err := s.r.rsAPI.Namespace(d.Namespace).Create(ctx, rs, client.WriteOptions{})
	switch {
	case apierror.IsAlreadyExists(err):
		cur, gerr := s.r.rsAPI.Namespace(d.Namespace).Get(ctx, rs.Name)
		if gerr != nil {
			return gerr
		}
		if meta.IsControlledBy(&cur.ObjectMeta, &d.ObjectMeta) && templateKey(&cur.Spec.Template) == templateKey(&d.Spec.Template) {
			return fmt.Errorf("new replica set %s exists but is not in the cache yet", rs.Name)
		}
		// A hash collision: the next sync derives another name.
		st := d.Status.DeepCopy()
		n := replicas(st.CollisionCount, 0) + 1
		st.CollisionCount = &n
		if err := s.r.updateStatus(ctx, d, *st); err != nil {
			return err
		}
		return fmt.Errorf("replica set %s collides with another template; collisionCount is now %d", rs.Name, n)
	case err != nil:
		s.r.event(d, record.Warning, eventFailedRSCreate, "Failed to create new replica set %q: %v", rs.Name, err)
		if d.Spec.ProgressDeadlineSeconds != nil {
			s.setCondition(apps.DeploymentProgressing, core.ConditionFalse, ReasonFailedCreateNewRS, fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err))
			_ = s.r.updateStatus(ctx, d, s.d.Status)
		}
		return fmt.Errorf("create replica set %s: %w", rs.Name, err)
	}
	s.r.expectCreated(controller.ObjectKey(d), created.UID)
	s.r.event(d, record.Normal, eventScalingReplicaSet, "Scaled up replica set %s to %d", created.Name, size)
	s.newRS = created
	s.all = append(s.all, created)
	if d.Spec.ProgressDeadlineSeconds != nil {
		s.setCondition(apps.DeploymentProgressing, core.ConditionTrue, ReasonNewRSCreated, fmt.Sprintf("Created new replica set %q", created.Name))
	}
	return s.syncDeploymentRevision(ctx)
}

// syncDeploymentRevision copies the new set's revision onto the
// Deployment, where kubectl reads it.
func (s *syncer) syncDeploymentRevision(ctx context.Context) error {
	want := s.newRS.Annotations[RevisionAnnotation]
	if want == "" || s.d.Annotations[RevisionAnnotation] == want {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{RevisionAnnotation: want}}})
	if err != nil {
		return err
	}
	out, err := s.r.depAPI.Namespace(s.d.Namespace).Patch(ctx, s.d.Name, client.MergePatch, patch, client.WriteOptions{})
	if err != nil {
		return fmt.Errorf("set deployment revision: %w", err)
	}
	s.d.Annotations = out.Annotations
	s.d.ResourceVersion = out.ResourceVersion
	return nil
}

// newSetSize is the size of a new set at creation.
func (s *syncer) newSetSize() int32 {
	dr := deploymentReplicas(s.d)
	if s.d.Spec.Strategy.Type == apps.RecreateDeploymentStrategyType {
		return dr
	}
	surge, _ := fenceposts(s.d)
	cur := sumSpec(s.all)
	if cur >= dr+surge {
		return 0
	}
	return min(dr+surge-cur, dr)
}

func withLabel(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

func setAnnotation(m *meta.ObjectMeta, k, v string) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[k] = v
}

// rsAnnotations are a new set's annotations: the Deployment's (minus
// kubectl's last-applied configuration and the controller's own) plus the
// revision and sizes.
func rsAnnotations(d *apps.Deployment, rev int64, surge int32) map[string]string {
	out := map[string]string{}
	for k, v := range d.Annotations {
		switch k {
		case "kubectl.kubernetes.io/last-applied-configuration", RevisionAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation:
			continue
		}
		out[k] = v
	}
	out[RevisionAnnotation] = strconv.FormatInt(rev, 10)
	out[DesiredReplicasAnnotation] = strconv.Itoa(int(deploymentReplicas(d)))
	out[MaxReplicasAnnotation] = strconv.Itoa(int(deploymentReplicas(d) + surge))
	return out
}

// scale sets rs's replicas to n (and its size annotations) and updates
// the local copy. It reports whether anything changed.
func (s *syncer) scale(ctx context.Context, rs *apps.ReplicaSet, n int32) (bool, error) {
	surge, _ := fenceposts(s.d)
	desired := strconv.Itoa(int(deploymentReplicas(s.d)))
	maxR := strconv.Itoa(int(deploymentReplicas(s.d) + surge))
	cur := specReplicas(rs)
	if cur == n && rs.Annotations[DesiredReplicasAnnotation] == desired && rs.Annotations[MaxReplicasAnnotation] == maxR {
		return false, nil
	}
	cp := rs.DeepCopy()
	cp.Spec.Replicas = &n
	setAnnotation(&cp.ObjectMeta, DesiredReplicasAnnotation, desired)
	setAnnotation(&cp.ObjectMeta, MaxReplicasAnnotation, maxR)
	out, err := s.r.rsAPI.Namespace(cp.Namespace).Update(ctx, cp, client.WriteOptions{})
	if err != nil {
		return false, fmt.Errorf("scale replica set %s to %d: %w", rs.Name, n, err)
	}
	s.r.wrote(out)
	*rs = *out
	switch {
	case n > cur:
		s.r.event(s.d, record.Normal, eventScalingReplicaSet, "Scaled up replica set %s from %d to %d", rs.Name, cur, n)
	case n < cur:
		s.r.event(s.d, record.Normal, eventScalingReplicaSet, "Scaled down replica set %s from %d to %d", rs.Name, cur, n)
	}
	return cur != n, nil
}

// rolling runs one step of a RollingUpdate.
func (s *syncer) rolling(ctx context.Context) (controller.Result, error) {
	if err := s.ensureNew(ctx, true); err != nil {
		return controller.Result{}, err
	}
	scaled, err := s.scaleUpNew(ctx)
	if err != nil {
		return controller.Result{}, err
	}
	if !scaled {
		if scaled, err = s.scaleDownOld(ctx); err != nil {
			return controller.Result{}, err
		}
	}
	if !scaled && s.complete() {
		if err := s.cleanup(ctx); err != nil {
			return controller.Result{}, err
		}
	}
	return s.finish(ctx)
}

// scaleUpNew grows (or shrinks) the new set within replicas+maxSurge.
func (s *syncer) scaleUpNew(ctx context.Context) (bool, error) {
	dr := deploymentReplicas(s.d)
	n := specReplicas(s.newRS)
	switch {
	case n == dr:
		return false, nil
	case n > dr:
		return s.scale(ctx, s.newRS, dr)
	}
	surge, _ := fenceposts(s.d)
	cur := sumSpec(s.sets())
	if cur >= dr+surge {
		return false, nil
	}
	return s.scale(ctx, s.newRS, n+min(dr+surge-cur, dr-n))
}

// scaleDownOld shrinks old sets while availability stays at or above
// replicas-maxUnavailable: unhealthy replicas first, then the oldest sets.
func (s *syncer) scaleDownOld(ctx context.Context) (bool, error) {
	if sumSpec(s.old) == 0 {
		return false, nil
	}
	dr := deploymentReplicas(s.d)
	_, unavail := fenceposts(s.d)
	minAvail := dr - unavail
	newUnavail := specReplicas(s.newRS) - s.newRS.Status.AvailableReplicas
	budget := sumSpec(s.sets()) - minAvail - newUnavail
	if budget <= 0 {
		return false, nil
	}
	old := append([]*apps.ReplicaSet(nil), s.old...)
	sortByCreation(old)
	scaled := false
	// Unhealthy replicas of old sets cost no availability.
	for _, rs := range old {
		if budget <= 0 {
			break
		}
		n := specReplicas(rs)
		unhealthy := n - rs.Status.AvailableReplicas
		if n == 0 || unhealthy <= 0 {
			continue
		}
		down := min(budget, unhealthy)
		ok, err := s.scale(ctx, rs, n-down)
		if err != nil {
			return scaled, err
		}
		scaled = scaled || ok
		budget -= down
	}
	var available int32
	for _, rs := range s.sets() {
		available += rs.Status.AvailableReplicas
	}
	// Count only what this pass has not already removed.
	toRemove := available - minAvail
	for _, rs := range old {
		if toRemove <= 0 {
			break
		}
		n := specReplicas(rs)
		if n == 0 {
			continue
		}
		down := min(n, toRemove)
		ok, err := s.scale(ctx, rs, n-down)
		if err != nil {
			return scaled, err
		}
		scaled = scaled || ok
		toRemove -= down
	}
	return scaled, nil
}

// recreate runs one step of a Recreate rollout.
func (s *syncer) recreate(ctx context.Context) (controller.Result, error) {
	if err := s.ensureNew(ctx, false); err != nil {
		return controller.Result{}, err
	}
	scaled := false
	for _, rs := range s.old {
		ok, err := s.scale(ctx, rs, 0)
		if err != nil {
			return controller.Result{}, err
		}
		scaled = scaled || ok
	}
	if scaled || s.oldPodsRunning() {
		return s.finish(ctx)
	}
	if s.newRS == nil {
		if err := s.ensureNew(ctx, true); err != nil {
			return controller.Result{}, err
		}
	}
	if _, err := s.scale(ctx, s.newRS, deploymentReplicas(s.d)); err != nil {
		return controller.Result{}, err
	}
	if s.complete() {
		if err := s.cleanup(ctx); err != nil {
			return controller.Result{}, err
		}
	}
	return s.finish(ctx)
}

// oldPodsRunning reports whether any old set still has pods that are not
// finished.
func (s *syncer) oldPodsRunning() bool {
	uids := map[string]bool{}
	for _, rs := range s.old {
		if rs.Status.Replicas > 0 {
			return true
		}
		uids[rs.UID] = true
	}
	for _, p := range s.r.pods.ListNamespace(s.d.Namespace, nil) {
		if ref := meta.GetControllerOf(&p.ObjectMeta); ref != nil && uids[ref.UID] && !podutil.IsTerminal(p) {
			return true
		}
	}
	return false
}

// scalingEvent reports whether spec.replicas changed since the active
// sets were last sized.
func (s *syncer) scalingEvent() bool {
	s.lookup()
	want := strconv.Itoa(int(deploymentReplicas(s.d)))
	for _, rs := range s.sets() {
		if specReplicas(rs) == 0 {
			continue
		}
		if v, ok := rs.Annotations[DesiredReplicasAnnotation]; ok && v != want {
			return true
		}
	}
	return false
}

// lookup splits the sets into new and old without writing anything.
func (s *syncer) lookup() {
	s.newRS = findNew(s.d, s.all)
	s.old = oldSets(s.d, s.all)
}

// scaleOnly resizes the active sets to a new spec.replicas, spreading the
// difference in proportion to their sizes; it is the whole sync of a
// paused Deployment.
func (s *syncer) scaleOnly(ctx context.Context) (controller.Result, error) {
	if err := s.ensureNew(ctx, false); err != nil {
		return controller.Result{}, err
	}
	if err := s.spread(ctx); err != nil {
		return controller.Result{}, err
	}
	if s.d.Spec.Paused && s.complete() {
		if err := s.cleanup(ctx); err != nil {
			return controller.Result{}, err
		}
	}
	return s.finish(ctx)
}

func (s *syncer) spread(ctx context.Context) error {
	dr := deploymentReplicas(s.d)
	var active []*apps.ReplicaSet
	for _, rs := range s.sets() {
		if specReplicas(rs) > 0 {
			active = append(active, rs)
		}
	}
	switch {
	case len(active) == 0 && s.newRS != nil:
		_, err := s.scale(ctx, s.newRS, dr)
		return err
	case len(active) == 0:
		if len(s.old) == 0 {
			return nil
		}
		latest := append([]*apps.ReplicaSet(nil), s.old...)
		sortByCreation(latest)
		_, err := s.scale(ctx, latest[len(latest)-1], dr)
		return err
	case len(active) == 1:
		_, err := s.scale(ctx, active[0], dr)
		return err
	}
	if s.newRS != nil && specReplicas(s.newRS) == dr && s.newRS.Status.AvailableReplicas == dr {
		// The new set is saturated: the old ones go.
		for _, rs := range s.old {
			if _, err := s.scale(ctx, rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	surge, _ := fenceposts(s.d)
	total := sumSpec(active)
	delta := dr + surge - total
	if delta == 0 {
		// Only the annotations are stale.
		for _, rs := range active {
			if _, err := s.scale(ctx, rs, specReplicas(rs)); err != nil {
				return err
			}
		}
		return nil
	}
	// Sets already sized for this replica count keep their size, so that a
	// spread interrupted by a conflict resumes instead of counting twice;
	// the difference goes to the others in proportion to their sizes.
	want := strconv.Itoa(int(dr))
	var todo []*apps.ReplicaSet
	var base int32
	for _, rs := range active {
		if rs.Annotations[DesiredReplicasAnnotation] != want {
			todo = append(todo, rs)
			base += specReplicas(rs)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	// Largest first when growing, smallest first when shrinking, so the
	// rounding leftover lands on the set that can best take it.
	sort.SliceStable(todo, func(i, j int) bool {
		if delta > 0 {
			return specReplicas(todo[i]) > specReplicas(todo[j])
		}
		return specReplicas(todo[i]) < specReplicas(todo[j])
	})
	sizes := make([]int32, len(todo))
	var given int32
	for i, rs := range todo {
		var share int32
		if base > 0 {
			share = int32(int64(specReplicas(rs)) * int64(delta) / int64(base))
		}
		sizes[i] = specReplicas(rs) + share
		given += share
	}
	sizes[0] += delta - given
	var errs []error
	for i, rs := range todo {
		if _, err := s.scale(ctx, rs, max(sizes[i], 0)); err != nil {
			errs = append(errs, err)
			break // the rest waits for a fresh view
		}
	}
	return errors.Join(errs...)
}

// complete reports whether every replica runs the new template and is
// available, and no old replica is left.
func (s *syncer) complete() bool {
	if s.newRS == nil {
		return false
	}
	dr := deploymentReplicas(s.d)
	st := s.status()
	return st.UpdatedReplicas == dr && st.Replicas == dr && st.AvailableReplicas == dr && sumSpec(s.old) == 0
}

// cleanup deletes old sets scaled to zero beyond revisionHistoryLimit,
// lowest revision first.
func (s *syncer) cleanup(ctx context.Context) error {
	if s.d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	limit := int(*s.d.Spec.RevisionHistoryLimit)
	var dead []*apps.ReplicaSet
	for _, rs := range s.old {
		if specReplicas(rs) == 0 && rs.Status.Replicas == 0 && rs.DeletionTimestamp == nil {
			dead = append(dead, rs)
		}
	}
	if len(dead) <= limit {
		return nil
	}
	sort.SliceStable(dead, func(i, j int) bool { return revision(&dead[i].ObjectMeta) < revision(&dead[j].ObjectMeta) })
	var errs []error
	for _, rs := range dead[:len(dead)-limit] {
		err := s.r.rsAPI.Namespace(rs.Namespace).Delete(ctx, rs.Name, &meta.DeleteOptions{Preconditions: &meta.Preconditions{UID: &rs.UID, ResourceVersion: &rs.ResourceVersion}})
		if err != nil && !apierror.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete old replica set %s: %w", rs.Name, err))
		}
	}
	return errors.Join(errs...)
}

// status computes the Deployment's status from its sets; the conditions
// are this sync's working copy.
func (s *syncer) status() apps.DeploymentStatus {
	d := s.d
	st := apps.DeploymentStatus{ObservedGeneration: d.Generation, CollisionCount: d.Status.CollisionCount,
		Conditions: append([]apps.DeploymentCondition(nil), d.Status.Conditions...)}
	sets := s.sets()
	for _, rs := range sets {
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
	}
	if s.newRS != nil {
		st.UpdatedReplicas = s.newRS.Status.Replicas
	}
	st.UnavailableReplicas = max(sumSpec(sets)-st.AvailableReplicas, 0)
	return st
}

// finish computes status and conditions, writes them, and asks for a
// requeue when the progress deadline must be checked later.
func (s *syncer) finish(ctx context.Context) (controller.Result, error) {
	d := s.d
	orig := *s.orig.DeepCopy()
	now := s.r.opts.Now()
	dr := deploymentReplicas(d)
	st := s.status()
	s.d.Status.Conditions = st.Conditions

	if st.AvailableReplicas >= dr-maxUnavailable(d) {
		s.setCondition(apps.DeploymentAvailable, core.ConditionTrue, ReasonMinimumAvailable, "Deployment has minimum availability.")
	} else {
		s.setCondition(apps.DeploymentAvailable, core.ConditionFalse, ReasonMinimumUnavailable, "Deployment does not have minimum availability.")
	}

	// A set that cannot create or delete pods makes the Deployment fail too.
	var failure *apps.ReplicaSetCondition
	for _, rs := range s.sets() {
		for i, c := range rs.Status.Conditions {
			if c.Type == apps.ReplicaSetReplicaFailure && c.Status == core.ConditionTrue {
				failure = &rs.Status.Conditions[i]
			}
		}
	}
	if failure != nil {
		s.setCondition(apps.DeploymentReplicaFailure, core.ConditionTrue, failure.Reason, failure.Message)
	} else {
		s.removeCondition(apps.DeploymentReplicaFailure)
	}

	var requeue time.Duration
	cur := condition(s.d.Status.Conditions, apps.DeploymentProgressing)
	switch {
	case d.Spec.ProgressDeadlineSeconds == nil:
		s.removeCondition(apps.DeploymentProgressing)
	case d.Spec.Paused:
		if cur == nil || cur.Reason != ReasonPaused {
			s.setCondition(apps.DeploymentProgressing, core.ConditionUnknown, ReasonPaused, "Deployment is paused")
		}
	case cur != nil && cur.Reason == ReasonPaused:
		s.setCondition(apps.DeploymentProgressing, core.ConditionUnknown, ReasonResumed, "Deployment is resumed")
	case s.newRS == nil:
	case s.complete():
		s.setCondition(apps.DeploymentProgressing, core.ConditionTrue, ReasonNewRSAvailable, fmt.Sprintf("ReplicaSet %q has successfully progressed.", s.newRS.Name))
	case progressed(orig, st):
		msg := fmt.Sprintf("ReplicaSet %q is progressing.", s.newRS.Name)
		c := apps.DeploymentCondition{Type: apps.DeploymentProgressing, Status: core.ConditionTrue, Reason: ReasonRSUpdated,
			Message: msg, LastUpdateTime: meta.NewTime(now.UTC().Truncate(time.Second)), LastTransitionTime: meta.NewTime(now.UTC().Truncate(time.Second))}
		if cur != nil && cur.Status == core.ConditionTrue {
			c.LastTransitionTime = cur.LastTransitionTime
		}
		s.removeCondition(apps.DeploymentProgressing)
		s.d.Status.Conditions = append(s.d.Status.Conditions, c)
	case cur != nil && cur.Reason != ReasonTimedOut && cur.Reason != ReasonNewRSAvailable && cur.Status != core.ConditionFalse:
		deadline := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
		if !now.Before(deadline) {
			s.setCondition(apps.DeploymentProgressing, core.ConditionFalse, ReasonTimedOut, fmt.Sprintf("ReplicaSet %q has timed out progressing.", s.newRS.Name))
		} else {
			requeue = deadline.Sub(now) + time.Second
		}
	}
	if c := condition(s.d.Status.Conditions, apps.DeploymentProgressing); c != nil && c.Status == core.ConditionTrue && c.Reason != ReasonNewRSAvailable && requeue == 0 && d.Spec.ProgressDeadlineSeconds != nil {
		requeue = time.Duration(*d.Spec.ProgressDeadlineSeconds)*time.Second + time.Second
	}
	st.Conditions = s.d.Status.Conditions
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	orig.Conditions = nilIfEmpty(orig.Conditions)
	d.Status = orig
	if err := s.r.updateStatus(ctx, d, st); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: requeue}, nil
}

func nilIfEmpty(c []apps.DeploymentCondition) []apps.DeploymentCondition {
	if len(c) == 0 {
		return nil
	}
	return c
}

// progressed reports whether the rollout moved since the last status.
func progressed(old, cur apps.DeploymentStatus) bool {
	return cur.UpdatedReplicas > old.UpdatedReplicas || cur.Replicas < old.Replicas ||
		cur.ReadyReplicas > old.ReadyReplicas || cur.AvailableReplicas > old.AvailableReplicas
}

func condition(conds []apps.DeploymentCondition, t apps.DeploymentConditionType) *apps.DeploymentCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// setCondition sets a condition on the working status. An unchanged
// status and reason leave it alone; an unchanged status keeps its
// lastTransitionTime.
func (s *syncer) setCondition(t apps.DeploymentConditionType, status core.ConditionStatus, reason, msg string) {
	now := meta.NewTime(s.r.opts.Now().UTC().Truncate(time.Second))
	c := apps.DeploymentCondition{Type: t, Status: status, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now}
	if cur := condition(s.d.Status.Conditions, t); cur != nil {
		if cur.Status == status && cur.Reason == reason {
			return
		}
		if cur.Status == status {
			c.LastTransitionTime = cur.LastTransitionTime
		}
	}
	s.removeCondition(t)
	s.d.Status.Conditions = append(s.d.Status.Conditions, c)
}

func (s *syncer) removeCondition(t apps.DeploymentConditionType) {
	var out []apps.DeploymentCondition
	for _, c := range s.d.Status.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	s.d.Status.Conditions = out
}
