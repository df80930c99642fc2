package deployment_test

import (
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/deployment"
)

// ExampleComputeHash shows how a ReplicaSet name is derived from a
// Deployment's template: <deployment>-<pod-template-hash>.
func ExampleComputeHash() {
	tmpl := core.PodTemplateSpec{
		ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       core.PodSpec{Containers: []core.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	fmt.Println("web-" + deployment.ComputeHash(&tmpl, nil))
	// Output: web-ct5xwt
}

// ExampleNew wires the controller on a shared informer factory; a
// Manager (or Start) runs it.
func ExampleNew() {
	c, err := client.New(&client.Config{Host: "http://127.0.0.1:8080"})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := controller.NewFactory(c, nil)
	ctrl, _, err := deployment.New(f, &deployment.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ctrl.Name())
	// Output: deployment-controller
}
