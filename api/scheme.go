package api

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/autoscaling"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/networking"
	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/api/scheduling"
)

// Errors of the scheme and the codec.
var (
	// ErrUnknownKind is returned for an apiVersion/kind or a Go type the
	// scheme does not know.
	ErrUnknownKind = errors.New("api: unknown kind")
	// ErrUnknownResource is returned for a resource the scheme does not
	// know.
	ErrUnknownResource = errors.New("api: unknown resource")
	// ErrDuplicateKind is returned when a kind or resource is registered
	// twice.
	ErrDuplicateKind = errors.New("api: kind registered twice")
)

// Kind is one registered kind: its names, scope, constructors and hooks.
type Kind struct {
	// GVK is the group, version and kind.
	GVK meta.GroupVersionKind
	// GVR is the group, version and resource (plural); its Resource is
	// empty for kinds served only as a subresource body (Scale).
	GVR meta.GroupVersionResource
	// Namespaced is false for cluster-scoped kinds.
	Namespaced bool
	// ShortNames are kubectl's abbreviations.
	ShortNames []string

	info meta.KindInfo
	typ  reflect.Type
	ltyp reflect.Type
	mu   sync.RWMutex
	def  func(meta.Object)
}

// New returns a new empty object of the kind with apiVersion and kind set.
func (k *Kind) New() meta.Object {
	o := k.info.New()
	o.GetTypeMeta().SetGroupVersionKind(k.GVK)
	return o
}

// HasList reports whether the kind has a list kind.
func (k *Kind) HasList() bool { return k.info.NewList != nil }

// NewList returns a new empty list of the kind with apiVersion and kind
// set, or nil when the kind has no list.
func (k *Kind) NewList() meta.ListObject {
	if k.info.NewList == nil {
		return nil
	}
	l := k.info.NewList()
	gvk := k.GVK
	gvk.Kind += "List"
	l.GetTypeMeta().SetGroupVersionKind(gvk)
	return l
}

// Fields returns the fields of obj that field selectors can use, as
// Kubernetes offers them for the kind (metadata.name and, for namespaced
// kinds, metadata.namespace, plus the kind's own such as spec.nodeName
// for pods).
func (k *Kind) Fields(obj meta.Object) fields.Set {
	if k.info.Fields != nil {
		if f := k.info.Fields(obj); f != nil {
			return fields.Set(f)
		}
	}
	return fields.Set(meta.ObjectMetaFields(obj.GetObjectMeta(), k.Namespaced))
}

// FieldLabels returns the sorted field names selectors may use on the
// kind; an API server rejects a selector on any other field.
func (k *Kind) FieldLabels() []string {
	labels := slices.Collect(maps.Keys(k.Fields(k.info.New())))
	slices.Sort(labels)
	return labels
}

// Default applies the kind's defaults to obj, if it has any.
func (k *Kind) Default(obj meta.Object) {
	k.mu.RLock()
	fn := k.def
	k.mu.RUnlock()
	if fn != nil {
		fn(obj)
	}
}

// Scheme is a registry of kinds: lookups by kind, by resource, by name and
// by Go type. It is safe for concurrent use once built; registration is
// not meant to race with lookups.
type Scheme struct {
	mu         sync.RWMutex
	kinds      []*Kind
	byGVK      map[meta.GroupVersionKind]*Kind
	byList     map[meta.GroupVersionKind]*Kind
	byGVR      map[meta.GroupVersionResource]*Kind
	byType     map[reflect.Type]*Kind
	byListType map[reflect.Type]*Kind
}

// NewScheme returns an empty scheme.
func NewScheme() *Scheme {
	return &Scheme{
		byGVK:      map[meta.GroupVersionKind]*Kind{},
		byList:     map[meta.GroupVersionKind]*Kind{},
		byGVR:      map[meta.GroupVersionResource]*Kind{},
		byType:     map[reflect.Type]*Kind{},
		byListType: map[reflect.Type]*Kind{},
	}
}

// NewBuiltinScheme returns a scheme with every kind of Longshore's API
// packages: core/v1, apps/v1, autoscaling/v1, coordination.k8s.io/v1,
// networking.k8s.io/v1 and rbac.authorization.k8s.io/v1.
func NewBuiltinScheme() *Scheme {
	s := NewScheme()
	for _, g := range []struct {
		gv    meta.GroupVersion
		kinds []meta.KindInfo
	}{
		{core.SchemeGroupVersion, core.Kinds()},
		{apps.SchemeGroupVersion, apps.Kinds()},
		{autoscaling.SchemeGroupVersion, autoscaling.Kinds()},
		{coordination.SchemeGroupVersion, coordination.Kinds()},
		{networking.SchemeGroupVersion, networking.Kinds()},
		{rbac.SchemeGroupVersion, rbac.Kinds()},
		{scheduling.SchemeGroupVersion, scheduling.Kinds()},
		{apiextensions.SchemeGroupVersion, apiextensions.Kinds()},
	} {
		// The built-in packages never clash; an error here is a bug caught
		// by the package's tests, and the kinds registered so far stay.
		_ = s.AddKinds(g.gv, g.kinds)
	}
	return s
}

var builtin = sync.OnceValue(NewBuiltinScheme)

// Builtin returns the shared scheme of the built-in kinds that the
// package-level functions use. Do not register kinds in it; build your own
// with NewBuiltinScheme and AddKinds.
func Builtin() *Scheme { return builtin() }

// AddKinds registers kinds of one group version.
func (s *Scheme) AddKinds(gv meta.GroupVersion, kinds []meta.KindInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, info := range kinds {
		if info.Kind == "" || info.New == nil {
			return fmt.Errorf("%w: %s: kind %q needs a name and a New func", ErrUnknownKind, gv, info.Kind)
		}
		k := &Kind{
			GVK:        gv.WithKind(info.Kind),
			GVR:        gv.WithResource(info.Resource),
			Namespaced: info.Namespaced,
			ShortNames: slices.Clone(info.ShortNames),
			info:       info,
			typ:        reflect.TypeOf(info.New()),
			def:        info.Default,
		}
		if _, ok := s.byGVK[k.GVK]; ok {
			return fmt.Errorf("%w: %s", ErrDuplicateKind, k.GVK)
		}
		if _, ok := s.byType[k.typ]; ok {
			return fmt.Errorf("%w: Go type %s", ErrDuplicateKind, k.typ)
		}
		if info.Resource != "" {
			if _, ok := s.byGVR[k.GVR]; ok {
				return fmt.Errorf("%w: %s", ErrDuplicateKind, k.GVR)
			}
			s.byGVR[k.GVR] = k
		}
		s.byGVK[k.GVK] = k
		s.byType[k.typ] = k
		if info.NewList != nil {
			k.ltyp = reflect.TypeOf(info.NewList())
			lgvk := k.GVK
			lgvk.Kind += "List"
			s.byList[lgvk] = k
			s.byListType[k.ltyp] = k
		}
		s.kinds = append(s.kinds, k)
	}
	return nil
}

// SetDefaulter replaces the defaulting function of a kind.
func (s *Scheme) SetDefaulter(gvk meta.GroupVersionKind, fn func(meta.Object)) error {
	k, err := s.ByGVK(gvk)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.def = fn
	k.mu.Unlock()
	return nil
}

// Kinds returns every registered kind in registration order.
func (s *Scheme) Kinds() []*Kind {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.kinds)
}

// ByGVK returns the kind with the given group, version and kind.
func (s *Scheme) ByGVK(gvk meta.GroupVersionKind) (*Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.byGVK[gvk]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownKind, gvk)
}

// ByListGVK returns the kind whose list kind is gvk (e.g. v1 PodList).
func (s *Scheme) ByListGVK(gvk meta.GroupVersionKind) (*Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.byList[gvk]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: list %s", ErrUnknownKind, gvk)
}

// ByResource returns the kind served at the given group, version and
// resource.
func (s *Scheme) ByResource(gvr meta.GroupVersionResource) (*Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.byGVR[gvr]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownResource, gvr)
}

// ByKind returns the kinds of that name in any group (case-insensitive).
func (s *Scheme) ByKind(kind string) []*Kind {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Kind
	for _, k := range s.kinds {
		if strings.EqualFold(k.GVK.Kind, kind) {
			out = append(out, k)
		}
	}
	return out
}

// ByName resolves a name as kubectl does: a resource plural ("pods"), a
// short name ("po") or a kind in lower case ("pod"), optionally qualified
// by group ("deployments.apps"). It returns every match.
func (s *Scheme) ByName(name string) []*Kind {
	name = strings.ToLower(name)
	base, group, qualified := strings.Cut(name, ".")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Kind
	for _, k := range s.kinds {
		if qualified && k.GVK.Group != group {
			continue
		}
		if (k.GVR.Resource != "" && k.GVR.Resource == base) || strings.ToLower(k.GVK.Kind) == base || slices.Contains(k.ShortNames, base) {
			out = append(out, k)
		}
	}
	return out
}

// ForObject returns the kind of obj by its Go type.
func (s *Scheme) ForObject(obj meta.Object) (*Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.byType[reflect.TypeOf(obj)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: Go type %T", ErrUnknownKind, obj)
}

// ForList returns the kind whose list has the Go type of list.
func (s *Scheme) ForList(list meta.ListObject) (*Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k, ok := s.byListType[reflect.TypeOf(list)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: Go type %T", ErrUnknownKind, list)
}

// gvkOf returns the apiVersion/kind to write for obj (an Object or a
// ListObject).
func (s *Scheme) gvkOf(obj any) (meta.GroupVersionKind, error) {
	switch o := obj.(type) {
	case meta.Object:
		k, err := s.ForObject(o)
		if err != nil {
			return meta.GroupVersionKind{}, err
		}
		return k.GVK, nil
	case meta.ListObject:
		k, err := s.ForList(o)
		if err != nil {
			return meta.GroupVersionKind{}, err
		}
		gvk := k.GVK
		gvk.Kind += "List"
		return gvk, nil
	}
	return meta.GroupVersionKind{}, fmt.Errorf("%w: Go type %T", ErrUnknownKind, obj)
}
