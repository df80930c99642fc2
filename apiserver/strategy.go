package apiserver

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
)

// Strategy is what the generic handlers need to know about one kind beyond
// its type: how to validate it and which parts a client may write through
// which endpoint. The zero Strategy validates nothing beyond object
// metadata and has no status subresource.
type Strategy struct {
	// Validate checks a new object; ValidateUpdate checks an update
	// against the stored object. They return field errors as Status causes.
	Validate       func(obj meta.Object) []meta.StatusCause
	ValidateUpdate func(obj, old meta.Object) []meta.StatusCause
	// ValidateStatusUpdate checks a write through the status subresource.
	ValidateStatusUpdate func(obj, old meta.Object) []meta.StatusCause
	// HasStatus marks kinds with a status subresource: writes to the main
	// resource keep the stored status, writes to /status keep everything
	// else, and create clears the status.
	HasStatus bool
	// KeepStatusOnCreate keeps the status a client sends on create (Nodes:
	// the kubelet registers with its capacity), where other kinds with a
	// status subresource start with an empty status.
	KeepStatusOnCreate bool
	// PrepareForCreate runs after defaulting (e.g. a new Pod's phase).
	PrepareForCreate func(obj meta.Object)
	// PrepareForUpdate runs on main-resource updates after the status was
	// carried over.
	PrepareForUpdate func(obj, old meta.Object)
	// NoGeneration disables metadata.generation bookkeeping (kinds without
	// a spec, such as ConfigMap).
	NoGeneration bool
	// AllowCreateOnUpdate lets PUT create a missing object.
	AllowCreateOnUpdate bool
}

// statusField returns the addressable Status field of obj, if it has one.
func statusField(obj meta.Object) (reflect.Value, bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName("Status")
	if !f.IsValid() || !f.CanSet() {
		return reflect.Value{}, false
	}
	return f, true
}

// clearStatus zeroes obj's status.
func clearStatus(obj meta.Object) {
	if u, ok := obj.(*unstructured.Object); ok {
		delete(u.UnstructuredContent(), "status")
		return
	}
	if f, ok := statusField(obj); ok {
		f.Set(reflect.Zero(f.Type()))
	}
}

// copyStatus sets dst's status to src's (both of the same kind).
func copyStatus(dst, src meta.Object) {
	if du, ok := dst.(*unstructured.Object); ok {
		if su, ok := src.(*unstructured.Object); ok {
			if st, ok := su.Content["status"]; ok {
				du.UnstructuredContent()["status"] = st
			} else {
				delete(du.UnstructuredContent(), "status")
			}
		}
		return
	}
	d, ok1 := statusField(dst)
	s, ok2 := statusField(src)
	if ok1 && ok2 && d.Type() == s.Type() {
		d.Set(s)
	}
}

// specEqual reports whether a and b are equal apart from metadata and
// status: a change there bumps metadata.generation.
func specEqual(a, b meta.Object) bool {
	ja, err1 := specJSON(a)
	jb, err2 := specJSON(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func specJSON(obj meta.Object) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "metadata")
	delete(m, "status")
	delete(m, "kind")
	delete(m, "apiVersion")
	return json.Marshal(m) // map keys are sorted: a canonical form
}
