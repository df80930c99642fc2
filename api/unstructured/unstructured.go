// Package unstructured holds objects without a Go type: custom resources,
// and any object a dynamic client handles. An Object keeps its metadata
// typed (so it satisfies meta.Object like every built-in kind) and every
// other top-level field as generic JSON.
package unstructured

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/longshore/longshore/api/meta"
)

// Object is an object of any kind.
type Object struct {
	meta.TypeMeta
	meta.ObjectMeta
	// Content holds every top-level field except apiVersion, kind and
	// metadata (spec, status, data, ...), as decoded by encoding/json with
	// numbers as json.Number.
	Content map[string]any
}

var _ meta.Object = (*Object)(nil)

// ErrNotObject is returned when JSON is not an object.
var ErrNotObject = errors.New("unstructured: not a JSON object")

// UnstructuredContent returns the fields other than apiVersion, kind and
// metadata.
func (o *Object) UnstructuredContent() map[string]any {
	if o.Content == nil {
		o.Content = map[string]any{}
	}
	return o.Content
}

// MarshalJSON writes apiVersion, kind, metadata and the content fields.
func (o *Object) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(o.Content)+3)
	for k, v := range o.Content {
		m[k] = v
	}
	if o.APIVersion != "" {
		m["apiVersion"] = o.APIVersion
	}
	if o.Kind != "" {
		m["kind"] = o.Kind
	}
	m["metadata"] = &o.ObjectMeta
	return json.Marshal(m)
}

// UnmarshalJSON reads any JSON object.
func (o *Object) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("unstructured: %w", err)
	}
	if m == nil {
		return ErrNotObject
	}
	*o = Object{}
	if v, ok := m["apiVersion"]; ok {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("unstructured: apiVersion must be a string")
		}
		o.APIVersion = s
	}
	if v, ok := m["kind"]; ok {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("unstructured: kind must be a string")
		}
		o.Kind = s
	}
	if v, ok := m["metadata"]; ok && v != nil {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &o.ObjectMeta); err != nil {
			return fmt.Errorf("unstructured: metadata: %w", err)
		}
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	delete(m, "metadata")
	o.Content = m
	return nil
}

// DeepCopyObject returns a deep copy.
func (o *Object) DeepCopyObject() meta.Object { return o.DeepCopy() }

// DeepCopy returns a deep copy.
func (o *Object) DeepCopy() *Object {
	if o == nil {
		return nil
	}
	out := &Object{TypeMeta: o.TypeMeta}
	o.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	if o.Content != nil {
		out.Content = copyValue(o.Content).(map[string]any)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = copyValue(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = copyValue(x)
		}
		return s
	}
	return v
}

// NestedField returns the value at a path of content fields, e.g.
// NestedField("spec", "replicas").
func (o *Object) NestedField(path ...string) (any, bool) {
	var cur any = o.Content
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// SetNestedField sets the value at a path, creating maps on the way.
func (o *Object) SetNestedField(value any, path ...string) error {
	if len(path) == 0 {
		return errors.New("unstructured: empty path")
	}
	cur := o.UnstructuredContent()
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p]
		if !ok || next == nil {
			m := map[string]any{}
			cur[p] = m
			cur = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("unstructured: %s is not an object", p)
		}
		cur = m
	}
	cur[path[len(path)-1]] = value
	return nil
}

// List is a list of Objects.
type List struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata"`
	Items         []*Object `json:"items"`
}
