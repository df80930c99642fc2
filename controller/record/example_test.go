package record_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/record"
	"github.com/longshore/longshore/store/memory"
)

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	st := memory.New(nil)
	defer st.Close()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	_ = srv.Start(ctx)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL})
	defer cancel() // runs before hs.Close

	r := record.New(c, &record.Options{Component: "example-controller"})
	go r.Start(ctx)
	cm := &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "settings", Namespace: "default", UID: "u1"}}
	r.Event(cm, record.Normal, "Synced", "configuration applied")
	r.Event(cm, record.Normal, "Synced", "configuration applied") // aggregated

	for range 100 {
		l, _ := client.MustFor[*core.Event](c).Namespace("default").List(ctx, client.ListOptions{})
		if len(l.Items) == 1 && l.Items[0].Count == 2 {
			e := l.Items[0]
			fmt.Println(e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Count)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Output: ConfigMap settings Synced 2
}
