// Package field names the fields of an API object and reports what is wrong
// with them, in the shape of Kubernetes' field errors: a Path such as
// spec.containers[0].name, an Error with a Type, the Field path, the bad
// value and a detail, and an ErrorList a validator returns. An ErrorList's
// text matches Kubernetes', so clients that show validation failures show
// the same messages.
package field

import (
	"strconv"
	"strings"
)

// Path is the location of a field inside an object, built from the root
// down: NewPath("spec").Child("containers").Index(0). Paths are immutable;
// every step returns a new Path sharing its parent. A nil *Path is the
// empty path.
type Path struct {
	name   string // a field name; empty for an index or key step
	index  string // the text inside [...] for an index or key step
	isStep bool   // whether this step is an index or key
	parent *Path
}

// NewPath returns the path of a top-level field and optional children:
// NewPath("metadata", "labels") is metadata.labels.
func NewPath(name string, more ...string) *Path {
	p := &Path{name: name}
	for _, n := range more {
		p = &Path{name: n, parent: p}
	}
	return p
}

// Child returns the path of field name (and optional children) under p.
func (p *Path) Child(name string, more ...string) *Path {
	c := &Path{name: name, parent: p}
	for _, n := range more {
		c = &Path{name: n, parent: c}
	}
	return c
}

// Index returns the path of element i of the list at p: spec.containers[0].
func (p *Path) Index(i int) *Path {
	return &Path{index: strconv.Itoa(i), isStep: true, parent: p}
}

// Key returns the path of entry k of the map at p: metadata.labels[app].
func (p *Path) Key(k string) *Path {
	return &Path{index: k, isStep: true, parent: p}
}

// Root returns the first step of p.
func (p *Path) Root() *Path {
	for p != nil && p.parent != nil {
		p = p.parent
	}
	return p
}

// String returns the path as Kubernetes writes it: spec.containers[0].name.
// The empty (nil) path is "".
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	var steps []*Path
	for s := p; s != nil; s = s.parent {
		steps = append(steps, s)
	}
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.isStep {
			b.WriteByte('[')
			b.WriteString(s.index)
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}
