package coordination

import (
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

var metadataPath = field.NewPath("metadata")

// Validate checks a new object of this package's kinds and reports whether
// it knew the kind.
func Validate(obj meta.Object) (field.ErrorList, bool) {
	if l, ok := obj.(*Lease); ok {
		return ValidateLease(l), true
	}
	return nil, false
}

// ValidateUpdate checks an update from old to obj and reports whether it
// knew the kind; an old object of another kind is an error.
func ValidateUpdate(obj, old meta.Object) (field.ErrorList, bool) {
	if l, ok := obj.(*Lease); ok {
		return validation.ValidateUpdateAs(l, old, ValidateLeaseUpdate), true
	}
	return nil, false
}

// ValidateLease checks a Lease: metadata, a positive leaseDurationSeconds,
// a non-negative leaseTransitions, and a known strategy, which a
// preferredHolder needs.
func ValidateLease(l *Lease) field.ErrorList {
	errs := validation.ValidateObjectMeta(&l.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	sp := field.NewPath("spec")
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(sp.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := l.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, field.Invalid(sp.Child("leaseTransitions"), *t, validation.IsNegativeErrorMsg))
	}
	if s := l.Spec.Strategy; s != nil && *s != OldestEmulationVersion {
		errs = append(errs, field.NotSupported(sp.Child("strategy"), *s, []CoordinatedLeaseStrategy{OldestEmulationVersion}))
	}
	if l.Spec.PreferredHolder != nil && *l.Spec.PreferredHolder != "" && l.Spec.Strategy == nil {
		errs = append(errs, field.Forbidden(sp.Child("preferredHolder"), "may only be specified if `strategy` is defined"))
	}
	return errs
}

// ValidateLeaseUpdate checks an update: metadata rules and a valid new
// Lease (holders change freely; that is what a lease is for).
func ValidateLeaseUpdate(n, old *Lease) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(errs, ValidateLease(n)...)
}
