package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/internal/jsonraw"
	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// Errors of the codec (besides ErrUnknownKind and *StrictError).
var (
	// ErrMissingKind is returned for a document without apiVersion or
	// kind.
	ErrMissingKind = errors.New("api: apiVersion and kind are required")
	// ErrKindMismatch is returned by DecodeInto when the document names
	// another kind than the target's.
	ErrKindMismatch = errors.New("api: document is of another kind")
	// ErrMalformed is returned for a document that is neither valid JSON
	// nor valid YAML, or does not match the kind's structure.
	ErrMalformed = errors.New("api: malformed document")
)

// DecodeOptions are the options of Decode. The zero value decodes
// leniently, like Kubernetes with fieldValidation=Ignore.
type DecodeOptions struct {
	// Strict reports every unknown and duplicate field, with its path, as
	// a *StrictError (fieldValidation=Strict). The decoded object is
	// returned with that error, so a caller can also warn and proceed.
	Strict bool
}

// Decode decodes a JSON or YAML document into a new object of the kind its
// apiVersion and kind name, using the built-in scheme.
func Decode(data []byte, opts DecodeOptions) (meta.Object, error) {
	return Builtin().Decode(data, opts)
}

// DecodeInto decodes a JSON or YAML document into obj (an object, a list,
// or any struct), using the built-in scheme.
func DecodeInto(data []byte, obj any, strict bool) error {
	return Builtin().DecodeInto(data, obj, strict)
}

// DecodeList decodes a JSON or YAML list document (such as a PodList),
// using the built-in scheme.
func DecodeList(data []byte, opts DecodeOptions) (meta.ListObject, error) {
	return Builtin().DecodeList(data, opts)
}

// DecodeManifests decodes every object of a multi-document YAML (or JSON)
// manifest, expanding "v1 List" documents, using the built-in scheme.
func DecodeManifests(data []byte, opts DecodeOptions) ([]meta.Object, error) {
	return Builtin().DecodeManifests(data, opts)
}

// Encode writes obj (an object or a list) as JSON with its apiVersion and
// kind set, using the built-in scheme.
func Encode(obj any) ([]byte, error) { return Builtin().Encode(obj) }

// EncodeYAML writes obj as YAML with its apiVersion and kind set, using
// the built-in scheme.
func EncodeYAML(obj any) ([]byte, error) { return Builtin().EncodeYAML(obj) }

// Decode decodes a JSON or YAML document into a new object of the kind its
// apiVersion and kind name. List kinds are refused (use DecodeList).
func (s *Scheme) Decode(data []byte, opts DecodeOptions) (meta.Object, error) {
	js, problems, err := toJSON(data, opts.Strict)
	if err != nil {
		return nil, err
	}
	gvk, err := peekGVK(js)
	if err != nil {
		return nil, err
	}
	k, err := s.ByGVK(gvk)
	if err != nil {
		return nil, err
	}
	obj := k.New()
	if err := s.unmarshal(js, obj, gvk, opts.Strict, problems); err != nil {
		if errors.Is(err, ErrStrict) {
			return obj, err
		}
		return nil, err
	}
	return obj, nil
}

// DecodeList decodes a JSON or YAML list document such as a PodList.
func (s *Scheme) DecodeList(data []byte, opts DecodeOptions) (meta.ListObject, error) {
	js, problems, err := toJSON(data, opts.Strict)
	if err != nil {
		return nil, err
	}
	gvk, err := peekGVK(js)
	if err != nil {
		return nil, err
	}
	k, err := s.ByListGVK(gvk)
	if err != nil {
		return nil, err
	}
	list := k.NewList()
	if err := s.unmarshal(js, list, gvk, opts.Strict, problems); err != nil {
		if errors.Is(err, ErrStrict) {
			return list, err
		}
		return nil, err
	}
	return list, nil
}

// DecodeInto decodes a JSON or YAML document into obj. If obj is a
// registered object or list and the document names a kind, it must be
// obj's kind. In strict mode unknown and duplicate fields give a
// *StrictError, after obj has been filled.
func (s *Scheme) DecodeInto(data []byte, obj any, strict bool) error {
	if obj == nil || reflect.TypeOf(obj).Kind() != reflect.Pointer {
		return fmt.Errorf("%w: DecodeInto needs a non-nil pointer, got %T", ErrMalformed, obj)
	}
	js, problems, err := toJSON(data, strict)
	if err != nil {
		return err
	}
	tm := peekTypeMeta(js) // an unreadable document fails below
	var gvk meta.GroupVersionKind
	if want, err := s.gvkOf(obj); err == nil {
		gvk = want
		if tm.Kind != "" || tm.APIVersion != "" {
			if tm.Kind != want.Kind || tm.APIVersion != want.GroupVersion().String() {
				return fmt.Errorf("%w: got %s %s, want %s", ErrKindMismatch, tm.APIVersion, tm.Kind, want)
			}
		}
	}
	return s.unmarshal(js, obj, gvk, strict, problems)
}

// unmarshal decodes js into obj, sets obj's TypeMeta to gvk (if it has
// one and gvk is set) and runs the strict checks.
func (s *Scheme) unmarshal(js []byte, obj any, gvk meta.GroupVersionKind, strict bool, problems []string) error {
	if err := json.Unmarshal(js, obj); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, describe(gvk, obj), err)
	}
	if t, ok := obj.(interface{ GetTypeMeta() *meta.TypeMeta }); ok && gvk.Kind != "" {
		t.GetTypeMeta().SetGroupVersionKind(gvk)
	}
	if !strict {
		return nil
	}
	p, err := jsonProblems(js, reflect.TypeOf(obj))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	problems = append(problems, p...)
	if len(problems) > 0 {
		return &StrictError{Problems: problems}
	}
	return nil
}

// peekTypeMeta reads apiVersion and kind from the top level of a JSON
// object without decoding the rest: what json.Unmarshal into a TypeMeta
// gives (keys matched case-insensitively, the last one winning), at the
// cost of a scan.
func peekTypeMeta(js []byte) meta.TypeMeta {
	var tm meta.TypeMeta
	_ = jsonraw.Members(js, func(key, value []byte) error {
		if len(value) == 0 || value[0] != '"' {
			return nil
		}
		k, err := jsonraw.Key(key)
		if err != nil {
			return nil
		}
		var dst *string
		switch {
		case strings.EqualFold(k, "apiVersion"):
			dst = &tm.APIVersion
		case strings.EqualFold(k, "kind"):
			dst = &tm.Kind
		default:
			return nil
		}
		if v, err := jsonraw.Key(value); err == nil {
			*dst = v
		}
		return nil
	})
	return tm
}

func describe(gvk meta.GroupVersionKind, obj any) string {
	if gvk.Kind != "" {
		return gvk.Kind
	}
	return fmt.Sprintf("%T", obj)
}

// Encode writes obj (an object or a list) as JSON with apiVersion and kind
// set from the scheme. obj itself is not modified.
func (s *Scheme) Encode(obj any) ([]byte, error) {
	gvk, err := s.gvkOf(obj)
	if err != nil {
		return nil, err
	}
	// Set apiVersion and kind on a shallow copy, leaving the caller's
	// object (maybe shared with a cache) untouched.
	v := reflect.ValueOf(obj)
	if v.IsNil() {
		return nil, fmt.Errorf("%w: nil %T", ErrMalformed, obj)
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	c.Interface().(interface{ GetTypeMeta() *meta.TypeMeta }).GetTypeMeta().SetGroupVersionKind(gvk)
	return json.Marshal(c.Interface())
}

// EncodeYAML writes obj as YAML with apiVersion and kind set.
func (s *Scheme) EncodeYAML(obj any) ([]byte, error) {
	js, err := s.Encode(obj)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(js)
}

// DecodeManifests decodes every document of a multi-document YAML (or a
// single JSON document), expanding "v1 List" documents into their items.
// Empty documents are skipped. With Strict, the objects are all decoded
// and the problems of every document are reported together, each prefixed
// by the document's index.
func (s *Scheme) DecodeManifests(data []byte, opts DecodeOptions) ([]meta.Object, error) {
	docs, err := SplitYAML(data)
	if err != nil {
		return nil, err
	}
	var objs []meta.Object
	var strict StrictError
	add := func(doc int, o meta.Object, err error) error {
		var se *StrictError
		if errors.As(err, &se) {
			for _, p := range se.Problems {
				strict.Problems = append(strict.Problems, fmt.Sprintf("document %d: %s", doc, p))
			}
		} else if err != nil {
			return fmt.Errorf("document %d: %w", doc, err)
		}
		objs = append(objs, o)
		return nil
	}
	for i, doc := range docs {
		js, problems, err := toJSON(doc, opts.Strict)
		if err != nil {
			return objs, fmt.Errorf("document %d: %w", i, err)
		}
		gvk, err := peekGVK(js)
		if err != nil {
			return objs, fmt.Errorf("document %d: %w", i, err)
		}
		if gvk.Group != "" || gvk.Version != "v1" || gvk.Kind != "List" {
			o, err := s.Decode(js, opts)
			err = withProblems(err, problems)
			if err := add(i, o, err); err != nil {
				return objs, err
			}
			continue
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(js, &list); err != nil {
			return objs, fmt.Errorf("document %d: %w: %w", i, ErrMalformed, err)
		}
		for j, item := range list.Items {
			o, err := s.Decode(item, opts)
			if j == 0 {
				err = withProblems(err, problems)
			}
			if err := add(i, o, err); err != nil {
				return objs, fmt.Errorf("item %d: %w", j, err)
			}
		}
	}
	if len(strict.Problems) > 0 {
		return objs, &strict
	}
	return objs, nil
}

// withProblems adds YAML-level strict problems to the result of decoding
// the converted JSON (nil, or a *StrictError, or another error which wins).
func withProblems(err error, problems []string) error {
	if len(problems) == 0 {
		return err
	}
	var se *StrictError
	switch {
	case err == nil:
		return &StrictError{Problems: problems}
	case errors.As(err, &se):
		return &StrictError{Problems: append(append([]string(nil), problems...), se.Problems...)}
	}
	return err
}

// SplitYAML splits a multi-document YAML stream at "---" lines, dropping
// documents that hold only blanks and comments.
func SplitYAML(data []byte) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			r := bytes.TrimSpace(rest)
			if len(r) == 0 || r[0] == '#' {
				flush()
				continue
			}
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	flush()
	return docs, nil
}

func hasContent(doc []byte) bool {
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// toJSON returns data as JSON: JSON documents as they are, YAML converted.
// In strict mode the duplicate keys of a YAML document (which the
// conversion to JSON would hide) are returned as problems with their paths.
func toJSON(data []byte, strict bool) ([]byte, []string, error) {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		if !json.Valid(t) {
			return nil, nil, fmt.Errorf("%w: invalid JSON", ErrMalformed)
		}
		return t, nil, nil
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, nil, fmt.Errorf("%w: empty document", ErrMalformed)
	}
	if !strict {
		return js, nil, nil
	}
	var doc yamlv2.MapSlice
	if err := yamlv2.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var problems []string
	yamlDuplicates(doc, "", &problems)
	return js, problems, nil
}

// yamlDuplicates reports the keys that appear twice in one YAML mapping.
func yamlDuplicates(v any, path string, out *[]string) {
	switch t := v.(type) {
	case yamlv2.MapSlice:
		seen := make(map[string]bool, len(t))
		for _, item := range t {
			key := fmt.Sprint(item.Key)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if seen[key] {
				*out = append(*out, fmt.Sprintf("duplicate field %q", p))
			}
			seen[key] = true
			yamlDuplicates(item.Value, p, out)
		}
	case []any:
		for i, e := range t {
			yamlDuplicates(e, path+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// peekGVK reads apiVersion and kind.
func peekGVK(js []byte) (meta.GroupVersionKind, error) {
	var tm meta.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return meta.GroupVersionKind{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		return meta.GroupVersionKind{}, ErrMissingKind
	}
	return tm.GroupVersionKind()
}
