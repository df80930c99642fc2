package patch

import (
	"reflect"
	"testing"
)

// The fuzz targets check that no patch, however malformed, panics, and that
// a successful result is valid JSON. `go test` runs the seed corpus; `go
// test -fuzz FuzzX` explores further.

// referenceMerge is RFC 7386's MergePatch on decoded values, the
// definition Merge's work on text must agree with.
func referenceMerge(doc, patch []byte) (any, error) {
	p, err := decode(patch)
	if err != nil {
		return nil, err
	}
	d, err := decode(doc)
	if err != nil {
		return nil, err
	}
	var merge func(doc, patch any) any
	merge = func(doc, patch any) any {
		pm, ok := patch.(map[string]any)
		if !ok {
			return patch
		}
		dm, ok := doc.(map[string]any)
		if !ok {
			dm = map[string]any{}
		}
		for k, pv := range pm {
			if pv == nil {
				delete(dm, k)
				continue
			}
			dm[k] = merge(dm[k], pv)
		}
		return dm
	}
	return merge(d, p), nil
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a":{"b":1}}`), []byte(`{"a":{"b":null,"c":[1]}}`))
	f.Add([]byte(`[]`), []byte(`"x"`))
	f.Add([]byte(`{"a":1,"a":{"x":1},"b":[null]}`), []byte(`{"a":{"y":null,"z":{"q":null}},"a":{"w":2},"\u0062":null}`))
	f.Add([]byte(` { "k" : "v" , "n" : 1.50e3 } `), []byte(` { "n" : null , "m" : [ {"x":null} ] } `))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := Merge(doc, patch)
		want, werr := referenceMerge(doc, patch)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Merge error %v, reference error %v", err, werr)
		}
		if err != nil {
			return
		}
		got, derr := decode(out)
		if derr != nil {
			t.Fatalf("merge produced invalid JSON %q", out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Merge(%s, %s) = %s, the reference gives %v", doc, patch, out, want)
		}
	})
}

func FuzzJSONPatch(f *testing.F) {
	f.Add([]byte(`{"a":[1,2]}`), []byte(`[{"op":"add","path":"/a/-","value":3},{"op":"move","from":"/a/0","path":"/b"}]`))
	f.Add([]byte(`{}`), []byte(`[{"op":"copy","from":"","path":"/x"}]`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := JSON(doc, patch)
		if err == nil {
			if _, err := decode(out); err != nil {
				t.Fatalf("json patch produced invalid JSON %q", out)
			}
		}
	})
}

func FuzzStrategic(f *testing.F) {
	f.Add([]byte(base), []byte(`{"spec":{"containers":[{"name":"web","$patch":"delete"}]}}`))
	f.Add([]byte(base), []byte(`{"metadata":{"$retainKeys":["name"],"$setElementOrder/finalizers":["x"]}}`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := Strategic(doc, patch, reflect.TypeOf(tPod{}))
		if err == nil {
			if _, err := decode(out); err != nil {
				t.Fatalf("strategic patch produced invalid JSON %q", out)
			}
		}
	})
}
