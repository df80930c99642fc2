package validation

import (
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
)

// ValidateLabelSelector checks an object's label selector: matchLabels
// are valid labels; each expression has a qualified-name key and an
// operator In or NotIn with values, or Exists or DoesNotExist without.
// A nil selector is valid (callers that need one check for nil).
func ValidateLabelSelector(sel *meta.LabelSelector, path *field.Path) field.ErrorList {
	if sel == nil {
		return nil
	}
	errs := ValidateLabels(sel.MatchLabels, path.Child("matchLabels"))
	for i, r := range sel.MatchExpressions {
		p := path.Child("matchExpressions").Index(i)
		switch r.Operator {
		case meta.LabelSelectorOpIn, meta.LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				errs = append(errs, field.Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case meta.LabelSelectorOpExists, meta.LabelSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				errs = append(errs, field.Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("operator"), r.Operator, []meta.LabelSelectorOperator{
				meta.LabelSelectorOpIn, meta.LabelSelectorOpNotIn, meta.LabelSelectorOpExists, meta.LabelSelectorOpDoesNotExist}))
		}
		for _, msg := range IsQualifiedName(r.Key) {
			errs = append(errs, field.Invalid(p.Child("key"), r.Key, msg))
		}
		for j, v := range r.Values {
			for _, msg := range IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(p.Child("values").Index(j), v, msg))
			}
		}
	}
	return errs
}

// IsEmptySelector reports whether sel selects everything (no labels and
// no expressions); workload controllers refuse such selectors.
func IsEmptySelector(sel *meta.LabelSelector) bool {
	return sel != nil && len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0
}
