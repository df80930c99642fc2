package serviceaccount_test

import (
	"context"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/serviceaccount"
)

// startController runs the controller in a Manager.
func startController(ctx context.Context, c *client.Client) {
	m, err := controller.NewManager(c, nil)
	if err != nil {
		panic(err)
	}
	ctrl, _, err := serviceaccount.New(m.Factory(), &serviceaccount.Options{Metrics: m.Metrics()})
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

	_, _ = client.MustFor[*core.Namespace](c).Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: "team-a"}}, client.WriteOptions{})
	ok := apiservertest.Poll(10*time.Second, func() bool {
		_, err := client.MustFor[*core.ServiceAccount](c).Namespace("team-a").Get(ctx, serviceaccount.DefaultName)
		return err == nil
	})
	fmt.Println("team-a has a default service account:", ok)
	// Output: team-a has a default service account: true
}
