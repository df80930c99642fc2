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

// exampleServer starts an in-process API server on a memory store.
func exampleServer(context.Context) (*client.Client, func()) {
	s, err := apiservertest.New(nil)
	if err != nil {
		panic(err)
	}
	return s.Client, s.Close
}

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

// poll calls f every 20 ms for up to 10 s until it returns true.
func poll(f func() bool) bool {
	for i := 0; i < 500; i++ {
		if f() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	c, stop := exampleServer(ctx)
	defer stop()
	defer cancel()
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
	poll(func() bool {
		ep, _ = client.MustFor[*core.Endpoints](c).Namespace("default").Get(ctx, "web")
		return ep != nil && len(ep.Subsets) == 1
	})
	s := ep.Subsets[0]
	fmt.Println(s.Addresses[0].IP, s.Addresses[0].TargetRef.Name, s.Ports[0].Name, s.Ports[0].Port)
	// Output: 192.0.2.7 web-1 http 8080
}
