// Package jsonraw walks JSON text without decoding it into Go values: it
// finds the members of an object and the extent of a value as byte ranges of
// the input. The API server uses it where decoding a whole object into maps
// only to copy most of it back out would dominate the cost: applying a JSON
// merge patch, and writing a resourceVersion into an object's stored
// encoding.
//
// The functions expect valid JSON (check with encoding/json.Valid when the
// text comes from a client); on anything else they return an error, never
// panic and never read out of bounds.
package jsonraw

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by every error about malformed input.
var ErrSyntax = errors.New("jsonraw: malformed JSON")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-whitespace byte of d at or
// after i (len(d) if there is none).
func SkipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// Skip returns the index just past the JSON value that starts at d[i]
// (leading whitespace allowed).
func Skip(d []byte, i int) (int, error) {
	i = SkipSpace(d, i)
	if i >= len(d) {
		return 0, fmt.Errorf("%w: value expected at offset %d", ErrSyntax, i)
	}
	switch d[i] {
	case '"':
		return skipString(d, i)
	case '{', '[':
		depth := 0
		for i < len(d) {
			switch d[i] {
			case '"':
				end, err := skipString(d, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, fmt.Errorf("%w: unterminated object or array", ErrSyntax)
	default:
		start := i
		for i < len(d) {
			c := d[i]
			if c == ',' || c == '}' || c == ']' || c == ':' || isSpace(c) {
				break
			}
			i++
		}
		if i == start {
			return 0, fmt.Errorf("%w: unexpected %q at offset %d", ErrSyntax, d[i], i)
		}
		return i, nil
	}
}

// skipString returns the index just past the string starting at d[i] == '"'.
func skipString(d []byte, i int) (int, error) {
	for j := i + 1; j < len(d); j++ {
		switch d[j] {
		case '\\':
			j++ // the escaped byte; \uXXXX's hex digits need no care
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: unterminated string", ErrSyntax)
}

// IsObject reports whether the value v (leading whitespace allowed) is an
// object.
func IsObject(v []byte) bool {
	i := SkipSpace(v, 0)
	return i < len(v) && v[i] == '{'
}

// IsNull reports whether the value v (surrounding whitespace allowed) is
// the literal null.
func IsNull(v []byte) bool {
	i := SkipSpace(v, 0)
	return len(v)-i >= 4 && string(v[i:i+4]) == "null" && SkipSpace(v, i+4) == len(v)
}

// Members calls fn for each member of the object obj, in order, with the
// member's key still quoted (as in the input) and its value's bytes, both
// sub-slices of obj. It stops at the first error fn returns and returns it.
// obj must be a single object (surrounding whitespace allowed).
func Members(obj []byte, fn func(key, value []byte) error) error {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return fmt.Errorf("%w: object expected", ErrSyntax)
	}
	i = SkipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return trailing(obj, i+1)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return fmt.Errorf("%w: member name expected at offset %d", ErrSyntax, i)
		}
		kend, err := skipString(obj, i)
		if err != nil {
			return err
		}
		key := obj[i:kend]
		i = SkipSpace(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("%w: ':' expected at offset %d", ErrSyntax, i)
		}
		vstart := SkipSpace(obj, i+1)
		vend, err := Skip(obj, vstart)
		if err != nil {
			return err
		}
		if err := fn(key, obj[vstart:vend]); err != nil {
			return err
		}
		i = SkipSpace(obj, vend)
		if i >= len(obj) {
			return fmt.Errorf("%w: unterminated object", ErrSyntax)
		}
		switch obj[i] {
		case ',':
			i = SkipSpace(obj, i+1)
		case '}':
			return trailing(obj, i+1)
		default:
			return fmt.Errorf("%w: ',' or '}' expected at offset %d", ErrSyntax, i)
		}
	}
}

func trailing(d []byte, i int) error {
	if SkipSpace(d, i) != len(d) {
		return fmt.Errorf("%w: data after the object", ErrSyntax)
	}
	return nil
}

// Key returns the member name of a quoted key as Members passes it.
func Key(quoted []byte) (string, error) {
	if len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
		return "", fmt.Errorf("%w: %q is not a string", ErrSyntax, quoted)
	}
	inner := quoted[1 : len(quoted)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return s, nil
}
