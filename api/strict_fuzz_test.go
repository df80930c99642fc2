package api

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/longshore/longshore/api/core"
)

// FuzzStrictProblems checks that strict checking never panics or hangs on
// any input, JSON or YAML, and that its reports are well formed.
func FuzzStrictProblems(f *testing.F) {
	for _, name := range []string{"testdata/pod.yaml", "testdata/strict-pod.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		if js, _, err := toJSON(data, false); err == nil {
			f.Add(js)
		}
	}
	f.Add([]byte(`{"a":{"b":[1,"x\"y",{"c":null}]},"metadata":{"name":"n","name":"m"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		problems, err := StrictProblems(data, &core.Pod{})
		if err != nil {
			return
		}
		for _, p := range problems {
			if len(p) < len(`unknown field ""`) {
				t.Fatalf("malformed problem %q", p)
			}
		}
		if json.Valid(data) {
			var v any
			if json.Unmarshal(data, &v) != nil {
				t.Fatal("valid JSON did not decode")
			}
		}
	})
}
