package jsonraw_test

import (
	"fmt"

	"github.com/longshore/longshore/internal/jsonraw"
)

// Members walks the top level of an object without decoding the values.
func ExampleMembers() {
	doc := []byte(`{"kind":"Pod", "metadata":{"name":"web"}, "spec":{"containers":[]}}`)
	_ = jsonraw.Members(doc, func(key, value []byte) error {
		name, _ := jsonraw.Key(key)
		fmt.Printf("%s = %s\n", name, value)
		return nil
	})
	// Output:
	// kind = "Pod"
	// metadata = {"name":"web"}
	// spec = {"containers":[]}
}
