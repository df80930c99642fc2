package validation

import (
	"fmt"
	"slices"
	"sort"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
)

// FieldImmutableErrorMsg is the detail of an error on a changed immutable
// field.
const FieldImmutableErrorMsg = "field is immutable"

// TotalAnnotationSizeLimit is the most bytes the keys and values of an
// object's annotations may add up to (256 KiB).
const TotalAnnotationSizeLimit = 256 * (1 << 10)

// The finalizers the garbage collector understands; they exclude each other.
const (
	FinalizerOrphanDependents = "orphan"
	FinalizerDeleteDependents = "foregroundDeletion"
)

// ValidateObjectMeta checks the metadata of an object being created.
// namespaced says whether the kind lives in a namespace; nameFn checks the
// name (and generateName, as a prefix). It checks that a name or
// generateName is set, the namespace rules, a non-negative generation, the
// labels, the annotations (keys and total size), the owner references (at
// most one controller) and the finalizers (qualified names).
func ValidateObjectMeta(m *meta.ObjectMeta, namespaced bool, nameFn NameFunc, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.GenerateName != "" {
		for _, msg := range nameFn(m.GenerateName, true) {
			errs = append(errs, field.Invalid(path.Child("generateName"), m.GenerateName, msg))
		}
	}
	if m.Name == "" {
		if m.GenerateName == "" {
			errs = append(errs, field.Required(path.Child("name"), "name or generateName is required"))
		}
	} else {
		for _, msg := range nameFn(m.Name, false) {
			errs = append(errs, field.Invalid(path.Child("name"), m.Name, msg))
		}
	}
	if namespaced {
		if m.Namespace == "" {
			errs = append(errs, field.Required(path.Child("namespace"), ""))
		} else {
			for _, msg := range ValidateNamespaceName(m.Namespace, false) {
				errs = append(errs, field.Invalid(path.Child("namespace"), m.Namespace, msg))
			}
		}
	} else if m.Namespace != "" {
		errs = append(errs, field.Forbidden(path.Child("namespace"), "not allowed on this type"))
	}
	errs = append(errs, ValidateNonnegativeField(m.Generation, path.Child("generation"))...)
	errs = append(errs, ValidateLabels(m.Labels, path.Child("labels"))...)
	errs = append(errs, ValidateAnnotations(m.Annotations, path.Child("annotations"))...)
	errs = append(errs, ValidateOwnerReferences(m.OwnerReferences, path.Child("ownerReferences"))...)
	errs = append(errs, ValidateFinalizers(m.Finalizers, path.Child("finalizers"))...)
	return errs
}

// ValidateObjectMetaUpdate checks the metadata of an update from old to
// new: a resourceVersion is given, generation does not go down, name,
// namespace, uid, creationTimestamp, deletionTimestamp and
// deletionGracePeriodSeconds do not change, an object being deleted gets
// no new finalizers, and labels, annotations and owner references are
// valid.
func ValidateObjectMetaUpdate(newMeta, oldMeta *meta.ObjectMeta, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if oldMeta.DeletionTimestamp != nil {
		errs = append(errs, ValidateNoNewFinalizers(newMeta.Finalizers, oldMeta.Finalizers, path.Child("finalizers"))...)
	}
	if newMeta.ResourceVersion == "" {
		errs = append(errs, field.Invalid(path.Child("resourceVersion"), newMeta.ResourceVersion, "must be specified for an update"))
	}
	if newMeta.Generation < oldMeta.Generation {
		errs = append(errs, field.Invalid(path.Child("generation"), newMeta.Generation, "must not be decremented"))
	}
	errs = append(errs, ValidateImmutableField(newMeta.Name, oldMeta.Name, path.Child("name"))...)
	errs = append(errs, ValidateImmutableField(newMeta.Namespace, oldMeta.Namespace, path.Child("namespace"))...)
	errs = append(errs, ValidateImmutableField(newMeta.UID, oldMeta.UID, path.Child("uid"))...)
	errs = append(errs, ValidateImmutableField(newMeta.CreationTimestamp, oldMeta.CreationTimestamp, path.Child("creationTimestamp"))...)
	errs = append(errs, ValidateImmutableField(newMeta.DeletionTimestamp, oldMeta.DeletionTimestamp, path.Child("deletionTimestamp"))...)
	errs = append(errs, ValidateImmutableField(newMeta.DeletionGracePeriodSeconds, oldMeta.DeletionGracePeriodSeconds, path.Child("deletionGracePeriodSeconds"))...)
	errs = append(errs, ValidateLabels(newMeta.Labels, path.Child("labels"))...)
	errs = append(errs, ValidateAnnotations(newMeta.Annotations, path.Child("annotations"))...)
	errs = append(errs, ValidateOwnerReferences(newMeta.OwnerReferences, path.Child("ownerReferences"))...)
	errs = append(errs, ValidateFinalizers(newMeta.Finalizers, path.Child("finalizers"))...)
	return errs
}

// ValidateImmutableField reports newVal as invalid when it differs from
// oldVal by SemanticEqual.
func ValidateImmutableField(newVal, oldVal any, path *field.Path) field.ErrorList {
	if SemanticEqual(newVal, oldVal) {
		return nil
	}
	return field.ErrorList{field.Invalid(path, newVal, FieldImmutableErrorMsg)}
}

// ValidateNonnegativeField reports a negative value.
func ValidateNonnegativeField(value int64, path *field.Path) field.ErrorList {
	if value >= 0 {
		return nil
	}
	return field.ErrorList{field.Invalid(path, value, IsNegativeErrorMsg)}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidateLabels checks label keys (qualified names) and values. Errors
// name the labels field, as Kubernetes does, in key order.
func ValidateLabels(labels map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range IsQualifiedName(k) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
		for _, msg := range IsValidLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(path, labels[k], msg))
		}
	}
	return errs
}

// ValidateAnnotations checks annotation keys (qualified names, case
// ignored) and that keys and values add up to at most
// TotalAnnotationSizeLimit bytes.
func ValidateAnnotations(annotations map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	total := 0
	for _, k := range sortedKeys(annotations) {
		for _, msg := range IsQualifiedName(lower(k)) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
		total += len(k) + len(annotations[k])
	}
	if total > TotalAnnotationSizeLimit {
		errs = append(errs, field.TooLong(path, "", TotalAnnotationSizeLimit))
	}
	return errs
}

// lower lowercases ASCII letters only (the qualified-name alphabet).
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ValidateOwnerReferences checks each reference has an apiVersion with a
// version, a kind, a name and a uid, and that at most one is the
// controller.
func ValidateOwnerReferences(refs []meta.OwnerReference, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	controller := ""
	for _, ref := range refs {
		gv, err := meta.ParseGroupVersion(ref.APIVersion)
		if err != nil || gv.Version == "" {
			errs = append(errs, field.Invalid(path.Child("apiVersion"), ref.APIVersion, "version must not be empty"))
		}
		if ref.Kind == "" {
			errs = append(errs, field.Invalid(path.Child("kind"), ref.Kind, "kind must not be empty"))
		}
		if ref.Name == "" {
			errs = append(errs, field.Invalid(path.Child("name"), ref.Name, "name must not be empty"))
		}
		if ref.UID == "" {
			errs = append(errs, field.Invalid(path.Child("uid"), ref.UID, "uid must not be empty"))
		}
		if ref.Controller != nil && *ref.Controller {
			this := ref.Kind + "/" + ref.Name
			if controller != "" {
				errs = append(errs, field.Invalid(path, refs, fmt.Sprintf(
					"Only one reference can have Controller set to true. Found \"true\" in references for %s and %s", controller, this)))
			} else {
				controller = this
			}
		}
	}
	return errs
}

// ValidateFinalizers checks each finalizer is a qualified name and that
// "orphan" and "foregroundDeletion" are not both set.
func ValidateFinalizers(finalizers []string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range finalizers {
		for _, msg := range IsQualifiedName(f) {
			errs = append(errs, field.Invalid(path, f, msg))
		}
	}
	if slices.Contains(finalizers, FinalizerOrphanDependents) && slices.Contains(finalizers, FinalizerDeleteDependents) {
		errs = append(errs, field.Invalid(path, finalizers, fmt.Sprintf("finalizer %s and %s cannot be both set",
			FinalizerOrphanDependents, FinalizerDeleteDependents)))
	}
	return errs
}

// ValidateNoNewFinalizers forbids finalizers in newFinalizers that are not
// in oldFinalizers (an object being deleted may only lose finalizers).
func ValidateNoNewFinalizers(newFinalizers, oldFinalizers []string, path *field.Path) field.ErrorList {
	var extra []string
	for _, f := range newFinalizers {
		if !slices.Contains(oldFinalizers, f) {
			extra = append(extra, f)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	return field.ErrorList{field.Forbidden(path, fmt.Sprintf("no new finalizers can be added if the object is being deleted, found new finalizers %q", extra))}
}

// ValidateUpdateAs runs fn on an update from old to n when old has n's
// type; an old object of another type is reported as an error on "kind".
// Group packages use it to dispatch updates by kind.
func ValidateUpdateAs[T any](n T, old any, fn func(n, old T) field.ErrorList) field.ErrorList {
	o, ok := old.(T)
	if !ok {
		return field.ErrorList{field.Invalid(field.NewPath("kind"), fmt.Sprintf("%T", old), fmt.Sprintf("does not match the new object's %T", n))}
	}
	return fn(n, o)
}
