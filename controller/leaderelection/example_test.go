package leaderelection_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/leaderelection"
	"github.com/longshore/longshore/store/memory"
)

func Example() {
	st := memory.New(nil)
	defer st.Close()
	srvCtx, stopSrv := context.WithCancel(context.Background())
	defer stopSrv()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	_ = srv.Start(srvCtx)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL})

	ctx, cancel := context.WithCancel(context.Background())
	e, err := leaderelection.New(c, leaderelection.Config{
		Namespace: "kube-system", Name: "my-controller", Identity: "replica-1",
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 100 * time.Millisecond,
		Callbacks: leaderelection.Callbacks{
			OnStartedLeading: func(ctx context.Context) {
				fmt.Println("leading")
				cancel() // work would run here until ctx is done
			},
			OnStoppedLeading: func() { fmt.Println("stopped leading") },
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run:", e.Run(ctx))
	// Output:
	// leading
	// stopped leading
	// run: <nil>
}
