package unstructured_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/unstructured"
)

func ExampleObject() {
	var o unstructured.Object
	json.Unmarshal([]byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":3}}`), &o)
	size, _ := o.NestedField("spec", "size")
	fmt.Println(o.Kind, o.Name, size)
	o.SetNestedField("big", "spec", "class")
	out, _ := json.Marshal(&o)
	fmt.Println(string(out))
	// Output:
	// Widget w 3
	// {"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","creationTimestamp":null},"spec":{"class":"big","size":3}}
}
