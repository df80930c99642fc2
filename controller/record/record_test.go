package record_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/record"
)

func pod(t testing.TB, c *client.Client, name string) *core.Pod {
	t.Helper()
	p, err := client.MustFor[*core.Pod](c).Create(context.Background(), &core.Pod{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img"}}},
	}, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, r *record.Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Start(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func events(t testing.TB, c *client.Client) []*core.Event {
	t.Helper()
	l, err := client.MustFor[*core.Event](c).Namespace("default").List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

func TestAggregationAndFields(t *testing.T) {
	c := apiservertest.Start(t)
	p := pod(t, c, "web")
	r := record.New(c, &record.Options{Component: "replicaset-controller", Host: "h1"})
	run(t, r)
	for i := 0; i < 3; i++ {
		r.Event(p, record.Warning, "FailedCreate", "quota exceeded")
	}
	r.Eventf(p, record.Normal, "Scheduled", "assigned to %s", "node-1")
	apiservertest.Eventually(t, 5*time.Second, func() error {
		evs := events(t, c)
		if len(evs) != 2 {
			return fmt.Errorf("%d events", len(evs))
		}
		for _, e := range evs {
			if e.Reason == "FailedCreate" && e.Count != 3 {
				return fmt.Errorf("count %d", e.Count)
			}
		}
		return nil
	})
	for _, e := range events(t, c) {
		io := e.InvolvedObject
		if io.Kind != "Pod" || io.APIVersion != "v1" || io.Name != "web" || io.UID != p.UID {
			t.Errorf("involvedObject %+v", io)
		}
		if e.Source.Component != "replicaset-controller" || e.ReportingComponent != "replicaset-controller" || e.Source.Host != "h1" {
			t.Errorf("source %+v / %q", e.Source, e.ReportingComponent)
		}
		if e.FirstTimestamp.IsZero() || e.LastTimestamp.Before(e.FirstTimestamp.Time) {
			t.Errorf("timestamps %v %v", e.FirstTimestamp, e.LastTimestamp)
		}
		if e.Reason == "Scheduled" && (e.Message != "assigned to node-1" || e.Type != record.Normal || e.Count != 1) {
			t.Errorf("scheduled event %+v", e)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name                                 string
		opts                                 record.Options
		start                                bool
		emit                                 int
		wantDropped, wantLimited, wantEvents int
	}{
		{"buffer full drops", record.Options{BufferSize: 2}, false, 5, 3, 0, 0},
		{"spam filter per object", record.Options{Burst: 2}, true, 5, 0, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apiservertest.Start(t)
			p := pod(t, c, "p")
			r := record.New(c, &tt.opts)
			if tt.start {
				run(t, r)
			}
			for i := 0; i < tt.emit; i++ {
				r.Eventf(p, record.Normal, "Tick", "tick %d", i)
			}
			apiservertest.Eventually(t, 5*time.Second, func() error {
				if r.Dropped() != uint64(tt.wantDropped) || r.Limited() != uint64(tt.wantLimited) {
					return fmt.Errorf("dropped %d limited %d", r.Dropped(), r.Limited())
				}
				if n := len(events(t, c)); n != tt.wantEvents {
					return fmt.Errorf("%d events", n)
				}
				return nil
			})
		})
	}
}
