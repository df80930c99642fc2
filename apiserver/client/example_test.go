package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/store/memory"
)

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An in-process API server on an in-memory store.
	st := memory.New(nil)
	defer st.Close()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	srv.Start(ctx)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	c, _ := client.New(&client.Config{Host: hs.URL})
	cms := client.MustFor[*core.ConfigMap](c).Namespace("default")
	cms.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "settings"}, Data: map[string]string{"mode": "fast"}}, client.WriteOptions{})
	cm, err := cms.Get(ctx, "settings")
	fmt.Println(cm.Data["mode"], err)
	// Output: fast <nil>
}
