package serviceaccount_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/serviceaccount"
	"github.com/longshore/longshore/store/memory"
)

// exampleServer starts an in-process API server on a memory store.
func exampleServer(ctx context.Context) (*client.Client, func()) {
	st := memory.New(nil)
	srv, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	c, err := client.New(&client.Config{Host: hs.URL})
	if err != nil {
		panic(err)
	}
	return c, func() { hs.Close(); st.Close() }
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
