package labels

import (
	"sort"
	"strings"
)

// Labels is read access to a set of labels.
type Labels interface {
	// Has reports whether label is present.
	Has(label string) bool
	// Get returns the value of label, or "" when absent.
	Get(label string) string
}

// Set is a map of labels; it implements Labels.
type Set map[string]string

var _ Labels = Set(nil)

// Has reports whether label is in s.
func (s Set) Has(label string) bool {
	_, ok := s[label]
	return ok
}

// Get returns the value of label in s.
func (s Set) Get(label string) string { return s[label] }

// String returns the labels as "k1=v1,k2=v2", sorted by key.
func (s Set) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s[k])
	}
	return b.String()
}

// AsSelector returns the selector that requires every label of s.
func (s Set) AsSelector() Selector { return SelectorFromSet(s) }
