package website_test

import (
	"fmt"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/examples/customcontroller/website"
)

// Example shows what the controller creates for a Website.
func Example() {
	w := &website.Website{
		ObjectMeta: meta.ObjectMeta{Name: "hello", Namespace: "default", UID: "5f1c"},
		Spec:       website.Spec{Replicas: 2, Image: "nginx:1.27", Port: 80},
	}
	d := website.DesiredDeployment(w)
	owner := d.OwnerReferences[0]
	fmt.Printf("deployment %s: %d x %s, owned by %s %s/%s (controller %v)\n",
		d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, owner.APIVersion, owner.Kind, owner.Name, *owner.Controller)
	s := website.DesiredService(w)
	fmt.Printf("service %s: port %d -> %s, selector %s=%s\n",
		s.Name, s.Spec.Ports[0].Port, s.Spec.Ports[0].TargetPort.String(), website.LabelInstance, s.Spec.Selector[website.LabelInstance])
	// Output:
	// deployment hello: 2 x nginx:1.27, owned by demo.longshore.dev/v1 Website/hello (controller true)
	// service hello: port 80 -> 80, selector app.kubernetes.io/instance=hello
}

// ExampleComputeStatus turns a Deployment's status into the Website's.
func ExampleComputeStatus() {
	w := &website.Website{ObjectMeta: meta.ObjectMeta{Name: "hello", Generation: 3}, Spec: website.Spec{Replicas: 3}}
	now := meta.NewTime(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	for _, ready := range []int32{1, 3} {
		dep := &apps.Deployment{ObjectMeta: meta.ObjectMeta{Generation: 5},
			Status: apps.DeploymentStatus{ObservedGeneration: 5, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: ready}}
		st := website.ComputeStatus(w, dep, "", now)
		c := st.Condition(website.ConditionReady)
		fmt.Printf("readyReplicas %d: Ready=%s %s (%s)\n", st.ReadyReplicas, c.Status, c.Reason, c.Message)
	}
	// Output:
	// readyReplicas 1: Ready=False Progressing (1/3 replicas ready)
	// readyReplicas 3: Ready=True Available (3/3 replicas ready)
}
