package apps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

var (
	metadataPath = field.NewPath("metadata")
	specPath     = field.NewPath("spec")
)

// Validate checks a new object of one of this package's kinds and reports
// whether it knew the kind.
func Validate(obj meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Deployment:
		return ValidateDeployment(o), true
	case *ReplicaSet:
		return ValidateReplicaSet(o), true
	case *StatefulSet:
		return ValidateStatefulSet(o), true
	case *DaemonSet:
		return ValidateDaemonSet(o), true
	case *ControllerRevision:
		return ValidateControllerRevision(o), true
	}
	return nil, false
}

// ValidateUpdate checks an update from old to obj and reports whether it
// knew the kind; an old object of another kind is an error.
func ValidateUpdate(obj, old meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Deployment:
		return validation.ValidateUpdateAs(o, old, ValidateDeploymentUpdate), true
	case *ReplicaSet:
		return validation.ValidateUpdateAs(o, old, ValidateReplicaSetUpdate), true
	case *StatefulSet:
		return validation.ValidateUpdateAs(o, old, ValidateStatefulSetUpdate), true
	case *DaemonSet:
		return validation.ValidateUpdateAs(o, old, ValidateDaemonSetUpdate), true
	case *ControllerRevision:
		return validation.ValidateUpdateAs(o, old, ValidateControllerRevisionUpdate), true
	}
	return nil, false
}

func nonNegative(v int32, p *field.Path) field.ErrorList {
	return validation.ValidateNonnegativeField(int64(v), p)
}

// validateSelectorAndTemplate checks what every workload shares: a
// non-empty valid selector that matches the template's labels, and a valid
// template whose restartPolicy is Always. kind names the workload in
// messages.
func validateSelectorAndTemplate(sel *meta.LabelSelector, tpl *core.PodTemplateSpec, kind string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	selPath := p.Child("selector")
	switch {
	case sel == nil:
		errs = append(errs, field.Required(selPath, ""))
	case validation.IsEmptySelector(sel):
		errs = append(errs, field.Invalid(selPath, sel, "empty selector is invalid for "+kind))
	default:
		selErrs := validation.ValidateLabelSelector(sel, selPath)
		errs = append(errs, selErrs...)
		if len(selErrs) == 0 {
			if s, err := labels.FromLabelSelector(sel); err == nil && !s.Matches(labels.Set(tpl.Labels)) {
				errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), labels.Set(tpl.Labels).String(),
					"`selector` does not match template `labels`"))
			}
		}
	}
	tp := p.Child("template")
	for _, e := range core.ValidatePodTemplateSpec(tpl, tp) {
		if e.Field == tp.Child("spec", "activeDeadlineSeconds").String() {
			e.Detail = "activeDeadlineSeconds in " + kind + " is not Supported"
		}
		errs = append(errs, e)
	}
	if tpl.Spec.RestartPolicy != "" && tpl.Spec.RestartPolicy != core.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), tpl.Spec.RestartPolicy, []core.RestartPolicy{core.RestartPolicyAlways}))
	}
	return errs
}

// intOrPercentValue returns the number of an int, or of a percentage.
func intOrPercentValue(v *intstr.IntOrString) (int, bool) {
	if v == nil {
		return 0, true
	}
	if v.Type == intstr.Int {
		return int(v.IntVal), true
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	return n, err == nil
}

// validatePositiveIntOrPercent checks a non-negative int or a percentage,
// at most 100% when capped.
func validatePositiveIntOrPercent(v *intstr.IntOrString, capped bool, p *field.Path) field.ErrorList {
	if v == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	var errs field.ErrorList
	if v.Type == intstr.String {
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(p, v.StrVal, msg))
		}
		if n, ok := intOrPercentValue(v); ok && capped && n > 100 {
			errs = append(errs, field.Invalid(p, v.StrVal, "must not be greater than 100%"))
		}
		return errs
	}
	return nonNegative(v.IntVal, p)
}

// ---- Deployment ----

// ValidateDeployment checks a Deployment: metadata; replicas,
// minReadySeconds and revisionHistoryLimit not negative; a non-empty
// selector matching the template labels; a valid template with
// restartPolicy Always; a Recreate or RollingUpdate strategy (maxSurge and
// maxUnavailable ints or percentages, not both zero, maxUnavailable at
// most 100%); and progressDeadlineSeconds above minReadySeconds.
func ValidateDeployment(d *Deployment) field.ErrorList {
	errs := validation.ValidateObjectMeta(&d.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	s := &d.Spec
	if s.Replicas != nil {
		errs = append(errs, nonNegative(*s.Replicas, specPath.Child("replicas"))...)
	}
	errs = append(errs, validateSelectorAndTemplate(s.Selector, &s.Template, "deployment", specPath)...)
	sp := specPath.Child("strategy")
	switch s.Strategy.Type {
	case RecreateDeploymentStrategyType:
		if s.Strategy.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case RollingUpdateDeploymentStrategyType:
		ru := s.Strategy.RollingUpdate
		if ru == nil {
			errs = append(errs, field.Required(sp.Child("rollingUpdate"), "this should be defaulted and never be nil"))
			break
		}
		rp := sp.Child("rollingUpdate")
		errs = append(errs, validatePositiveIntOrPercent(ru.MaxUnavailable, true, rp.Child("maxUnavailable"))...)
		errs = append(errs, validatePositiveIntOrPercent(ru.MaxSurge, false, rp.Child("maxSurge"))...)
		u, _ := intOrPercentValue(ru.MaxUnavailable)
		sg, _ := intOrPercentValue(ru.MaxSurge)
		if u == 0 && sg == 0 {
			errs = append(errs, field.Invalid(rp.Child("maxUnavailable"), ru.MaxUnavailable, "may not be 0 when `maxSurge` is 0"))
		}
	default:
		errs = append(errs, field.NotSupported(sp.Child("type"), s.Strategy.Type,
			[]DeploymentStrategyType{RecreateDeploymentStrategyType, RollingUpdateDeploymentStrategyType}))
	}
	errs = append(errs, nonNegative(s.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, nonNegative(*s.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	}
	if p := s.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, nonNegative(*p, specPath.Child("progressDeadlineSeconds"))...)
		if *p <= s.MinReadySeconds {
			errs = append(errs, field.Invalid(specPath.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

// selectorUpdate adds the update rules workloads share to errs: the
// metadata rules and an unchanged selector (immutable in apps/v1).
func selectorUpdate(errs field.ErrorList, n, old *meta.ObjectMeta, sel, oldSel *meta.LabelSelector) field.ErrorList {
	errs = append(errs, validation.ValidateObjectMetaUpdate(n, old, metadataPath)...)
	return append(errs, validation.ValidateImmutableField(sel, oldSel, specPath.Child("selector"))...)
}

// ValidateDeploymentUpdate checks an update: metadata rules, a valid new
// Deployment, and an unchanged selector (immutable in apps/v1).
func ValidateDeploymentUpdate(n, old *Deployment) field.ErrorList {
	return selectorUpdate(ValidateDeployment(n), &n.ObjectMeta, &old.ObjectMeta, n.Spec.Selector, old.Spec.Selector)
}

// ---- ReplicaSet ----

// ValidateReplicaSet checks a ReplicaSet: metadata, replicas and
// minReadySeconds not negative, and the selector and template rules.
func ValidateReplicaSet(rs *ReplicaSet) field.ErrorList {
	errs := validation.ValidateObjectMeta(&rs.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	if rs.Spec.Replicas != nil {
		errs = append(errs, nonNegative(*rs.Spec.Replicas, specPath.Child("replicas"))...)
	}
	errs = append(errs, nonNegative(rs.Spec.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	return append(errs, validateSelectorAndTemplate(rs.Spec.Selector, &rs.Spec.Template, "deployment", specPath)...)
}

// ValidateReplicaSetUpdate checks an update: metadata rules, a valid new
// ReplicaSet and an unchanged selector.
func ValidateReplicaSetUpdate(n, old *ReplicaSet) field.ErrorList {
	return selectorUpdate(ValidateReplicaSet(n), &n.ObjectMeta, &old.ObjectMeta, n.Spec.Selector, old.Spec.Selector)
}

// ---- StatefulSet ----

// ValidateStatefulSet checks a StatefulSet: metadata; podManagementPolicy
// OrderedReady or Parallel; updateStrategy RollingUpdate (partition not
// negative) or OnDelete (without rollingUpdate); replicas,
// minReadySeconds, revisionHistoryLimit and ordinals.start not negative;
// the selector and template rules; valid volume claim templates.
func ValidateStatefulSet(ss *StatefulSet) field.ErrorList {
	errs := validation.ValidateObjectMeta(&ss.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	s := &ss.Spec
	switch s.PodManagementPolicy {
	case "":
		errs = append(errs, field.Required(specPath.Child("podManagementPolicy"), ""))
	case OrderedReadyPodManagement, ParallelPodManagement:
	default:
		errs = append(errs, field.Invalid(specPath.Child("podManagementPolicy"), s.PodManagementPolicy,
			fmt.Sprintf("must be '%s' or '%s'", OrderedReadyPodManagement, ParallelPodManagement)))
	}
	up := specPath.Child("updateStrategy")
	switch s.UpdateStrategy.Type {
	case "":
		errs = append(errs, field.Required(up, ""))
	case OnDeleteStatefulSetStrategyType:
		if s.UpdateStrategy.RollingUpdate != nil {
			errs = append(errs, field.Invalid(up.Child("rollingUpdate"), s.UpdateStrategy.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", RollingUpdateStatefulSetStrategyType)))
		}
	case RollingUpdateStatefulSetStrategyType:
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil {
			if ru.Partition != nil {
				errs = append(errs, nonNegative(*ru.Partition, up.Child("rollingUpdate", "partition"))...)
			}
			if ru.MaxUnavailable != nil {
				mp := up.Child("rollingUpdate", "maxUnavailable")
				errs = append(errs, validatePositiveIntOrPercent(ru.MaxUnavailable, true, mp)...)
				if n, ok := intOrPercentValue(ru.MaxUnavailable); ok && n < 1 {
					errs = append(errs, field.Invalid(mp, ru.MaxUnavailable.String(), "must be greater than 0"))
				}
			}
		}
	default:
		errs = append(errs, field.Invalid(up, s.UpdateStrategy.Type,
			fmt.Sprintf("must be '%s' or '%s'", RollingUpdateStatefulSetStrategyType, OnDeleteStatefulSetStrategyType)))
	}
	if s.Replicas != nil {
		errs = append(errs, nonNegative(*s.Replicas, specPath.Child("replicas"))...)
	}
	errs = append(errs, nonNegative(s.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, nonNegative(*s.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	}
	if s.Ordinals != nil {
		errs = append(errs, nonNegative(s.Ordinals.Start, specPath.Child("ordinals", "start"))...)
	}
	if s.ServiceName != "" {
		for _, msg := range validation.IsDNS1123Label(s.ServiceName) {
			errs = append(errs, field.Invalid(specPath.Child("serviceName"), s.ServiceName, msg))
		}
	}
	if rp := s.PersistentVolumeClaimRetentionPolicy; rp != nil {
		valid := []PersistentVolumeClaimRetentionPolicyType{RetainPersistentVolumeClaimRetentionPolicyType, DeletePersistentVolumeClaimRetentionPolicyType}
		for _, f := range []struct {
			name string
			v    PersistentVolumeClaimRetentionPolicyType
		}{{"whenDeleted", rp.WhenDeleted}, {"whenScaled", rp.WhenScaled}} {
			if f.v != valid[0] && f.v != valid[1] {
				errs = append(errs, field.NotSupported(specPath.Child("persistentVolumeClaimRetentionPolicy", f.name), f.v, valid))
			}
		}
	}
	errs = append(errs, validateSelectorAndTemplate(s.Selector, withClaimVolumes(s), "statefulset", specPath)...)
	for i := range s.VolumeClaimTemplates {
		errs = append(errs, validateClaimTemplate(&s.VolumeClaimTemplates[i], specPath.Child("volumeClaimTemplates").Index(i))...)
	}
	return errs
}

// withClaimVolumes returns the set's template with a volume for each
// volume claim template it lacks, so that container mounts of claims
// (the point of a StatefulSet) validate; Kubernetes skips validating the
// template's PodSpec altogether for this reason.
func withClaimVolumes(s *StatefulSetSpec) *core.PodTemplateSpec {
	if len(s.VolumeClaimTemplates) == 0 {
		return &s.Template
	}
	t := s.Template.DeepCopy()
	for _, c := range s.VolumeClaimTemplates {
		if !slices.ContainsFunc(t.Spec.Volumes, func(v core.Volume) bool { return v.Name == c.Name }) {
			t.Spec.Volumes = append(t.Spec.Volumes, core.Volume{Name: c.Name, VolumeSource: core.VolumeSource{
				PersistentVolumeClaim: &core.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
		}
	}
	return t
}

// validateClaimTemplate checks a volume claim template: a name and a valid
// claim spec, its errors placed under p.
func validateClaimTemplate(pvc *core.PersistentVolumeClaim, p *field.Path) field.ErrorList {
	c := pvc.DeepCopy()
	if c.Namespace == "" {
		c.Namespace = "default" // a template lives in the set's namespace
	}
	var errs field.ErrorList
	for _, e := range core.ValidatePersistentVolumeClaim(c) {
		e.Field = p.String() + "." + e.Field
		errs = append(errs, e)
	}
	return errs
}

// statefulSetUpdateForbidden is Kubernetes' detail for a forbidden change.
const statefulSetUpdateForbidden = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
	"'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// ValidateStatefulSetUpdate checks an update: metadata rules, a valid new
// StatefulSet, and a spec that changes only in replicas, ordinals,
// template, updateStrategy, revisionHistoryLimit,
// persistentVolumeClaimRetentionPolicy and minReadySeconds.
func ValidateStatefulSetUpdate(n, old *StatefulSet) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)
	errs = append(errs, ValidateStatefulSet(n)...)
	mutable := old.Spec.DeepCopy()
	mutable.Replicas = n.Spec.Replicas
	mutable.Ordinals = n.Spec.Ordinals
	mutable.Template = n.Spec.Template
	mutable.UpdateStrategy = n.Spec.UpdateStrategy
	mutable.RevisionHistoryLimit = n.Spec.RevisionHistoryLimit
	mutable.PersistentVolumeClaimRetentionPolicy = n.Spec.PersistentVolumeClaimRetentionPolicy
	mutable.MinReadySeconds = n.Spec.MinReadySeconds
	if !validation.SemanticEqual(*mutable, n.Spec) {
		errs = append(errs, field.Forbidden(specPath, statefulSetUpdateForbidden))
	}
	return errs
}

// ---- DaemonSet ----

// ValidateDaemonSet checks a DaemonSet: metadata, the selector and
// template rules, minReadySeconds and revisionHistoryLimit not negative,
// and an OnDelete or RollingUpdate strategy whose maxUnavailable and
// maxSurge are ints or percentages at most 100%, exactly one of them
// non-zero.
func ValidateDaemonSet(ds *DaemonSet) field.ErrorList {
	errs := validation.ValidateObjectMeta(&ds.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	s := &ds.Spec
	errs = append(errs, validateSelectorAndTemplate(s.Selector, &s.Template, "daemonset", specPath)...)
	errs = append(errs, nonNegative(s.MinReadySeconds, specPath.Child("minReadySeconds"))...)
	if s.RevisionHistoryLimit != nil {
		errs = append(errs, nonNegative(*s.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	}
	up := specPath.Child("updateStrategy")
	switch s.UpdateStrategy.Type {
	case OnDeleteDaemonSetStrategyType:
	case RollingUpdateDaemonSetStrategyType:
		ru := s.UpdateStrategy.RollingUpdate
		if ru == nil {
			errs = append(errs, field.Required(up.Child("rollingUpdate"), ""))
			break
		}
		rp := up.Child("rollingUpdate")
		errs = append(errs, validatePositiveIntOrPercent(ru.MaxUnavailable, true, rp.Child("maxUnavailable"))...)
		errs = append(errs, validatePositiveIntOrPercent(ru.MaxSurge, true, rp.Child("maxSurge"))...)
		u, _ := intOrPercentValue(ru.MaxUnavailable)
		sg, _ := intOrPercentValue(ru.MaxSurge)
		switch {
		case u != 0 && sg != 0:
			errs = append(errs, field.Invalid(rp.Child("maxSurge"), ru.MaxSurge, "may not be set when maxUnavailable is non-zero"))
		case u == 0 && sg == 0:
			errs = append(errs, field.Required(rp.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
		}
	default:
		errs = append(errs, field.NotSupported(up.Child("type"), s.UpdateStrategy.Type,
			[]DaemonSetUpdateStrategyType{RollingUpdateDaemonSetStrategyType, OnDeleteDaemonSetStrategyType}))
	}
	return errs
}

// ValidateDaemonSetUpdate checks an update: metadata rules, a valid new
// DaemonSet and an unchanged selector.
func ValidateDaemonSetUpdate(n, old *DaemonSet) field.ErrorList {
	return selectorUpdate(ValidateDaemonSet(n), &n.ObjectMeta, &old.ObjectMeta, n.Spec.Selector, old.Spec.Selector)
}

// ---- ControllerRevision ----

// ValidateControllerRevision checks a ControllerRevision: metadata, data
// present and a non-negative revision.
func ValidateControllerRevision(cr *ControllerRevision) field.ErrorList {
	errs := validation.ValidateObjectMeta(&cr.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	if cr.Data == nil {
		errs = append(errs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	return append(errs, validation.ValidateNonnegativeField(cr.Revision, field.NewPath("revision"))...)
}

// ValidateControllerRevisionUpdate checks an update: metadata rules, a
// valid new revision and unchanged data.
func ValidateControllerRevisionUpdate(n, old *ControllerRevision) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)
	errs = append(errs, ValidateControllerRevision(n)...)
	if string(n.Data) != string(old.Data) {
		errs = append(errs, field.Invalid(field.NewPath("data"), "<data>", validation.FieldImmutableErrorMsg))
	}
	return errs
}
