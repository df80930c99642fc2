package controller_test

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

// A controller that labels every ConfigMap it sees.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	c, stop := exampleServer(ctx)
	defer stop()   // second: the server, once its watchers are gone
	defer cancel() // first: the manager and informers

	m, _ := controller.NewManager(c, nil)
	cms, _ := controller.InformerFor[*core.ConfigMap](m.Factory(), controller.InformerOptions{Namespace: "default"})
	api := client.MustFor[*core.ConfigMap](c)
	done := make(chan string, 1)
	ctrl, _ := controller.New("labeller", controller.ReconcilerFunc(func(ctx context.Context, req controller.Request) (controller.Result, error) {
		cm, ok := cms.Get(req.Namespace, req.Name)
		if !ok || cm.Labels["seen"] == "yes" {
			return controller.Result{}, nil
		}
		cm = cm.DeepCopyObject().(*core.ConfigMap) // cached objects are shared
		if cm.Labels == nil {
			cm.Labels = map[string]string{}
		}
		cm.Labels["seen"] = "yes"
		if _, err := api.Update(ctx, cm, client.WriteOptions{}); err != nil {
			return controller.Result{}, err // retried with back-off
		}
		done <- req.String()
		return controller.Result{}, nil
	}), &controller.Options{Metrics: m.Metrics()})
	controller.Watch(ctrl, cms, controller.EnqueueObject[*core.ConfigMap]())
	_ = m.Add(ctrl)
	go m.Start(ctx)

	_, _ = api.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "settings", Namespace: "default"}}, client.WriteOptions{})
	select {
	case key := <-done:
		fmt.Println("labelled", key)
	case <-time.After(10 * time.Second):
		fmt.Println("timed out")
	}
	// Output: labelled default/settings
}

func ExampleInformer() {
	ctx, cancel := context.WithCancel(context.Background())
	c, stop := exampleServer(ctx)
	defer stop()   // second: the server, once its watchers are gone
	defer cancel() // first: the manager and informers
	pods := client.MustFor[*core.Pod](c)
	for _, name := range []string{"a", "b"} {
		_, _ = pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
			Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img"}}}}, client.WriteOptions{})
	}
	inf := controller.NewInformer(pods, controller.InformerOptions{LabelSelector: "app=b"})
	go inf.Run(ctx)
	_ = controller.WaitForSync(ctx, inf)
	for _, p := range inf.List(nil) {
		fmt.Println(controller.ObjectKey(p))
	}
	// Output: default/b
}
