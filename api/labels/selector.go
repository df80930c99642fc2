package labels

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

// ErrInvalidSelector is wrapped by every error of Parse, NewRequirement and
// FromLabelSelector.
var ErrInvalidSelector = errors.New("invalid label selector")

// Operator is the relation a Requirement asks of a label.
type Operator string

// The operators, with their text in the selector syntax.
const (
	DoesNotExist Operator = "!"
	Equals       Operator = "="
	DoubleEquals Operator = "=="
	In           Operator = "in"
	NotEquals    Operator = "!="
	NotIn        Operator = "notin"
	Exists       Operator = "exists"
	GreaterThan  Operator = "gt"
	LessThan     Operator = "lt"
)

// Requirement is one condition on one label key. Build it with
// NewRequirement; the zero value is not valid.
type Requirement struct {
	key    string
	op     Operator
	values []string // sorted, deduplicated
}

// Requirements is a list of Requirements, all of which must hold.
type Requirements []Requirement

// NewRequirement returns the requirement that label key relates to values
// by op. It checks key is a qualified name and each value a label value,
// and that the number of values suits op: one for =, == and !=; at least
// one for in and notin; one integer for gt and lt; none for exists and !.
func NewRequirement(key string, op Operator, values []string) (*Requirement, error) {
	if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
		return nil, fmt.Errorf("%w: key %q: %s", ErrInvalidSelector, key, strings.Join(msgs, "; "))
	}
	switch op {
	case In, NotIn:
		if len(values) == 0 {
			return nil, fmt.Errorf("%w: key %q: for 'in', 'notin' operators, values set can't be empty", ErrInvalidSelector, key)
		}
	case Equals, DoubleEquals, NotEquals:
		if len(values) != 1 {
			return nil, fmt.Errorf("%w: key %q: exact-match compatibility requires one single value", ErrInvalidSelector, key)
		}
	case Exists, DoesNotExist:
		if len(values) != 0 {
			return nil, fmt.Errorf("%w: key %q: values set must be empty for exists and does not exist", ErrInvalidSelector, key)
		}
	case GreaterThan, LessThan:
		if len(values) != 1 {
			return nil, fmt.Errorf("%w: key %q: for 'Gt', 'Lt' operators, exactly one value is required", ErrInvalidSelector, key)
		}
		if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			return nil, fmt.Errorf("%w: key %q: for 'Gt', 'Lt' operators, the value must be an integer", ErrInvalidSelector, key)
		}
	default:
		return nil, fmt.Errorf("%w: key %q: operator %q is not recognized", ErrInvalidSelector, key, op)
	}
	for _, v := range values {
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			return nil, fmt.Errorf("%w: key %q: value %q: %s", ErrInvalidSelector, key, v, strings.Join(msgs, "; "))
		}
	}
	vs := slices.Clone(values)
	slices.Sort(vs)
	return &Requirement{key: key, op: op, values: slices.Compact(vs)}, nil
}

// Key returns the label key r is about.
func (r Requirement) Key() string { return r.key }

// Operator returns r's operator.
func (r Requirement) Operator() Operator { return r.op }

// Values returns a copy of r's values, sorted.
func (r Requirement) Values() []string { return slices.Clone(r.values) }

// Matches reports whether ls satisfies r. A missing label satisfies only
// !=, notin and !; gt and lt need an integer label value.
func (r Requirement) Matches(ls Labels) bool {
	switch r.op {
	case In, Equals, DoubleEquals:
		return ls.Has(r.key) && r.hasValue(ls.Get(r.key))
	case NotIn, NotEquals:
		return !ls.Has(r.key) || !r.hasValue(ls.Get(r.key))
	case Exists:
		return ls.Has(r.key)
	case DoesNotExist:
		return !ls.Has(r.key)
	case GreaterThan, LessThan:
		if !ls.Has(r.key) || len(r.values) != 1 {
			return false
		}
		have, err := strconv.ParseInt(ls.Get(r.key), 10, 64)
		if err != nil {
			return false
		}
		want, err := strconv.ParseInt(r.values[0], 10, 64)
		if err != nil {
			return false
		}
		if r.op == GreaterThan {
			return have > want
		}
		return have < want
	}
	return false
}

func (r Requirement) hasValue(v string) bool {
	_, ok := slices.BinarySearch(r.values, v)
	return ok
}

// String returns r in the selector syntax: "k=v", "k in (a,b)", "!k".
func (r Requirement) String() string {
	var b strings.Builder
	if r.op == DoesNotExist {
		b.WriteByte('!')
	}
	b.WriteString(r.key)
	switch r.op {
	case Equals:
		b.WriteByte('=')
	case DoubleEquals:
		b.WriteString("==")
	case NotEquals:
		b.WriteString("!=")
	case In:
		b.WriteString(" in ")
	case NotIn:
		b.WriteString(" notin ")
	case GreaterThan:
		b.WriteByte('>')
	case LessThan:
		b.WriteByte('<')
	case Exists, DoesNotExist:
		return b.String()
	}
	if r.op == In || r.op == NotIn {
		b.WriteByte('(')
		b.WriteString(strings.Join(r.values, ","))
		b.WriteByte(')')
	} else if len(r.values) > 0 {
		b.WriteString(r.values[0])
	}
	return b.String()
}

// Selector selects label sets.
type Selector interface {
	// Matches reports whether ls satisfies the selector.
	Matches(ls Labels) bool
	// Empty reports whether the selector has no requirements (and so
	// matches everything).
	Empty() bool
	// String returns the canonical text form, which Parse reads back.
	String() string
	// Requirements returns the requirements, sorted by key; selectable is
	// false for the selector that matches nothing.
	Requirements() (reqs Requirements, selectable bool)
	// Add returns a selector with the extra requirements.
	Add(reqs ...Requirement) Selector
	// RequiresExactMatch returns the value label must have for the
	// selector to match, when an = or == requirement (or an "in" with one
	// value) pins it.
	RequiresExactMatch(label string) (value string, found bool)
}

// requirementSelector is the selector made of requirements, kept sorted.
type requirementSelector Requirements

var (
	_ Selector = requirementSelector(nil)
	_ Selector = nothingSelector{}
)

// Everything returns the selector that matches every label set.
func Everything() Selector { return requirementSelector(nil) }

func (s requirementSelector) Matches(ls Labels) bool {
	for _, r := range s {
		if !r.Matches(ls) {
			return false
		}
	}
	return true
}

func (s requirementSelector) Empty() bool { return len(s) == 0 }

func (s requirementSelector) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

func (s requirementSelector) Requirements() (Requirements, bool) {
	return slices.Clone(Requirements(s)), true
}

func (s requirementSelector) Add(reqs ...Requirement) Selector {
	out := make(requirementSelector, 0, len(s)+len(reqs))
	out = append(out, s...)
	for _, r := range reqs {
		r.values = slices.Clone(r.values)
		out = append(out, r)
	}
	out.sort()
	return out
}

func (s requirementSelector) RequiresExactMatch(label string) (string, bool) {
	for _, r := range s {
		if r.key != label {
			continue
		}
		switch r.op {
		case Equals, DoubleEquals, In:
			if len(r.values) == 1 {
				return r.values[0], true
			}
		}
	}
	return "", false
}

// sort orders by key, then by text, so String is canonical.
func (s requirementSelector) sort() {
	slices.SortStableFunc(s, func(a, b Requirement) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.String(), b.String())
	})
}

// nothingSelector matches nothing: a nil meta.LabelSelector.
type nothingSelector struct{}

// Nothing returns the selector that matches no label set.
func Nothing() Selector { return nothingSelector{} }

func (nothingSelector) Matches(Labels) bool                      { return false }
func (nothingSelector) Empty() bool                              { return false }
func (nothingSelector) String() string                           { return "" }
func (nothingSelector) Requirements() (Requirements, bool)       { return nil, false }
func (n nothingSelector) Add(...Requirement) Selector            { return n }
func (nothingSelector) RequiresExactMatch(string) (string, bool) { return "", false }

// SelectorFromSet returns the selector requiring key=value for every entry
// of ls; an empty ls gives Everything. Keys and values are not checked (a
// Set taken from a valid object is valid); see ValidatedSelectorFromSet.
func SelectorFromSet(ls Set) Selector {
	s := make(requirementSelector, 0, len(ls))
	for k, v := range ls {
		s = append(s, Requirement{key: k, op: Equals, values: []string{v}})
	}
	s.sort()
	return s
}

// ValidatedSelectorFromSet is SelectorFromSet that checks keys and values.
func ValidatedSelectorFromSet(ls Set) (Selector, error) {
	s := make(requirementSelector, 0, len(ls))
	for k, v := range ls {
		r, err := NewRequirement(k, Equals, []string{v})
		if err != nil {
			return nil, err
		}
		s = append(s, *r)
	}
	s.sort()
	return s, nil
}

// FromLabelSelector converts an object's label selector: nil gives
// Nothing, an empty one Everything; matchLabels become = requirements and
// matchExpressions In, NotIn, Exists and DoesNotExist requirements. An
// unknown operator, or keys, values or value counts that do not suit, give
// an error.
func FromLabelSelector(ls *meta.LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	s := make(requirementSelector, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	for k, v := range ls.MatchLabels {
		r, err := NewRequirement(k, Equals, []string{v})
		if err != nil {
			return nil, err
		}
		s = append(s, *r)
	}
	for _, e := range ls.MatchExpressions {
		var op Operator
		switch e.Operator {
		case meta.LabelSelectorOpIn:
			op = In
		case meta.LabelSelectorOpNotIn:
			op = NotIn
		case meta.LabelSelectorOpExists:
			op = Exists
		case meta.LabelSelectorOpDoesNotExist:
			op = DoesNotExist
		default:
			return nil, fmt.Errorf("%w: %q is not a valid label selector operator", ErrInvalidSelector, e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return nil, err
		}
		s = append(s, *r)
	}
	s.sort()
	return s, nil
}
