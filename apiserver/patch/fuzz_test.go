package patch

import (
	"reflect"
	"testing"
)

// The fuzz targets check that no patch, however malformed, panics, and that
// a successful result is valid JSON. `go test` runs the seed corpus; `go
// test -fuzz FuzzX` explores further.

func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a":{"b":1}}`), []byte(`{"a":{"b":null,"c":[1]}}`))
	f.Add([]byte(`[]`), []byte(`"x"`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := Merge(doc, patch)
		if err == nil {
			if _, err := decode(out); err != nil {
				t.Fatalf("merge produced invalid JSON %q", out)
			}
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
