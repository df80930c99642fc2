package validation

import (
	"reflect"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

var (
	quantityType  = reflect.TypeOf(resource.Quantity{})
	timeType      = reflect.TypeOf(meta.Time{})
	microTimeType = reflect.TypeOf(meta.MicroTime{})
)

// SemanticEqual reports whether a and b are equal as API values, the way
// Kubernetes' equality.Semantic compares them: like reflect.DeepEqual, but
// Quantities compare by value ("1" equals "1000m"), timestamps by instant
// (whatever their location), and a nil slice or map equals an empty one.
func SemanticEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == b
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	return semanticEqual(va, vb, 0)
}

// maxDepth stops a walk around a pointer cycle; API types have none.
const maxDepth = 100

func semanticEqual(a, b reflect.Value, depth int) bool {
	if depth > maxDepth {
		return false
	}
	if a.CanInterface() {
		switch a.Type() {
		case quantityType:
			return a.Interface().(resource.Quantity).Equal(b.Interface().(resource.Quantity))
		case timeType:
			return a.Interface().(meta.Time).Time.Equal(b.Interface().(meta.Time).Time)
		case microTimeType:
			return a.Interface().(meta.MicroTime).Time.Equal(b.Interface().(meta.MicroTime).Time)
		}
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		ea, eb := a.Elem(), b.Elem()
		if ea.Type() != eb.Type() {
			return false
		}
		return semanticEqual(ea, eb, depth+1)
	case reflect.Struct:
		for i := range a.NumField() {
			if !semanticEqual(a.Field(i), b.Field(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		fallthrough
	case reflect.Array:
		for i := range a.Len() {
			if !semanticEqual(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			vb := b.MapIndex(it.Key())
			if !vb.IsValid() || !semanticEqual(it.Value(), vb, depth+1) {
				return false
			}
		}
		return true
	case reflect.Func:
		return a.IsNil() && b.IsNil()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	}
	return false
}
