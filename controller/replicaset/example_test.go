package replicaset_test

import (
	"context"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/replicaset"
)

// startController runs the controller in a Manager.
func startController(ctx context.Context, c *client.Client) {
	m, err := controller.NewManager(c, nil)
	if err != nil {
		panic(err)
	}
	ctrl, _, err := replicaset.New(m.Factory(), &replicaset.Options{Metrics: m.Metrics()})
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

	three := int32(3)
	rs := &apps.ReplicaSet{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: apps.ReplicaSetSpec{
			Replicas: &three,
			Selector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: core.PodTemplateSpec{
				ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       core.PodSpec{Containers: []core.Container{{Name: "web", Image: "web:1"}}},
			},
		},
	}
	_, _ = client.MustFor[*apps.ReplicaSet](c).Create(ctx, rs, client.WriteOptions{})
	var got *apps.ReplicaSet
	apiservertest.Poll(10*time.Second, func() bool {
		got, _ = client.MustFor[*apps.ReplicaSet](c).Namespace("default").Get(ctx, "web")
		return got != nil && got.Status.Replicas == 3
	})
	pods, _ := client.MustFor[*core.Pod](c).Namespace("default").List(ctx, client.ListOptions{LabelSelector: "app=web"})
	fmt.Println("status.replicas:", got.Status.Replicas, "pods:", len(pods.Items))
	// Output: status.replicas: 3 pods: 3
}
