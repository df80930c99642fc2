package namespace_test

import (
	"context"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/namespace"
)

// startController runs the controller in a Manager.
func startController(ctx context.Context, c *client.Client) {
	m, err := controller.NewManager(c, nil)
	if err != nil {
		panic(err)
	}
	ctrl, _, err := namespace.New(m.Factory(), &namespace.Options{Metrics: m.Metrics()})
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

	_, _ = client.MustFor[*core.Namespace](c).Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: "scratch"}}, client.WriteOptions{})
	cms := client.MustFor[*core.ConfigMap](c).Namespace("scratch")
	_, _ = cms.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "leftover"}}, client.WriteOptions{})
	_ = client.MustFor[*core.Namespace](c).Delete(ctx, "scratch", nil)
	emptied := apiservertest.Poll(10*time.Second, func() bool {
		l, err := cms.List(ctx, client.ListOptions{})
		return err == nil && len(l.Items) == 0
	})
	fmt.Println("content deleted:", emptied)
	// Output: content deleted: true
}
