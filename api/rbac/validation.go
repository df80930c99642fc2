package rbac

import (
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

var metadataPath = field.NewPath("metadata")

// Validate checks a new object of this package's kinds and reports whether
// it knew the kind.
func Validate(obj meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Role:
		return ValidateRole(o), true
	case *ClusterRole:
		return ValidateClusterRole(o), true
	case *RoleBinding:
		return ValidateRoleBinding(o), true
	case *ClusterRoleBinding:
		return ValidateClusterRoleBinding(o), true
	}
	return nil, false
}

// ValidateUpdate checks an update from old to obj and reports whether it
// knew the kind; an old object of another kind is an error.
func ValidateUpdate(obj, old meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Role:
		return validation.ValidateUpdateAs(o, old, ValidateRoleUpdate), true
	case *ClusterRole:
		return validation.ValidateUpdateAs(o, old, ValidateClusterRoleUpdate), true
	case *RoleBinding:
		return validation.ValidateUpdateAs(o, old, ValidateRoleBindingUpdate), true
	case *ClusterRoleBinding:
		return validation.ValidateUpdateAs(o, old, ValidateClusterRoleBindingUpdate), true
	}
	return nil, false
}

// ValidatePolicyRule checks one rule: it has verbs; non-resource URLs
// only in cluster roles and never mixed with resources; otherwise at least
// one API group and one resource.
func ValidatePolicyRule(r PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(r.Verbs) == 0 {
		errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
	}
	if len(r.NonResourceURLs) > 0 {
		if namespaced {
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return errs
	}
	if len(r.APIGroups) == 0 {
		errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(r.Resources) == 0 {
		errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
	}
	return errs
}

// ValidateRole checks a Role: metadata (a path-segment name) and its rules.
func ValidateRole(r *Role) field.ErrorList {
	errs := validation.ValidateObjectMeta(&r.ObjectMeta, true, validation.NameIsPathSegment, metadataPath)
	for i, rule := range r.Rules {
		errs = append(errs, ValidatePolicyRule(rule, true, field.NewPath("rules").Index(i))...)
	}
	return errs
}

// ValidateClusterRole checks a ClusterRole: metadata, its rules, and an
// aggregationRule with at least one valid selector.
func ValidateClusterRole(r *ClusterRole) field.ErrorList {
	errs := validation.ValidateObjectMeta(&r.ObjectMeta, false, validation.NameIsPathSegment, metadataPath)
	for i, rule := range r.Rules {
		errs = append(errs, ValidatePolicyRule(rule, false, field.NewPath("rules").Index(i))...)
	}
	if ag := r.AggregationRule; ag != nil {
		sp := field.NewPath("aggregationRule", "clusterRoleSelectors")
		if len(ag.ClusterRoleSelectors) == 0 {
			errs = append(errs, field.Required(sp, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		for i := range ag.ClusterRoleSelectors {
			errs = append(errs, validation.ValidateLabelSelector(&ag.ClusterRoleSelectors[i], sp.Index(i))...)
		}
	}
	return errs
}

// validateRoleRef checks a binding's roleRef: this API group, a kind
// among kinds, and a valid name.
func validateRoleRef(ref RoleRef, kinds []string) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{GroupName}))
	}
	known := false
	for _, k := range kinds {
		known = known || ref.Kind == k
	}
	if !known {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range validation.NameIsPathSegment(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return errs
}

// ValidateSubject checks a binding subject: a name; a ServiceAccount in
// the core group (with a namespace in cluster bindings) and a valid name;
// a User or Group in this API group; no other kind.
func ValidateSubject(s Subject, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case ServiceAccountKind:
		if s.Name != "" {
			for _, msg := range validation.NameIsDNSSubdomain(s.Name, false) {
				errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
			}
		}
		if s.APIGroup != "" {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			errs = append(errs, field.Required(p.Child("namespace"), ""))
		}
	case UserKind, GroupKind:
		if s.APIGroup != GroupName {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{GroupName}))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{ServiceAccountKind, UserKind, GroupKind}))
	}
	return errs
}

// ValidateRoleBinding checks a RoleBinding: metadata, a roleRef to a Role
// or ClusterRole of this group, and valid subjects.
func ValidateRoleBinding(rb *RoleBinding) field.ErrorList {
	errs := validation.ValidateObjectMeta(&rb.ObjectMeta, true, validation.NameIsPathSegment, metadataPath)
	errs = append(errs, validateRoleRef(rb.RoleRef, []string{"Role", "ClusterRole"})...)
	for i, s := range rb.Subjects {
		errs = append(errs, ValidateSubject(s, true, field.NewPath("subjects").Index(i))...)
	}
	return errs
}

// ValidateRoleBindingUpdate checks an update: a valid new binding,
// metadata rules, and an unchanged roleRef.
func ValidateRoleBindingUpdate(n, old *RoleBinding) field.ErrorList {
	return bindingUpdate(ValidateRoleBinding(n), &n.ObjectMeta, &old.ObjectMeta, n.RoleRef, old.RoleRef)
}

// bindingUpdate adds the update rules of both binding kinds to errs.
func bindingUpdate(errs field.ErrorList, n, old *meta.ObjectMeta, ref, oldRef RoleRef) field.ErrorList {
	errs = append(errs, validation.ValidateObjectMetaUpdate(n, old, metadataPath)...)
	if ref != oldRef {
		errs = append(errs, field.Invalid(field.NewPath("roleRef"), ref, "cannot change roleRef"))
	}
	return errs
}

// ValidateClusterRoleBinding checks a ClusterRoleBinding: metadata, a
// roleRef to a ClusterRole of this group, and valid subjects (service
// accounts with a namespace).
func ValidateClusterRoleBinding(crb *ClusterRoleBinding) field.ErrorList {
	errs := validation.ValidateObjectMeta(&crb.ObjectMeta, false, validation.NameIsPathSegment, metadataPath)
	errs = append(errs, validateRoleRef(crb.RoleRef, []string{"ClusterRole"})...)
	for i, s := range crb.Subjects {
		errs = append(errs, ValidateSubject(s, false, field.NewPath("subjects").Index(i))...)
	}
	return errs
}

// ValidateClusterRoleBindingUpdate checks an update: a valid new binding,
// metadata rules, and an unchanged roleRef.
func ValidateClusterRoleBindingUpdate(n, old *ClusterRoleBinding) field.ErrorList {
	return bindingUpdate(ValidateClusterRoleBinding(n), &n.ObjectMeta, &old.ObjectMeta, n.RoleRef, old.RoleRef)
}

// ValidateRoleUpdate checks an update: metadata rules and a valid new Role.
func ValidateRoleUpdate(n, old *Role) field.ErrorList {
	return append(ValidateRole(n), validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)...)
}

// ValidateClusterRoleUpdate checks an update: metadata rules and a valid
// new ClusterRole.
func ValidateClusterRoleUpdate(n, old *ClusterRole) field.ErrorList {
	return append(ValidateClusterRole(n), validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)...)
}
