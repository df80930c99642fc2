package meta

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Object is satisfied by every top-level kind (Pod, Deployment, ...): the
// accessors are promoted from the embedded TypeMeta and ObjectMeta, and
// DeepCopyObject is generated.
type Object interface {
	GetTypeMeta() *TypeMeta
	GetObjectMeta() *ObjectMeta
	DeepCopyObject() Object
}

// ListObject is satisfied by every list kind (PodList, ...). GetItems and
// SetItems are generated beside the deep-copy functions.
type ListObject interface {
	GetTypeMeta() *TypeMeta
	GetListMeta() *ListMeta
	// GetItems returns pointers to the list's items (not copies).
	GetItems() []Object
	// SetItems replaces the items; it fails if one has the wrong type.
	SetItems(items []Object) error
	DeepCopyList() ListObject
}

// ErrWrongItemType is returned by ListObject.SetItems for an item of
// another kind.
var ErrWrongItemType = errors.New("meta: list item of the wrong type")

// GetTypeMeta returns t itself, so that kinds embedding TypeMeta satisfy
// Object and ListObject.
func (t *TypeMeta) GetTypeMeta() *TypeMeta { return t }

// GetObjectMeta returns m itself, so that kinds embedding ObjectMeta satisfy
// Object.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// GetListMeta returns l itself, so that list kinds satisfy ListObject.
func (l *ListMeta) GetListMeta() *ListMeta { return l }

// GroupVersion is an API group and version; the core group is "".
type GroupVersion struct {
	Group   string
	Version string
}

// String returns "group/version", or "version" for the core group.
func (gv GroupVersion) String() string {
	if gv.Group == "" {
		return gv.Version
	}
	return gv.Group + "/" + gv.Version
}

// WithKind returns the GroupVersionKind of kind in gv.
func (gv GroupVersion) WithKind(kind string) GroupVersionKind {
	return GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: kind}
}

// WithResource returns the GroupVersionResource of resource in gv.
func (gv GroupVersion) WithResource(resource string) GroupVersionResource {
	return GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: resource}
}

// ErrBadAPIVersion is returned by ParseGroupVersion for malformed text.
var ErrBadAPIVersion = errors.New("meta: bad apiVersion")

// ParseGroupVersion parses an apiVersion such as "apps/v1" or "v1".
func ParseGroupVersion(apiVersion string) (GroupVersion, error) {
	if apiVersion == "" {
		return GroupVersion{}, fmt.Errorf("%w: empty", ErrBadAPIVersion)
	}
	g, v, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return GroupVersion{Version: apiVersion}, nil
	}
	if g == "" || v == "" || strings.Contains(v, "/") {
		return GroupVersion{}, fmt.Errorf("%w: %q", ErrBadAPIVersion, apiVersion)
	}
	return GroupVersion{Group: g, Version: v}, nil
}

// GroupVersionKind names a kind in a group version.
type GroupVersionKind struct {
	Group   string
	Version string
	Kind    string
}

// GroupVersion returns the group version of gvk.
func (gvk GroupVersionKind) GroupVersion() GroupVersion {
	return GroupVersion{Group: gvk.Group, Version: gvk.Version}
}

// String returns "group/version, Kind=kind".
func (gvk GroupVersionKind) String() string {
	return gvk.GroupVersion().String() + ", Kind=" + gvk.Kind
}

// ToAPIVersionAndKind returns the apiVersion and kind written in TypeMeta.
func (gvk GroupVersionKind) ToAPIVersionAndKind() (apiVersion, kind string) {
	return gvk.GroupVersion().String(), gvk.Kind
}

// GroupVersionKind parses t's apiVersion and kind.
func (t *TypeMeta) GroupVersionKind() (GroupVersionKind, error) {
	gv, err := ParseGroupVersion(t.APIVersion)
	if err != nil {
		return GroupVersionKind{}, err
	}
	return gv.WithKind(t.Kind), nil
}

// SetGroupVersionKind writes gvk into t.
func (t *TypeMeta) SetGroupVersionKind(gvk GroupVersionKind) {
	t.APIVersion, t.Kind = gvk.ToAPIVersionAndKind()
}

// GroupVersionResource names a resource (the plural in URLs) in a group
// version.
type GroupVersionResource struct {
	Group    string
	Version  string
	Resource string
}

// GroupVersion returns the group version of gvr.
func (gvr GroupVersionResource) GroupVersion() GroupVersion {
	return GroupVersion{Group: gvr.Group, Version: gvr.Version}
}

// String returns "group/version, Resource=resource".
func (gvr GroupVersionResource) String() string {
	return gvr.GroupVersion().String() + ", Resource=" + gvr.Resource
}

// HasFinalizer reports whether m lists finalizer.
func (m *ObjectMeta) HasFinalizer(finalizer string) bool {
	return slices.Contains(m.Finalizers, finalizer)
}

// AddFinalizer appends finalizer unless present; it reports whether m
// changed.
func (m *ObjectMeta) AddFinalizer(finalizer string) bool {
	if m.HasFinalizer(finalizer) {
		return false
	}
	m.Finalizers = append(m.Finalizers, finalizer)
	return true
}

// RemoveFinalizer removes every occurrence of finalizer; it reports whether
// m changed.
func (m *ObjectMeta) RemoveFinalizer(finalizer string) bool {
	n := len(m.Finalizers)
	m.Finalizers = slices.DeleteFunc(m.Finalizers, func(f string) bool { return f == finalizer })
	if len(m.Finalizers) == 0 {
		m.Finalizers = nil
	}
	return len(m.Finalizers) != n
}

// GetControllerOf returns the owner reference of m that has controller set,
// or nil.
func GetControllerOf(m *ObjectMeta) *OwnerReference {
	for i := range m.OwnerReferences {
		ref := &m.OwnerReferences[i]
		if ref.Controller != nil && *ref.Controller {
			return ref
		}
	}
	return nil
}

// IsControlledBy reports whether owner is the controller of m (matched by
// UID, as Kubernetes does).
func IsControlledBy(m *ObjectMeta, owner *ObjectMeta) bool {
	ref := GetControllerOf(m)
	return ref != nil && owner != nil && owner.UID != "" && ref.UID == owner.UID
}

// NewControllerRef returns an owner reference that marks owner (of kind
// gvk) as the controller, with blockOwnerDeletion set.
func NewControllerRef(owner *ObjectMeta, gvk GroupVersionKind) *OwnerReference {
	t := true
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	return &OwnerReference{
		APIVersion:         apiVersion,
		Kind:               kind,
		Name:               owner.Name,
		UID:                owner.UID,
		Controller:         &t,
		BlockOwnerDeletion: &t,
	}
}
