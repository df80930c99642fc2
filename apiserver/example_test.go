package apiserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/store/memory"
)

// Example runs an API server over an in-memory store on a loopback test
// listener (plain HTTP, no authentication: NewSecure adds TLS, PKI,
// authentication and RBAC), then talks to it with the typed client and
// with raw HTTP, as kubectl would.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memory.New(nil)
	defer st.Close()

	srv, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Start loads the watch cache and creates the system namespaces,
	// default service accounts, bootstrap RBAC and priority classes.
	if err := srv.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	c, err := client.New(&client.Config{Host: hs.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	cms := client.MustFor[*core.ConfigMap](c).Namespace("default")
	cm, err := cms.Create(ctx, &core.ConfigMap{
		ObjectMeta: meta.ObjectMeta{Name: "settings"},
		Data:       map[string]string{"mode": "fast"},
	}, client.WriteOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created", cm.Name, "uid set:", cm.UID != "")

	// The same object over the wire, at Kubernetes' path.
	resp, err := http.Get(hs.URL + "/api/v1/namespaces/default/configmaps/settings")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), len(body) > 0)

	// A missing object is a Status with Kubernetes' reason.
	resp2, _ := http.Get(hs.URL + "/api/v1/namespaces/default/configmaps/nope")
	resp2.Body.Close()
	fmt.Println(resp2.StatusCode)
	// Output:
	// created settings uid set: true
	// 200 application/json true
	// 404
}
