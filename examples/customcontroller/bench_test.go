package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/examples/customcontroller/website"
)

// BenchmarkConverge measures the operator end to end through an
// in-process API server: each op creates 20 Websites and waits until all
// 20 Deployments exist and every Website has a status.
func BenchmarkConverge(b *testing.B) {
	const batch = 20
	ctx := context.Background()
	c := startServer(b)
	if err := website.InstallCRD(ctx, c); err != nil {
		b.Fatal(err)
	}
	startOperator(b, c, "bench")
	ws := client.Dynamic(c, website.GVR).Namespace("default")
	deps := client.MustFor[*apps.Deployment](c).Namespace("default")
	round := 0
	start := time.Now()
	for b.Loop() {
		round++
		for i := range batch {
			obj, err := website.ToUnstructured(&website.Website{ObjectMeta: meta.ObjectMeta{Name: fmt.Sprintf("site-%d-%d", round, i)},
				Spec: website.Spec{Replicas: 1, Image: "nginx", Port: 80}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ws.Create(ctx, obj, client.WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		eventually(b, func() error {
			for i := range batch {
				name := fmt.Sprintf("site-%d-%d", round, i)
				if _, err := deps.Get(ctx, name); err != nil {
					return err
				}
				w, err := websiteStatus(b, ws, name)
				if err != nil {
					return err
				}
				if w.Status.Condition(website.ConditionReady) == nil {
					return fmt.Errorf("%s has no status yet", name)
				}
			}
			return nil
		})
	}
	b.ReportMetric(float64(round*batch)/time.Since(start).Seconds(), "websites/s")
}
