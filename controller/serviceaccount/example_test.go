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
	ctrl, _, err := serviceaccount.New(m.Factory(), &serviceaccount.Options{Metrics: m.Metrics()})
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

	_, _ = client.MustFor[*core.Namespace](c).Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: "team-a"}}, client.WriteOptions{})
	ok := poll(func() bool {
		_, err := client.MustFor[*core.ServiceAccount](c).Namespace("team-a").Get(ctx, serviceaccount.DefaultName)
		return err == nil
	})
	fmt.Println("team-a has a default service account:", ok)
	// Output: team-a has a default service account: true
}
