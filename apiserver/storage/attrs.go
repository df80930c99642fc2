package storage

import (
	"encoding/binary"
	"slices"
	"strings"
)

// Attrs are the parts of an object that label and field selectors look
// at, kept beside the objects the cache holds as JSON only.
type Attrs struct {
	Labels AttrSet
	Fields AttrSet
}

// AttrSet is an immutable set of key-value pairs (an object's labels or
// its selectable fields), packed into one string: with 10,000 objects
// cached, maps of small strings would be hundreds of thousands of objects
// for the garbage collector to mark, and an AttrSet is one, with no
// pointers inside. It has the Has and Get methods of labels.Labels and
// fields.Fields, so selectors match it directly.
type AttrSet struct {
	packed string // sorted by key: uvarint(len(k)) k uvarint(len(v)) v ...
}

// NewAttrSet packs m.
func NewAttrSet(m map[string]string) AttrSet {
	if len(m) == 0 {
		return AttrSet{}
	}
	keys := make([]string, 0, len(m))
	n := 0
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 2*binary.MaxVarintLen32
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		v := m[k]
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return AttrSet{packed: string(b)}
}

// each calls fn for every pair, in key order, until it returns false.
func (a AttrSet) each(fn func(k, v string) bool) {
	s := a.packed
	for len(s) > 0 {
		k, rest, ok := cut(s)
		if !ok {
			return
		}
		v, rest, ok := cut(rest)
		if !ok || !fn(k, v) {
			return
		}
		s = rest
	}
}

// cut splits a length-prefixed string off s.
func cut(s string) (head, rest string, ok bool) {
	var n uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		n |= uint64(s[i]&0x7f) << (7 * i)
		if s[i] < 0x80 {
			s = s[i+1:]
			if uint64(len(s)) < n {
				return "", "", false
			}
			return s[:n], s[n:], true
		}
	}
	return "", "", false
}

// lookup returns the value of key and whether it is present.
func (a AttrSet) lookup(key string) (value string, found bool) {
	a.each(func(k, v string) bool {
		switch strings.Compare(k, key) {
		case 0:
			value, found = v, true
			return false
		case 1: // sorted: key is not there
			return false
		}
		return true
	})
	return value, found
}

// Has reports whether key is in the set.
func (a AttrSet) Has(key string) bool {
	_, ok := a.lookup(key)
	return ok
}

// Get returns the value of key, or "" when it is absent.
func (a AttrSet) Get(key string) string {
	v, _ := a.lookup(key)
	return v
}

// Len returns the number of pairs.
func (a AttrSet) Len() int {
	n := 0
	a.each(func(string, string) bool { n++; return true })
	return n
}

// Map returns the pairs as a new map.
func (a AttrSet) Map() map[string]string {
	m := make(map[string]string)
	a.each(func(k, v string) bool { m[k] = v; return true })
	return m
}
