package apiserver

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"

	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/field"
)

// The structural subset of OpenAPI v3 that custom resources are validated
// against: type, required, enum, minimum/maximum (exclusive too),
// multipleOf, minLength/maxLength, pattern, minItems/maxItems,
// uniqueItems, minProperties/maxProperties, properties, items,
// additionalProperties, nullable, x-kubernetes-int-or-string and
// x-kubernetes-preserve-unknown-fields. Unknown fields are pruned (and
// reported, for fieldValidation Strict and Warn), and defaults applied,
// as Kubernetes does for structural schemas.

var patternCache sync.Map // string -> *regexp.Regexp or error

func compilePattern(p string) (*regexp.Regexp, error) {
	if v, ok := patternCache.Load(p); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		patternCache.Store(p, err)
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}

// validateSchema checks v against s, returning every violation with its
// path.
func validateSchema(path *field.Path, v any, s *apiextensions.JSONSchemaProps) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	if v == nil {
		if !s.Nullable && s.Type != "" {
			errs = append(errs, field.Invalid(path, "null", fmt.Sprintf("%s in body must be of type %s", path, s.Type)))
		}
		return errs
	}
	if s.XIntOrString {
		switch v.(type) {
		case string, json.Number:
		default:
			errs = append(errs, field.Invalid(path, v, "must be an integer or a string"))
		}
	} else if s.Type != "" && !typeMatches(s.Type, v) {
		return append(errs, field.Invalid(path, fmt.Sprint(v), fmt.Sprintf("%s in body must be of type %s: %q", path, s.Type, jsonType(v))))
	}
	if len(s.Enum) > 0 {
		ok := false
		enc, _ := json.Marshal(v)
		allowed := make([]string, 0, len(s.Enum))
		for _, e := range s.Enum {
			var ev any
			if json.Unmarshal(e, &ev) == nil {
				ee, _ := json.Marshal(ev)
				if string(ee) == string(enc) || jsonNumEqual(v, ev) {
					ok = true
				}
			}
			allowed = append(allowed, string(e))
		}
		if !ok {
			errs = append(errs, field.Invalid(path, v, fmt.Sprintf("supported values: %s", strings.Join(allowed, ", "))))
		}
	}
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			break
		}
		if s.Minimum != nil && (f < *s.Minimum || s.ExclusiveMinimum && f == *s.Minimum) {
			errs = append(errs, field.Invalid(path, t, fmt.Sprintf("should be greater than or equal to %v", *s.Minimum)))
		}
		if s.Maximum != nil && (f > *s.Maximum || s.ExclusiveMaximum && f == *s.Maximum) {
			errs = append(errs, field.Invalid(path, t, fmt.Sprintf("should be less than or equal to %v", *s.Maximum)))
		}
		if s.MultipleOf != nil && *s.MultipleOf != 0 {
			if q := f / *s.MultipleOf; math.Abs(q-math.Round(q)) > 1e-9 {
				errs = append(errs, field.Invalid(path, t, fmt.Sprintf("should be a multiple of %v", *s.MultipleOf)))
			}
		}
	case string:
		n := int64(len([]rune(t)))
		if s.MinLength != nil && n < *s.MinLength {
			errs = append(errs, field.Invalid(path, t, fmt.Sprintf("should be at least %d chars long", *s.MinLength)))
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			errs = append(errs, field.TooLong(path, t, int(*s.MaxLength)))
		}
		if s.Pattern != "" {
			if re, err := compilePattern(s.Pattern); err == nil && !re.MatchString(t) {
				errs = append(errs, field.Invalid(path, t, fmt.Sprintf("should match '%s'", s.Pattern)))
			}
		}
	case []any:
		if s.MinItems != nil && int64(len(t)) < *s.MinItems {
			errs = append(errs, field.Invalid(path, len(t), fmt.Sprintf("should have at least %d items", *s.MinItems)))
		}
		if s.MaxItems != nil && int64(len(t)) > *s.MaxItems {
			errs = append(errs, field.TooMany(path, len(t), int(*s.MaxItems)))
		}
		if s.UniqueItems {
			seen := map[string]bool{}
			for i, x := range t {
				k, _ := json.Marshal(x)
				if seen[string(k)] {
					errs = append(errs, field.Duplicate(path.Index(i), x))
				}
				seen[string(k)] = true
			}
		}
		if s.Items != nil {
			for i, x := range t {
				is := s.Items.Schema
				if len(s.Items.JSONSchemas) > 0 {
					is = nil
					if i < len(s.Items.JSONSchemas) {
						is = &s.Items.JSONSchemas[i]
					}
				}
				errs = append(errs, validateSchema(path.Index(i), x, is)...)
			}
		}
	case map[string]any:
		if s.MinProperties != nil && int64(len(t)) < *s.MinProperties {
			errs = append(errs, field.Invalid(path, len(t), fmt.Sprintf("should have at least %d properties", *s.MinProperties)))
		}
		if s.MaxProperties != nil && int64(len(t)) > *s.MaxProperties {
			errs = append(errs, field.TooMany(path, len(t), int(*s.MaxProperties)))
		}
		for _, r := range s.Required {
			if _, ok := t[r]; !ok {
				errs = append(errs, field.Required(path.Child(r), ""))
			}
		}
		for k, x := range t {
			if ps, ok := s.Properties[k]; ok {
				errs = append(errs, validateSchema(path.Child(k), x, &ps)...)
			} else if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				errs = append(errs, validateSchema(path.Key(k), x, s.AdditionalProperties.Schema)...)
			}
		}
	}
	return errs
}

func typeMatches(typ string, v any) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}
	return true
}

func jsonType(v any) string {
	switch t := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func jsonNumEqual(a, b any) bool {
	an, ok1 := a.(json.Number)
	bf, ok2 := b.(float64)
	if !ok1 || !ok2 {
		return false
	}
	af, err := an.Float64()
	return err == nil && af == bf
}

func preserves(s *apiextensions.JSONSchemaProps) bool {
	return s != nil && s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

// prune removes fields the schema does not declare (unless it preserves
// unknown fields) and records their paths in unknown.
func prune(path string, v any, s *apiextensions.JSONSchemaProps, unknown *[]string) {
	if s == nil {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if ps, ok := s.Properties[k]; ok {
				prune(p, x, &ps, unknown)
				continue
			}
			if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				prune(p, x, s.AdditionalProperties.Schema, unknown)
				continue
			}
			if s.AdditionalProperties != nil && s.AdditionalProperties.Allows {
				continue
			}
			if preserves(s) {
				continue
			}
			delete(t, k)
			*unknown = append(*unknown, fmt.Sprintf("unknown field %q", p))
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for i, x := range t {
				prune(fmt.Sprintf("%s[%d]", path, i), x, s.Items.Schema, unknown)
			}
		}
	}
}

// applySchemaDefaults fills in missing properties that have a default.
func applySchemaDefaults(v any, s *apiextensions.JSONSchemaProps) {
	if s == nil {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, ps := range s.Properties {
			if _, ok := t[k]; !ok && len(ps.Default) > 0 {
				if d, err := decodeNumberJSON(ps.Default); err == nil {
					t[k] = d
				}
			}
			if x, ok := t[k]; ok {
				ps := ps
				applySchemaDefaults(x, &ps)
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for _, x := range t {
				applySchemaDefaults(x, s.Items.Schema)
			}
		}
	}
}

func decodeNumberJSON(data []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
