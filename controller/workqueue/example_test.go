package workqueue_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/controller/workqueue"
)

func Example() {
	q := workqueue.New[string](nil)
	q.Add("default/web")
	q.Add("default/db")
	q.Add("default/web") // already queued: no-op
	q.ShutDown()         // queued items are still handed out
	for {
		key, shutdown := q.Get(context.Background())
		if shutdown {
			break
		}
		fmt.Println(key)
		q.Forget(key)
		q.Done(key)
	}
	// Output:
	// default/web
	// default/db
}
