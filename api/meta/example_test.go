package meta_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/meta"
)

// A failed request is answered with a Status object.
func ExampleStatus() {
	s := meta.Status{
		TypeMeta: meta.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   meta.StatusFailure,
		Message:  `pods "web" not found`,
		Reason:   meta.StatusReasonNotFound,
		Details:  &meta.StatusDetails{Name: "web", Kind: "pods"},
		Code:     404,
	}
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	// Output:
	// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web\" not found","reason":"NotFound","details":{"name":"web","kind":"pods"},"code":404}
}

// Controllers mark the objects they create with a controller reference.
func ExampleNewControllerRef() {
	rs := meta.ObjectMeta{Name: "web-5d8f9", UID: "0b7c1e2a"}
	pod := meta.ObjectMeta{Name: "web-5d8f9-x2k4p"}
	ref := meta.NewControllerRef(&rs, meta.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"})
	pod.OwnerReferences = append(pod.OwnerReferences, *ref)
	fmt.Println(meta.IsControlledBy(&pod, &rs), meta.GetControllerOf(&pod).Kind)
	// Output: true ReplicaSet
}

func ExampleObjectMeta_AddFinalizer() {
	var m meta.ObjectMeta
	m.AddFinalizer("example.com/cleanup")
	fmt.Println(m.HasFinalizer("example.com/cleanup"), m.RemoveFinalizer("example.com/cleanup"), len(m.Finalizers))
	// Output: true true 0
}
