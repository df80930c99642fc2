package autoscaling_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/autoscaling"
	"github.com/longshore/longshore/api/meta"
)

// The body of a PUT to deployments/web/scale.
func ExampleScale() {
	s := autoscaling.Scale{
		TypeMeta:   meta.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       autoscaling.ScaleSpec{Replicas: 5},
	}
	b, _ := json.Marshal(&s)
	fmt.Println(string(b))
	// Output:
	// {"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web","namespace":"default","creationTimestamp":null},"spec":{"replicas":5},"status":{"replicas":0}}
}
