package patch

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Directives of strategic merge patches.
const (
	directiveKey        = "$patch"
	retainKeysKey       = "$retainKeys"
	setElementOrderPfx  = "$setElementOrder/"
	deleteFromPrimitive = "$deleteFromPrimitiveList/"
)

// schema is what a strategic merge needs to know of a JSON value's type.
type schema struct {
	kind   reflect.Kind      // Struct, Map, Slice or a scalar kind
	fields map[string]*field // for structs, by JSON name
	elem   *schema           // for maps and slices
	typ    reflect.Type
}

type field struct {
	s          *schema
	merge      bool   // patchStrategy merge
	retainKeys bool   // patchStrategy retainKeys
	mergeKey   string // patchMergeKey
}

var schemaCache sync.Map // reflect.Type -> *schema

// schemaOf derives the schema of a Go type from its json and patch tags.
func schemaOf(t reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := schemaCache.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{kind: t.Kind(), typ: t}
	// Store first so recursive types terminate.
	actual, loaded := schemaCache.LoadOrStore(t, s)
	if loaded {
		return actual.(*schema)
	}
	switch t.Kind() {
	case reflect.Struct:
		s.fields = map[string]*field{}
		addFields(t, s.fields)
	case reflect.Map:
		s.elem = schemaOf(t.Elem())
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 { // []byte is a string on the wire
			s.elem = schemaOf(t.Elem())
		} else {
			s.kind = reflect.String
		}
	}
	return s
}

func addFields(t reflect.Type, out map[string]*field) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(","+opts+",", ",inline,")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		strategy := f.Tag.Get("patchStrategy")
		fd := &field{s: schemaOf(f.Type), mergeKey: f.Tag.Get("patchMergeKey")}
		for _, st := range strings.Split(strategy, ",") {
			switch st {
			case "merge":
				fd.merge = true
			case "retainKeys":
				fd.retainKeys = true
			}
		}
		out[name] = fd
	}
}

func (s *schema) field(name string) *field {
	if s == nil {
		return nil
	}
	switch s.kind {
	case reflect.Struct:
		return s.fields[name]
	case reflect.Map:
		return &field{s: s.elem}
	}
	return nil
}

// Strategic applies a Kubernetes strategic merge patch to doc, a JSON
// object of Go type t (e.g. *core.Pod): lists whose field carries
// `patchStrategy:"merge"` are merged element by element (by
// `patchMergeKey` for lists of objects, as sets for lists of scalars),
// other lists are replaced, and the directives $patch (replace, delete,
// merge), $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list> are honoured.
func Strategic(doc, patch []byte, t reflect.Type) ([]byte, error) {
	p, err := decode(patch)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	pm, ok := p.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: a strategic merge patch must be a JSON object", ErrInvalid)
	}
	d, err := decode(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %v", err)
	}
	dm, ok := d.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document is not a JSON object")
	}
	out, err := mergeMap(dm, pm, schemaOf(t), false)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return json.Marshal(out)
}

// mergeMap merges patch into orig (which it may modify). It returns nil when
// the patch deletes the map.
func mergeMap(orig, patch map[string]any, s *schema, retainKeys bool) (map[string]any, error) {
	if d, ok := patch[directiveKey]; ok {
		switch d {
		case "replace":
			return stripDirectives(patch), nil
		case "delete":
			return nil, nil
		case "merge":
		default:
			return nil, fmt.Errorf("%w: unknown $patch directive %v", ErrInvalid, d)
		}
	}
	if orig == nil {
		orig = map[string]any{}
	}
	var retain map[string]bool
	if rk, ok := patch[retainKeysKey]; ok {
		list, ok := rk.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: $retainKeys must be a list", ErrInvalid)
		}
		retain = map[string]bool{}
		for _, k := range list {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%w: $retainKeys must list strings", ErrInvalid)
			}
			retain[ks] = true
		}
	}
	// $deleteFromPrimitiveList first, then plain keys, then ordering.
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, deleteFromPrimitive)
		if !ok {
			continue
		}
		del, ok := patch[k].([]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s must be a list", ErrInvalid, k)
		}
		if cur, ok := orig[name].([]any); ok {
			orig[name] = removeScalars(cur, del)
		}
	}
	for _, k := range keys {
		if k == directiveKey || k == retainKeysKey || strings.HasPrefix(k, deleteFromPrimitive) || strings.HasPrefix(k, setElementOrderPfx) {
			continue
		}
		pv := patch[k]
		if pv == nil {
			delete(orig, k)
			continue
		}
		f := s.field(k)
		var fs *schema
		if f != nil {
			fs = f.s
		}
		switch v := pv.(type) {
		case map[string]any:
			cur, _ := orig[k].(map[string]any)
			merged, err := mergeMap(cur, v, fs, f != nil && f.retainKeys)
			if err != nil {
				return nil, err
			}
			if merged == nil {
				delete(orig, k)
			} else {
				orig[k] = merged
			}
		case []any:
			cur, _ := orig[k].([]any)
			merged, err := mergeList(cur, v, f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			orig[k] = merged
		default:
			orig[k] = pv
		}
	}
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, setElementOrderPfx)
		if !ok {
			continue
		}
		order, ok := patch[k].([]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s must be a list", ErrInvalid, k)
		}
		if cur, ok := orig[name].([]any); ok {
			mk := ""
			if f := s.field(name); f != nil {
				mk = f.mergeKey
			}
			orig[name] = reorder(cur, order, mk)
		}
	}
	if retain != nil && retainKeys {
		for k := range orig {
			if !retain[k] {
				delete(orig, k)
			}
		}
	}
	return orig, nil
}

// mergeList merges a patch list into the original according to the field's
// strategy.
func mergeList(orig, patch []any, f *field) ([]any, error) {
	if f == nil || !f.merge {
		// Replace, minus any directive elements.
		return stripList(patch), nil
	}
	for _, p := range patch {
		if m, ok := p.(map[string]any); ok && m[directiveKey] == "replace" {
			out := make([]any, 0, len(patch))
			for _, q := range patch {
				if qm, ok := q.(map[string]any); ok && qm[directiveKey] == "replace" {
					continue
				}
				out = append(out, stripDirectivesAny(q))
			}
			return out, nil
		}
	}
	if f.mergeKey == "" {
		// A set of scalars: union, keeping the original order.
		out := append([]any(nil), orig...)
		for _, p := range patch {
			if !containsScalar(out, p) {
				out = append(out, p)
			}
		}
		return out, nil
	}
	out := append([]any(nil), orig...)
	var elem *schema
	if f.s != nil {
		elem = f.s.elem
	}
	for _, p := range patch {
		pm, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: elements of a list merged by %q must be objects", ErrInvalid, f.mergeKey)
		}
		key, ok := pm[f.mergeKey]
		if !ok {
			return nil, fmt.Errorf("%w: element without its merge key %q", ErrInvalid, f.mergeKey)
		}
		idx := -1
		for i, o := range out {
			if om, ok := o.(map[string]any); ok && equal(om[f.mergeKey], key) {
				idx = i
				break
			}
		}
		if pm[directiveKey] == "delete" {
			if idx >= 0 {
				out = append(out[:idx], out[idx+1:]...)
			}
			continue
		}
		if idx < 0 {
			merged, err := mergeMap(nil, pm, elem, f.retainKeys)
			if err != nil {
				return nil, err
			}
			if merged != nil {
				out = append(out, merged)
			}
			continue
		}
		om, _ := out[idx].(map[string]any)
		merged, err := mergeMap(om, pm, elem, f.retainKeys)
		if err != nil {
			return nil, err
		}
		if merged == nil {
			out = append(out[:idx], out[idx+1:]...)
		} else {
			out[idx] = merged
		}
	}
	return out, nil
}

// reorder sorts list by the order of $setElementOrder (by merge key for
// objects, by value for scalars); elements it does not name keep their
// relative order after the named ones.
func reorder(list, order []any, mergeKey string) []any {
	pos := func(v any) int {
		for i, o := range order {
			if mergeKey != "" {
				vm, ok1 := v.(map[string]any)
				om, ok2 := o.(map[string]any)
				if ok1 && ok2 && equal(vm[mergeKey], om[mergeKey]) {
					return i
				}
			} else if equal(v, o) {
				return i
			}
		}
		return len(order)
	}
	out := append([]any(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return pos(out[i]) < pos(out[j]) })
	return out
}

func removeScalars(list, del []any) []any {
	out := list[:0:0]
	for _, v := range list {
		if !containsScalar(del, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsScalar(list []any, v any) bool {
	for _, x := range list {
		if equal(x, v) {
			return true
		}
	}
	return false
}

// stripDirectives removes patch directives from a value used as is.
func stripDirectives(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k == directiveKey || k == retainKeysKey || strings.HasPrefix(k, setElementOrderPfx) || strings.HasPrefix(k, deleteFromPrimitive) {
			continue
		}
		out[k] = stripDirectivesAny(v)
	}
	return out
}

func stripDirectivesAny(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return stripDirectives(t)
	case []any:
		return stripList(t)
	}
	return v
}

func stripList(l []any) []any {
	out := make([]any, 0, len(l))
	for _, v := range l {
		if m, ok := v.(map[string]any); ok {
			if _, isDirective := m[directiveKey]; isDirective && len(m) == 1 {
				continue
			}
		}
		out = append(out, stripDirectivesAny(v))
	}
	return out
}
