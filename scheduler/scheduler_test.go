package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/api/scheduling"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/store/memory"
)

// startAPIServer runs an in-process API server on a loopback test server.
func startAPIServer(t testing.TB) *client.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := memory.New(nil)
	srv, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(ctx)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		st.Close()
	})
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func apiNode(name, cpu string) *core.Node {
	return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelHostname: name}},
		Status: core.NodeStatus{Allocatable: core.ResourceList{core.ResourceCPU: resource.MustParse(cpu), core.ResourceMemory: resource.MustParse("8Gi"), core.ResourcePods: resource.MustParse("110")}}}
}

func apiPod(name, cpu string) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"}, Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "busybox",
		Resources: core.ResourceRequirements{Requests: core.ResourceList{core.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

// startScheduler runs a scheduler until the test ends.
func startScheduler(t testing.TB, ctx context.Context, cancel context.CancelFunc, c *client.Client) *Scheduler {
	t.Helper()
	s, err := New(ctx, c, &Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// createNode creates a node with its status (the create drops status, as
// in Kubernetes, so it is written through the status subresource).
func createNode(t testing.TB, c *client.Client, n *core.Node) {
	t.Helper()
	nodes := client.MustFor[*core.Node](c)
	created, err := nodes.Create(context.Background(), n, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = n.Status
	if _, err := nodes.UpdateStatus(context.Background(), created, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every 20 ms for up to 10 s.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: timed out; last: %s", what, last)
}

func TestSchedulerEndToEnd(t *testing.T) {
	c := startAPIServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	for _, n := range []*core.Node{apiNode("small", "1"), apiNode("medium", "2")} {
		createNode(t, c, n)
	}
	s := startScheduler(t, ctx, cancel, c)

	for _, p := range []*core.Pod{apiPod("fits", "1500m"), apiPod("huge", "3")} {
		if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	other := apiPod("other", "100m")
	other.Spec.SchedulerName = "someone-else"
	if _, err := pods.Create(ctx, other, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, "fits bound to medium", func() (bool, string) {
		p, err := pods.Get(ctx, "fits")
		return err == nil && p.Spec.NodeName == "medium", fmt.Sprintf("%v %v", p.Spec.NodeName, err)
	})
	eventually(t, "huge marked unschedulable", func() (bool, string) {
		p, err := pods.Get(ctx, "huge")
		if err != nil {
			return false, err.Error()
		}
		for _, c := range p.Status.Conditions {
			if c.Type == core.PodScheduled && c.Status == core.ConditionFalse && c.Reason == "Unschedulable" {
				return c.Message == "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.", c.Message
			}
		}
		return false, fmt.Sprintf("conditions %+v", p.Status.Conditions)
	})

	// A big node arrives: the parked pod is retried and bound.
	createNode(t, c, apiNode("big", "8"))
	eventually(t, "huge bound to big", func() (bool, string) {
		p, err := pods.Get(ctx, "huge")
		return err == nil && p.Spec.NodeName == "big", fmt.Sprintf("%q %v", p.Spec.NodeName, err)
	})
	if p, _ := pods.Get(ctx, "other"); p.Spec.NodeName != "" {
		t.Errorf("pod of another scheduler was bound to %s", p.Spec.NodeName)
	}
	if s.Scheduled() != 2 {
		t.Errorf("Scheduled() = %d", s.Scheduled())
	}
}

func TestSchedulerPreemption(t *testing.T) {
	c := startAPIServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	createNode(t, c, apiNode("only", "2"))
	pcs := client.MustFor[*scheduling.PriorityClass](c)
	if _, err := pcs.Create(ctx, &scheduling.PriorityClass{ObjectMeta: meta.ObjectMeta{Name: "high"}, Value: 1000}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	low := apiPod("low", "2")
	low.Spec.NodeName = "only"
	grace := int64(0)
	low.Spec.TerminationGracePeriodSeconds = &grace
	if _, err := pods.Create(ctx, low, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	startScheduler(t, ctx, cancel, c)
	high := apiPod("high", "1")
	high.Spec.PriorityClassName = "high"
	if _, err := pods.Create(ctx, high, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "victim evicted and high bound", func() (bool, string) {
		p, err := pods.Get(ctx, "high")
		if err != nil {
			return false, err.Error()
		}
		_, lowErr := pods.Get(ctx, "low")
		return p.Spec.NodeName == "only", fmt.Sprintf("high on %q nominated %q; low: %v", p.Spec.NodeName, p.Status.NominatedNodeName, lowErr)
	})
}
