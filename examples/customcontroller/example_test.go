package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/examples/customcontroller/website"
	"github.com/longshore/longshore/store/memory"
)

// Example_inProcess runs the operator against an in-process API server
// and creates a Website.
func Example_inProcess() {
	ctx, cancel := context.WithCancel(context.Background())
	st := memory.New(nil)
	defer st.Close()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	_ = srv.Start(ctx)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL})

	done := make(chan error, 1)
	go func() {
		done <- run(ctx, c, config{LeaseNamespace: "default", LeaseName: "website-controller", Identity: "example"})
	}()
	defer func() { cancel(); <-done }()

	obj, _ := website.ToUnstructured(&website.Website{ObjectMeta: meta.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: website.Spec{Replicas: 2, Image: "nginx:1.27", Port: 80}})
	websites := client.Dynamic(c, website.GVR).Namespace("default")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := websites.Create(ctx, obj, client.WriteOptions{}); err == nil {
			break // served once run has installed the CRD
		}
	}
	deployments := client.MustFor[*apps.Deployment](c).Namespace("default")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d, err := deployments.Get(ctx, "hello"); err == nil {
			fmt.Printf("deployment %s: %d replicas of %s\n", d.Name, *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
			return
		}
	}
	fmt.Println("timed out")
	// Output: deployment hello: 2 replicas of nginx:1.27
}
