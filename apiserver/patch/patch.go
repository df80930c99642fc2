// Package patch applies the patch formats of the Kubernetes API to JSON
// documents: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// strategic merge patch (Kubernetes' list-aware merge, driven by the merge
// keys of the object's type).
package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/longshore/longshore/internal/jsonraw"
)

// Content types of the patch formats.
const (
	TypeMerge     = "application/merge-patch+json"
	TypeJSON      = "application/json-patch+json"
	TypeStrategic = "application/strategic-merge-patch+json"
	TypeApply     = "application/apply-patch+yaml"
)

// ErrInvalid is wrapped by every error about a malformed patch.
var ErrInvalid = errors.New("patch: invalid patch")

// ErrTestFailed is returned when a JSON patch "test" operation fails.
var ErrTestFailed = errors.New("patch: test operation failed")

// decode parses JSON keeping numbers exact.
func decode(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if jsonraw.SkipSpace(data, int(d.InputOffset())) != len(data) {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// syntaxError describes why data, which json.Valid rejected, is not JSON.
func syntaxError(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return errors.New("malformed JSON")
}

// Merge applies an RFC 7386 JSON merge patch to doc.
//
// It works on the JSON text: members the patch does not touch are copied
// byte for byte (numbers stay exact, order is kept) and only the objects
// the patch reaches are taken apart, so patching one annotation of a large
// object costs about a copy of it, not a decode and an encode.
func Merge(doc, patch []byte) ([]byte, error) {
	if !json.Valid(patch) {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, syntaxError(patch))
	}
	if !json.Valid(doc) {
		return nil, fmt.Errorf("document: %v", syntaxError(doc))
	}
	return mergeRaw(make([]byte, 0, len(doc)+len(patch)), doc, patch)
}

// member is one member of a JSON object: its key as written (quoted), the
// key's name (unescaped) and its value.
type member struct {
	raw, name, value []byte
}

// object is the members of a JSON object, with an index by name once there
// are enough of them for a linear search to cost more than a map.
type object struct {
	ms    []member
	index map[string]int
}

const linearMembers = 16

func (o *object) find(name []byte) int {
	if o.index != nil {
		if i, ok := o.index[string(name)]; ok {
			return i
		}
		return -1
	}
	for i := range o.ms {
		if bytes.Equal(o.ms[i].name, name) {
			return i
		}
	}
	return -1
}

// members returns the members of obj; a repeated key keeps its first
// position and its last value, as decoding into a map would.
func members(obj []byte) (*object, error) {
	o := &object{}
	err := jsonraw.Members(obj, func(key, value []byte) error {
		name := key[1 : len(key)-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			k, err := jsonraw.Key(key)
			if err != nil {
				return err
			}
			name = []byte(k)
		}
		if i := o.find(name); i >= 0 {
			o.ms[i].value = value
			return nil
		}
		o.ms = append(o.ms, member{raw: key, name: name, value: value})
		if o.index != nil {
			o.index[string(name)] = len(o.ms) - 1
		} else if len(o.ms) > linearMembers {
			o.index = make(map[string]int, 2*len(o.ms))
			for i := range o.ms {
				o.index[string(o.ms[i].name)] = i
			}
		}
		return nil
	})
	return o, err
}

// mergeRaw appends to dst the result of merging patch into doc (both valid
// JSON): RFC 7386's MergePatch on text.
func mergeRaw(dst, doc, patch []byte) ([]byte, error) {
	if !jsonraw.IsObject(patch) {
		return append(dst, bytes.TrimSpace(patch)...), nil
	}
	pm, err := members(patch)
	if err != nil {
		return nil, err
	}
	dm := &object{}
	if jsonraw.IsObject(doc) {
		if dm, err = members(doc); err != nil {
			return nil, err
		}
	}
	used := make([]bool, len(pm.ms))
	dst = append(dst, '{')
	first := true
	put := func(key, value []byte, doc []byte, merge bool) error {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, key...)
		dst = append(dst, ':')
		if !merge {
			dst = append(dst, value...)
			return nil
		}
		var err error
		dst, err = mergeRaw(dst, doc, value)
		return err
	}
	for _, d := range dm.ms {
		i := pm.find(d.name)
		if i < 0 {
			if err := put(d.raw, d.value, nil, false); err != nil {
				return nil, err
			}
			continue
		}
		used[i] = true
		if jsonraw.IsNull(pm.ms[i].value) {
			continue
		}
		if err := put(d.raw, pm.ms[i].value, d.value, true); err != nil {
			return nil, err
		}
	}
	for i, p := range pm.ms {
		if used[i] || jsonraw.IsNull(p.value) {
			continue
		}
		// A new member: MergePatch({}, value), which drops the nulls of
		// nested objects.
		if err := put(p.raw, p.value, nil, true); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// operation is one RFC 6902 operation.
type operation struct {
	Op    string           `json:"op"`
	Path  *string          `json:"path"`
	From  *string          `json:"from"`
	Value *json.RawMessage `json:"value"`
}

// MaxOperations bounds a JSON patch (the API server's guard against
// patches that would take very long to apply).
const MaxOperations = 10000

// JSON applies an RFC 6902 JSON patch to doc.
func JSON(doc, patch []byte) ([]byte, error) {
	var ops []operation
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(ops) > MaxOperations {
		return nil, fmt.Errorf("%w: %d operations exceed the limit of %d", ErrInvalid, len(ops), MaxOperations)
	}
	d, err := decode(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %v", err)
	}
	for i, op := range ops {
		if op.Path == nil {
			return nil, fmt.Errorf("%w: operation %d has no path", ErrInvalid, i)
		}
		path, err := parsePointer(*op.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: operation %d: %v", ErrInvalid, i, err)
		}
		value := func() (any, error) {
			if op.Value == nil {
				return nil, fmt.Errorf("%w: operation %d (%s) needs a value", ErrInvalid, i, op.Op)
			}
			return decode(*op.Value)
		}
		from := func() ([]string, error) {
			if op.From == nil {
				return nil, fmt.Errorf("%w: operation %d (%s) needs from", ErrInvalid, i, op.Op)
			}
			return parsePointer(*op.From)
		}
		switch op.Op {
		case "add":
			v, verr := value()
			if verr != nil {
				return nil, verr
			}
			d, err = add(d, path, v)
		case "remove":
			d, _, err = remove(d, path)
		case "replace":
			v, verr := value()
			if verr != nil {
				return nil, verr
			}
			if d, _, err = remove(d, path); err == nil {
				d, err = add(d, path, v)
			}
		case "move":
			f, ferr := from()
			if ferr != nil {
				return nil, ferr
			}
			if isPrefix(f, path) && len(f) < len(path) {
				return nil, fmt.Errorf("%w: operation %d moves a value into itself", ErrInvalid, i)
			}
			var v any
			if d, v, err = remove(d, f); err == nil {
				d, err = add(d, path, v)
			}
		case "copy":
			f, ferr := from()
			if ferr != nil {
				return nil, ferr
			}
			var v any
			if v, err = get(d, f); err == nil {
				d, err = add(d, path, deepCopy(v))
			}
		case "test":
			v, verr := value()
			if verr != nil {
				return nil, verr
			}
			cur, gerr := get(d, path)
			if gerr != nil {
				return nil, fmt.Errorf("%w: operation %d: %v", ErrTestFailed, i, gerr)
			}
			if !equal(cur, v) {
				return nil, fmt.Errorf("%w: operation %d: value at %s differs", ErrTestFailed, i, *op.Path)
			}
		default:
			return nil, fmt.Errorf("%w: operation %d: unknown op %q", ErrInvalid, i, op.Op)
		}
		if err != nil {
			if errors.Is(err, ErrInvalid) || errors.Is(err, ErrTestFailed) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: operation %d (%s %s): %v", ErrInvalid, i, op.Op, *op.Path, err)
		}
	}
	return json.Marshal(d)
}

func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("path %q does not start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func index(tok string, n int, forAdd bool) (int, error) {
	if forAdd && tok == "-" {
		return n, nil
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("invalid array index %q", tok)
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 {
		return 0, fmt.Errorf("invalid array index %q", tok)
	}
	limit := n - 1
	if forAdd {
		limit = n
	}
	if i > limit {
		return 0, fmt.Errorf("array index %d out of range (length %d)", i, n)
	}
	return i, nil
}

func get(doc any, path []string) (any, error) {
	cur := doc
	for _, tok := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("missing key %q", tok)
			}
			cur = v
		case []any:
			i, err := index(tok, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into a scalar at %q", tok)
		}
	}
	return cur, nil
}

// add sets value at path, returning the (possibly new) document.
func add(doc any, path []string, value any) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = value
		return doc, nil
	case []any:
		i, err := index(last, len(p), true)
		if err != nil {
			return nil, err
		}
		np := make([]any, 0, len(p)+1)
		np = append(append(append(np, p[:i]...), value), p[i:]...)
		return replaceAt(doc, path[:len(path)-1], np)
	}
	return nil, fmt.Errorf("cannot add into a scalar")
}

// remove deletes the value at path and returns it.
func remove(doc any, path []string) (any, any, error) {
	if len(path) == 0 {
		return nil, doc, nil
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, nil, err
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		v, ok := p[last]
		if !ok {
			return nil, nil, fmt.Errorf("missing key %q", last)
		}
		delete(p, last)
		return doc, v, nil
	case []any:
		i, err := index(last, len(p), false)
		if err != nil {
			return nil, nil, err
		}
		v := p[i]
		np := append(append(make([]any, 0, len(p)-1), p[:i]...), p[i+1:]...)
		doc, err = replaceAt(doc, path[:len(path)-1], np)
		return doc, v, err
	}
	return nil, nil, fmt.Errorf("cannot remove from a scalar")
}

// replaceAt puts v at path (an existing location).
func replaceAt(doc any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	parent, err := get(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		i, err := index(last, len(p), false)
		if err != nil {
			return nil, err
		}
		p[i] = v
	}
	return doc, nil
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, e1 := x.Float64()
		fy, e2 := y.Float64()
		return e1 == nil && e2 == nil && fx == fy
	}
	return a == b
}
