package scheduler_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/scheduler"
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

	nodes := client.MustFor[*core.Node](c)
	n, _ := nodes.Create(ctx, &core.Node{ObjectMeta: meta.ObjectMeta{Name: "node-1"}}, client.WriteOptions{})
	n.Status.Allocatable = core.ResourceList{core.ResourceCPU: resource.MustParse("2"), core.ResourceMemory: resource.MustParse("4Gi"), core.ResourcePods: resource.MustParse("110")}
	nodes.UpdateStatus(ctx, n, client.WriteOptions{})

	s, err := scheduler.New(ctx, c, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	pods := client.MustFor[*core.Pod](c).Namespace("default")
	pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web"}, Spec: core.PodSpec{Containers: []core.Container{{Name: "web", Image: "nginx"}}}}, client.WriteOptions{})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p, err := pods.Get(ctx, "web"); err == nil && p.Spec.NodeName != "" {
			fmt.Println("web ->", p.Spec.NodeName)
			break
		}
	}
	cancel()
	<-done
	// Output: web -> node-1
}

// ExampleNewLocal schedules without an API server: the caller reports
// nodes and pods, and the bound pods come back through the scheduler's
// own view.
func ExampleNewLocal() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := scheduler.NewLocal(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	alloc := core.ResourceList{core.ResourceCPU: resource.MustParse("2"), core.ResourceMemory: resource.MustParse("4Gi"), core.ResourcePods: resource.MustParse("110")}
	s.AddNode(&core.Node{ObjectMeta: meta.ObjectMeta{Name: "node-1"}, Status: core.NodeStatus{Allocatable: alloc}})
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.AddPod(&core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default", UID: "u1"}, Spec: core.PodSpec{Containers: []core.Container{{Name: "web", Image: "nginx"}}}})
	for deadline := time.Now().Add(10 * time.Second); s.Scheduled() == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	fmt.Println("scheduled:", s.Scheduled(), "nodes:", s.Cache().NodeCount())
	cancel()
	<-done
	// Output: scheduled: 1 nodes: 1
}
