package endpoints_test

import (
	"context"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/endpoints"
)

// startController runs the controller in a Manager.
func startController(ctx context.Context, c *client.Client) {
	m, err := controller.NewManager(c, nil)
	if err != nil {
		panic(err)
	}
	ctrl, _, err := endpoints.New(m.Factory(), &endpoints.Options{Metrics: m.Metrics()})
	if err != nil {
		panic(err)
	}
	_ = m.Add(ctrl)
	go m.Start(ctx)
}

func Example() {
	srv, err := apiservertest.New(nil) // an API server on a memory store
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close() // second: the server, once the controller is gone
	c := srv.Client
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // first: the controller and its informers
	startController(ctx, c)

	pods := client.MustFor[*core.Pod](c).Namespace("default")
	p, _ := pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web-1", Labels: map[string]string{"app": "web"}},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "web", Image: "web:1",
			Ports: []core.ContainerPort{{Name: "http", ContainerPort: 8080}}}}}}, client.WriteOptions{})
	// No kubelet here: report the pod running and ready ourselves.
	p.Status.Phase, p.Status.PodIP = core.PodRunning, "192.0.2.7"
	p.Status.Conditions = []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue}}
	_, _ = pods.UpdateStatus(ctx, p, client.WriteOptions{})
	_, _ = client.MustFor[*core.Service](c).Namespace("default").Create(ctx, &core.Service{ObjectMeta: meta.ObjectMeta{Name: "web"},
		Spec: core.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []core.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}}}, client.WriteOptions{})

	var ep *core.Endpoints
	apiservertest.Poll(10*time.Second, func() bool {
		ep, _ = client.MustFor[*core.Endpoints](c).Namespace("default").Get(ctx, "web")
		return ep != nil && len(ep.Subsets) == 1
	})
	s := ep.Subsets[0]
	fmt.Println(s.Addresses[0].IP, s.Addresses[0].TargetRef.Name, s.Ports[0].Name, s.Ports[0].Port)
	// Output: 192.0.2.7 web-1 http 8080
}
