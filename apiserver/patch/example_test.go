package patch_test

import (
	"fmt"
	"reflect"

	"github.com/longshore/longshore/apiserver/patch"
)

type container struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
}

type podSpec struct {
	Containers []container `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
}

type pod struct {
	Spec podSpec `json:"spec"`
}

// A strategic merge patch changes one container, found by name, and keeps
// the others; a merge patch would have replaced the whole list.
func ExampleStrategic() {
	doc := []byte(`{"spec":{"containers":[{"name":"web","image":"nginx:1"},{"name":"log","image":"busybox"}]}}`)
	p := []byte(`{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}`)

	out, _ := patch.Strategic(doc, p, reflect.TypeOf(pod{}))
	fmt.Println(string(out))
	out, _ = patch.Merge(doc, p)
	fmt.Println(string(out))
	// Output:
	// {"spec":{"containers":[{"image":"nginx:2","name":"web"},{"image":"busybox","name":"log"}]}}
	// {"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}
}
