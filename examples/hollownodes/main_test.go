package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

func TestFleetRegistersAndRunsPods(t *testing.T) {
	c := apiservertest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	const n = 20
	fleet, err := Start(ctx, c, Options{Nodes: n, Prefix: "h", CPU: resource.MustParse("2"), Memory: resource.MustParse("4Gi"), Pods: 30, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); fleet.Wait() })
	nodes := client.MustFor[*core.Node](c)
	apiservertest.Eventually(t, 30*time.Second, func() error {
		l, err := nodes.List(ctx, client.ListOptions{LabelSelector: "longshore.dev/hollow=true"})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range l.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == core.NodeReady && c.Status == core.ConditionTrue {
					ready++
				}
			}
		}
		if ready != n {
			return fmt.Errorf("%d of %d nodes ready", ready, n)
		}
		return nil
	})
	// A pod bound to a hollow node runs there, in simulation.
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	no := false
	if _, err := pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "p"}, Spec: core.PodSpec{NodeName: "h-7",
		AutomountServiceAccountToken: &no, Containers: []core.Container{{Name: "c", Image: "longshore.dev/testserver:v1"}}}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 30*time.Second, func() error {
		p, err := pods.Get(ctx, "p")
		if err != nil {
			return err
		}
		if p.Status.Phase != core.PodRunning || p.Status.PodIP == "" {
			return fmt.Errorf("pod %s ip %q", p.Status.Phase, p.Status.PodIP)
		}
		return nil
	})
	if _, err := Start(ctx, c, Options{Nodes: 0}); err == nil {
		t.Fatal("zero nodes must be refused")
	}
}
