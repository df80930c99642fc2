package storage

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestAttrSet(t *testing.T) {
	long := strings.Repeat("v", 300) // a length over one varint byte
	for _, m := range []map[string]string{
		nil,
		{},
		{"app": "web"},
		{"b": "2", "a": "1", "c": "", "": "empty key", "k\x00": "nul", "long": long},
	} {
		a := NewAttrSet(m)
		if a.Len() != len(m) || !maps.Equal(a.Map(), m) && len(m) > 0 {
			t.Fatalf("%v: packed %q, len %d, map %v", m, a.packed, a.Len(), a.Map())
		}
		for k, v := range m {
			if !a.Has(k) || a.Get(k) != v {
				t.Errorf("%v: Has(%q) %v, Get %q", m, k, a.Has(k), a.Get(k))
			}
		}
		for _, k := range []string{"zz", "a0", "0", "ap"} {
			if _, in := m[k]; !in && (a.Has(k) || a.Get(k) != "") {
				t.Errorf("%v: absent %q found", m, k)
			}
		}
	}
	// The same pairs pack the same whatever the map's order.
	x := NewAttrSet(map[string]string{"x": "1", "y": "2", "z": "3"})
	y := NewAttrSet(map[string]string{"z": "3", "y": "2", "x": "1"})
	if x != y {
		t.Fatalf("%q != %q", x.packed, y.packed)
	}
	// A corrupt packing ends the walk instead of panicking.
	for _, bad := range []string{"\x05ab", "\xff", "\x01a\x09b", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"} {
		a := AttrSet{packed: bad}
		if a.Has("a") || a.Len() > 1 {
			t.Errorf("corrupt %q: Has(a) %v Len %d", bad, a.Has("a"), a.Len())
		}
	}
}

func BenchmarkAttrSetGet(b *testing.B) {
	m := map[string]string{}
	for i := range 10 {
		m[fmt.Sprintf("spec.field%d", i)] = fmt.Sprint("value", i)
	}
	a := NewAttrSet(m)
	b.ReportAllocs()
	for b.Loop() {
		if a.Get("spec.field7") != "value7" {
			b.Fatal("wrong")
		}
	}
}
