package unstructured

import (
	"encoding/json"
	"testing"
)

func TestRoundTripAndCopy(t *testing.T) {
	in := `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"},"resourceVersion":"7","creationTimestamp":"2026-01-02T03:04:05Z"},"spec":{"size":3,"big":12345678901234567890,"tags":["x"]},"status":{"ok":true}}`
	var o Object
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if o.Kind != "Widget" || o.Name != "w" || o.ResourceVersion != "7" || o.Labels["a"] != "b" {
		t.Fatalf("decoded %+v", o)
	}
	if v, ok := o.NestedField("spec", "size"); !ok || v.(json.Number) != "3" {
		t.Fatalf("spec.size = %v", v)
	}
	out, err := json.Marshal(&o)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal([]byte(in), &a)
	json.Unmarshal(out, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("round trip changed the object:\n%s\n%s", ja, jb)
	}
	if want := `"big":12345678901234567890`; !json.Valid(out) || !contains(string(out), want) {
		t.Fatalf("large number lost precision: %s", out)
	}
	c := o.DeepCopy()
	c.SetNestedField("changed", "spec", "tags")
	c.Labels["a"] = "z"
	if v, _ := o.NestedField("spec", "tags"); v.([]any)[0] != "x" || o.Labels["a"] != "b" {
		t.Fatal("copy shares memory with the original")
	}
	if err := c.SetNestedField(1, "spec", "size", "deeper"); err == nil {
		t.Fatal("setting below a scalar must fail")
	}
	if err := json.Unmarshal([]byte(`[1]`), &o); err == nil {
		t.Fatal("a JSON array is not an object")
	}
	if err := json.Unmarshal([]byte(`{"kind":5}`), &o); err == nil {
		t.Fatal("a numeric kind is not valid")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
