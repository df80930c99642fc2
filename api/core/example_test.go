package core_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

// A Pod written with the same JSON as Kubernetes.
func ExamplePod() {
	pod := core.Pod{
		TypeMeta:   meta.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: core.PodSpec{
			Containers: []core.Container{{
				Name:  "web",
				Image: "nginx",
				Resources: core.ResourceRequirements{
					Limits: core.ResourceList{core.ResourceCPU: resource.MustParse("500m")},
				},
				ReadinessProbe: &core.Probe{ProbeHandler: core.ProbeHandler{
					HTTPGet: &core.HTTPGetAction{Path: "/", Port: intstr.FromString("http")},
				}},
			}},
		},
	}
	b, _ := json.Marshal(&pod)
	fmt.Println(string(b))
	// Output:
	// {"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default","creationTimestamp":null},"spec":{"containers":[{"name":"web","image":"nginx","resources":{"limits":{"cpu":"500m"}},"readinessProbe":{"httpGet":{"path":"/","port":"http"}}}]},"status":{}}
}

// DeepCopy gives an independent copy, safe to change.
func ExamplePod_DeepCopy() {
	pod := &core.Pod{ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": "web"}}}
	cp := pod.DeepCopy()
	cp.Labels["app"] = "changed"
	fmt.Println(pod.Labels["app"], cp.Labels["app"])
	// Output: web changed
}

// PodFields gives the values field selectors match against.
func ExamplePodFields() {
	pod := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"}}
	pod.Spec.NodeName = "node-1"
	f := core.PodFields(pod)
	fmt.Println(f["spec.nodeName"], f["metadata.name"], f["status.phase"] == "")
	// Output: node-1 web true
}
