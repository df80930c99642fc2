package meta

// KindInfo describes one kind of a group version, as a group package's
// register.go lists it and the api scheme collects it.
type KindInfo struct {
	// Kind is the kind's name, e.g. "Pod".
	Kind string
	// Resource is the plural lower-case name used in URLs, e.g. "pods"; it
	// is empty for kinds served only as a subresource body (Scale).
	Resource string
	// Namespaced is false for cluster-scoped kinds (Node, Namespace, ...).
	Namespaced bool
	// ShortNames are kubectl's abbreviations, e.g. "po".
	ShortNames []string
	// New returns a new empty object of the kind.
	New func() Object
	// NewList returns a new empty list of the kind, or is nil for kinds
	// without a list (Binding, Scale).
	NewList func() ListObject
	// Fields returns the selectable fields of an object of the kind (as
	// field selectors see them); nil means metadata.name and
	// metadata.namespace only.
	Fields func(Object) map[string]string
	// Default applies the kind's defaults in place, or is nil.
	Default func(Object)
}

// ObjectMetaFields returns the selectable fields every kind has:
// metadata.name, and metadata.namespace for namespaced kinds (Kubernetes
// rejects metadata.namespace in selectors on cluster-scoped kinds).
func ObjectMetaFields(m *ObjectMeta, namespaced bool) map[string]string {
	if !namespaced {
		return map[string]string{"metadata.name": m.Name}
	}
	return map[string]string{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
}

// DefaultFunc adapts a typed defaulting function (func(*Pod)) to
// KindInfo.Default. Objects of another type are left alone.
func DefaultFunc[T Object](fn func(T)) func(Object) {
	return func(o Object) {
		if t, ok := o.(T); ok {
			fn(t)
		}
	}
}

// FieldsFunc adapts a typed selectable-fields function (func(*Pod)
// fields.Set) to KindInfo.Fields. Objects of another type get nil.
func FieldsFunc[T Object, S ~map[string]string](fn func(T) S) func(Object) map[string]string {
	return func(o Object) map[string]string {
		if t, ok := o.(T); ok {
			return fn(t)
		}
		return nil
	}
}
