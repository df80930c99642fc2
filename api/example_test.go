package api_test

import (
	"errors"
	"fmt"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/core"
)

// Decode picks the Go type from apiVersion and kind.
func ExampleDecode() {
	obj, err := api.Decode([]byte(`
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx
`), api.DecodeOptions{Strict: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	pod := obj.(*core.Pod)
	fmt.Println(pod.Name, pod.Spec.Containers[0].Image)
	// Output: web nginx
}

// Strict decoding lists every unknown field with its path.
func ExampleDecode_strict() {
	_, err := api.Decode([]byte(`
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    imagee: nginx
  restartpolicy: Never
`), api.DecodeOptions{Strict: true})
	var se *api.StrictError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// unknown field "spec.containers[0].imagee"
	// unknown field "spec.restartpolicy"
}

// Encode sets apiVersion and kind from the scheme.
func ExampleEncode() {
	cm := &core.ConfigMap{Data: map[string]string{"k": "v"}}
	cm.Name = "settings"
	b, _ := api.Encode(cm)
	fmt.Println(string(b))
	// Output:
	// {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","creationTimestamp":null},"data":{"k":"v"}}
}

// Kinds are found the way kubectl resolves names.
func ExampleScheme_ByName() {
	for _, name := range []string{"po", "deploy", "clusterroles"} {
		k := api.Builtin().ByName(name)[0]
		fmt.Println(name, "=>", k.GVR.Resource, k.GVK.Kind, k.Namespaced)
	}
	// Output:
	// po => pods Pod true
	// deploy => deployments Deployment true
	// clusterroles => clusterroles ClusterRole false
}
