// Package deepcopytest checks generated deep-copy functions by reflection:
// it fills every exported field of a value with non-zero data, copies it,
// and checks that the copy is equal and shares no memory with the
// original, both by comparing pointers and by mutating the copy in place
// and checking that the original did not change.
package deepcopytest

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

// maxDepth bounds recursion through self-referencing types.
const maxDepth = 12

var (
	timeType      = reflect.TypeFor[meta.Time]()
	microTimeType = reflect.TypeFor[meta.MicroTime]()
	durationType  = reflect.TypeFor[meta.Duration]()
	quantityType  = reflect.TypeFor[resource.Quantity]()
	intstrType    = reflect.TypeFor[intstr.IntOrString]()
	stdTimeType   = reflect.TypeFor[time.Time]()
)

// special returns the value for a type with unexported or constrained
// internals, varied by seed, or false for ordinary types.
func special(t reflect.Type, seed int) (reflect.Value, bool) {
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(seed) * time.Second)
	var v any
	switch t {
	case timeType:
		v = meta.NewTime(base)
	case microTimeType:
		v = meta.MicroTime{Time: base.Add(123456 * time.Microsecond)}
	case durationType:
		v = meta.Duration{Duration: time.Duration(seed) * time.Minute}
	case stdTimeType:
		v = base
	case quantityType:
		v = resource.MustParse(strconv.Itoa(seed) + "500m")
	case intstrType:
		if seed%2 == 0 {
			v = intstr.FromString("p" + strconv.Itoa(seed))
		} else {
			v = intstr.FromInt(int32(seed))
		}
	default:
		return reflect.Value{}, false
	}
	return reflect.ValueOf(v), true
}

// Fill sets every exported field reachable from ptr (a non-nil pointer)
// to non-zero data derived from seed: pointers are allocated, slices get
// two elements and maps two entries. The same seed gives equal values.
func Fill(ptr any, seed int) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	f := &filler{n: seed * 1000}
	f.fill(v.Elem(), 0)
}

type filler struct{ n int }

func (f *filler) next() int { f.n++; return f.n }

func (f *filler) fill(v reflect.Value, depth int) {
	if depth > maxDepth || !v.CanSet() {
		return
	}
	if s, ok := special(v.Type(), f.next()); ok {
		v.Set(s)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMapWithSize(v.Type(), 2)
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			f.fill(k, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString("s" + strconv.Itoa(f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.next() % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.next() % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.5)
	}
}

// Mutate changes, in place, every exported value reachable from ptr:
// existing pointers, slice elements and map entries are written through,
// and every map gets one more entry. If a copy shares memory with its
// original, mutating the copy changes the original.
func Mutate(ptr any) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	f := &filler{n: 1 << 20}
	f.mutate(v.Elem(), 0)
}

func (f *filler) mutate(v reflect.Value, depth int) {
	if depth > maxDepth {
		return
	}
	if s, ok := special(v.Type(), f.next()); ok {
		if v.CanSet() {
			v.Set(s)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			f.mutate(v.Elem(), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.mutate(v.Field(i), depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			f.mutate(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			f.mutate(e, depth+1)
			v.SetMapIndex(k, e)
		}
		k := reflect.New(v.Type().Key()).Elem()
		f.fill(k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		f.fill(e, depth+1)
		v.SetMapIndex(k, e)
	default:
		if v.CanSet() {
			f.fill(v, depth)
		}
	}
}

// Shared returns the paths at which a and b (values of the same type)
// hold the same pointer, map or slice backing array. Unexported fields
// are not inspected.
func Shared(a, b any) []string {
	var out []string
	shared(reflect.ValueOf(a), reflect.ValueOf(b), "", &out, 0)
	return out
}

func shared(a, b reflect.Value, path string, out *[]string, depth int) {
	if depth > maxDepth || !a.IsValid() || !b.IsValid() {
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return
		}
		// Zero-size values share one address in Go and cannot be changed
		// through a pointer, so their identity says nothing.
		if a.Pointer() == b.Pointer() && depth > 0 && a.Type().Elem().Size() > 0 {
			*out = append(*out, path)
			return
		}
		shared(a.Elem(), b.Elem(), path, out, depth+1)
	case reflect.Struct:
		if _, ok := special(a.Type(), 0); ok {
			return
		}
		for i := range a.NumField() {
			fld := a.Type().Field(i)
			if fld.IsExported() {
				shared(a.Field(i), b.Field(i), path+"."+fld.Name, out, depth+1)
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		for i := range min(a.Len(), b.Len()) {
			shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), out, depth+1)
		}
	case reflect.Map:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				shared(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k), out, depth+1)
			}
		}
	}
}

// Check fills a new value from newObj, copies it with copyFn and fails tb
// unless the copy is reflect.DeepEqual to the original, shares no memory
// with it, and mutating the copy leaves the original unchanged.
func Check[T any](tb testing.TB, newObj func() T, copyFn func(T) T) {
	tb.Helper()
	orig, snapshot := newObj(), newObj()
	Fill(orig, 1)
	Fill(snapshot, 1)
	if !reflect.DeepEqual(orig, snapshot) {
		tb.Fatalf("%T: Fill is not deterministic", orig)
	}
	if reflect.DeepEqual(orig, newObj()) {
		tb.Fatalf("%T: Fill left the value empty", orig)
	}
	cp := copyFn(orig)
	if !reflect.DeepEqual(orig, cp) {
		tb.Fatalf("%T: copy differs from the original", orig)
	}
	if paths := Shared(orig, cp); len(paths) > 0 {
		tb.Errorf("%T: copy shares memory with the original at %v", orig, paths)
	}
	Mutate(cp)
	if reflect.DeepEqual(cp, snapshot) {
		tb.Fatalf("%T: Mutate changed nothing", orig)
	}
	if !reflect.DeepEqual(orig, snapshot) {
		tb.Errorf("%T: mutating the copy changed the original", orig)
	}
}
