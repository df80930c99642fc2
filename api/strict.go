package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/longshore/longshore/internal/jsonraw"
)

// ErrStrict is matched (errors.Is) by every *StrictError.
var ErrStrict = errors.New("strict decoding error")

// StrictError lists every problem strict decoding found: unknown fields
// and duplicate fields, each with its JSON path, in document order.
type StrictError struct {
	// Problems are messages such as
	// `unknown field "spec.containers[0].imagee"` or
	// `duplicate field "metadata.name"`.
	Problems []string
}

// Error joins the problems the way Kubernetes reports them.
func (e *StrictError) Error() string {
	return "strict decoding error: " + strings.Join(e.Problems, ", ")
}

// Is makes errors.Is(err, ErrStrict) true.
func (e *StrictError) Is(target error) bool { return target == ErrStrict }

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// StrictProblems returns the unknown and duplicate fields of the JSON or
// YAML document data as decoded into a value of into's type (into is not
// modified), without failing on them: the API server's fieldValidation=Warn
// turns them into warnings. The error is for malformed documents only.
func StrictProblems(data []byte, into any) ([]string, error) {
	js, problems, err := toJSON(data, true)
	if err != nil {
		return nil, err
	}
	p, err := jsonProblems(js, reflect.TypeOf(into))
	if err != nil {
		return nil, err
	}
	return append(problems, p...), nil
}

// jsonProblems walks the JSON document js along the Go type t. js must be
// valid JSON.
func jsonProblems(js []byte, t reflect.Type) ([]string, error) {
	if !json.Valid(js) {
		return nil, fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
	w := &walker{data: js, path: make([]byte, 0, 128)}
	if err := w.value(t); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return w.problems, nil
}

// walker scans a valid JSON document directly (encoding/json's token API
// allocates for every token, which made strict decoding six times slower
// than decoding). path holds the JSON path of the current value.
type walker struct {
	data     []byte
	pos      int
	path     []byte
	problems []string
}

var errTruncated = errors.New("truncated JSON")

// fieldInfo is a JSON object member of a struct type, with inlined
// (embedded) structs flattened as encoding/json does.
type fieldInfo struct {
	typ reflect.Type
}

var fieldCache sync.Map // reflect.Type -> map[string]fieldInfo

func structFields(t reflect.Type) map[string]fieldInfo {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]fieldInfo)
	}
	m := map[string]fieldInfo{}
	addStructFields(t, m, 0)
	fieldCache.Store(t, m)
	return m
}

func addStructFields(t reflect.Type, m map[string]fieldInfo, depth int) {
	if depth > 8 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addStructFields(ft, m, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := m[name]; !ok {
			m[name] = fieldInfo{typ: f.Type}
		}
	}
}

func (w *walker) problem(kind string) {
	w.problems = append(w.problems, kind+" "+strconv.Quote(string(w.path)))
}

func (w *walker) ws() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\r', '\n':
			w.pos++
		default:
			return
		}
	}
}

func (w *walker) peek() (byte, error) {
	w.ws()
	if w.pos >= len(w.data) {
		return 0, errTruncated
	}
	return w.data[w.pos], nil
}

// plain reports whether values of t are read by the JSON library without
// field names of their own: types with custom decoding (Time, Quantity,
// IntOrString, raw JSON) and interfaces.
func plain(t reflect.Type) bool {
	return t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
		(reflect.PointerTo(t).Implements(textUnmarshaler) && t.Kind() != reflect.Map)
}

// value reads one JSON value that decodes into t and records problems.
func (w *walker) value(t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	c, err := w.peek()
	if err != nil {
		return err
	}
	if plain(t) {
		return w.skip()
	}
	switch {
	case c == '{' && t.Kind() == reflect.Struct:
		fields := structFields(t)
		return w.object(func(key []byte) (reflect.Type, bool) {
			f, ok := fields[string(key)]
			return f.typ, ok
		})
	case c == '{' && t.Kind() == reflect.Map:
		elem := t.Elem()
		return w.object(func([]byte) (reflect.Type, bool) { return elem, true })
	case c == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		w.pos++
		n := len(w.path)
		for i := 0; ; i++ {
			c, err := w.peek()
			if err != nil {
				return err
			}
			if c == ']' {
				w.pos++
				return nil
			}
			if i > 0 {
				if c != ',' {
					return fmt.Errorf("expected ',' at offset %d", w.pos)
				}
				w.pos++
			}
			w.path = strconv.AppendInt(append(w.path, '['), int64(i), 10)
			w.path = append(w.path, ']')
			err = w.value(t.Elem())
			w.path = w.path[:n]
			if err != nil {
				return err
			}
		}
	}
	// Scalars, and values of the wrong shape: type errors are the
	// decoder's to report.
	return w.skip()
}

// object reads an object member by member. member is called with the
// key's bytes, valid only during the call.
func (w *walker) object(member func(key []byte) (reflect.Type, bool)) error {
	w.pos++ // '{'
	n := len(w.path)
	var seen keySet
	for i := 0; ; i++ {
		c, err := w.peek()
		if err != nil {
			return err
		}
		if c == '}' {
			w.pos++
			return nil
		}
		if i > 0 {
			if c != ',' {
				return fmt.Errorf("expected ',' at offset %d", w.pos)
			}
			w.pos++
			w.ws()
		}
		key, err := w.str()
		if err != nil {
			return err
		}
		if c, err := w.peek(); err != nil || c != ':' {
			return fmt.Errorf("expected ':' at offset %d", w.pos)
		}
		w.pos++
		if n > 0 {
			w.path = append(w.path, '.')
		}
		w.path = append(w.path, key...)
		if seen.add(key) {
			w.problem("duplicate field")
		}
		ft, ok := member(key)
		if ok {
			err = w.value(ft)
		} else {
			w.problem("unknown field")
			err = w.skip()
		}
		w.path = w.path[:n]
		if err != nil {
			return err
		}
	}
}

// keySet holds the keys of one object: an array while small (no
// allocation), a map beyond.
type keySet struct {
	small [16][]byte
	n     int
	m     map[string]struct{}
}

// add adds key and reports whether it was already present.
func (k *keySet) add(key []byte) bool {
	if k.m != nil {
		if _, ok := k.m[string(key)]; ok {
			return true
		}
		k.m[string(key)] = struct{}{}
		return false
	}
	for _, e := range k.small[:k.n] {
		if bytes.Equal(e, key) {
			return true
		}
	}
	if k.n < len(k.small) {
		k.small[k.n] = key
		k.n++
		return false
	}
	k.m = make(map[string]struct{}, 2*len(k.small)+1)
	for _, e := range k.small {
		k.m[string(e)] = struct{}{}
	}
	k.m[string(key)] = struct{}{}
	return false
}

// str reads a string at the current position. Unless it has escapes, the
// result is a slice of the document.
func (w *walker) str() ([]byte, error) {
	if w.pos >= len(w.data) || w.data[w.pos] != '"' {
		return nil, fmt.Errorf("expected a string at offset %d", w.pos)
	}
	start := w.pos
	escaped := false
	for i := start + 1; i < len(w.data); i++ {
		switch w.data[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			w.pos = i + 1
			if !escaped {
				return w.data[start+1 : i], nil
			}
			var s string
			if err := json.Unmarshal(w.data[start:i+1], &s); err != nil {
				return nil, err
			}
			return []byte(s), nil
		}
	}
	return nil, errTruncated
}

// skip passes over one value.
func (w *walker) skip() error {
	end, err := jsonraw.Skip(w.data, w.pos)
	if err != nil {
		return err
	}
	w.pos = end
	return nil
}
