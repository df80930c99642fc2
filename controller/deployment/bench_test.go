package deployment

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/replicaset"
	"github.com/longshore/longshore/store/bolt"
)

// BenchmarkScaleDeployment scales a Deployment from 0 to N replicas
// (LONGSHORE_BENCH_REPLICAS, default 1000) through an in-process API
// server on store/bolt, with the deployment and replicaset controllers
// and no nodes (LONGSHORE_BENCH_BURST tunes the replicaset controller's
// BurstReplicas). One op is the time until all N pods exist and both the
// Deployment's and the ReplicaSet's status report N replicas.
func BenchmarkScaleDeployment(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("LONGSHORE_BENCH_REPLICAS")); err == nil && v > 0 {
		n = v
	}
	db, err := bolt.Open(filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	srv, err := apiserver.New(apiserver.Config{Store: db})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		b.Fatal(err)
	}
	f := controller.NewFactory(c, nil)
	// LONGSHORE_BENCH_BURST sets the replicaset controller's BurstReplicas
	// (its default, as Kubernetes', is 500 creates per sync).
	burst, _ := strconv.Atoi(os.Getenv("LONGSHORE_BENCH_BURST"))
	rsCtrl, _, err := replicaset.New(f, &replicaset.Options{BurstReplicas: burst})
	if err != nil {
		b.Fatal(err)
	}
	dCtrl, _, err := New(f, nil)
	if err != nil {
		b.Fatal(err)
	}
	f.Start(ctx)
	if err := f.WaitForCacheSync(ctx); err != nil {
		b.Fatal(err)
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = rsCtrl.Start(ctx) }()
	go func() { defer wg.Done(); _ = dCtrl.Start(ctx) }()
	deps := client.MustFor[*apps.Deployment](c).Namespace("default")
	rsets := client.MustFor[*apps.ReplicaSet](c).Namespace("default")
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		if _, err := deps.Create(ctx, newDeployment(name, int32(n), "img:1"), client.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(benchTimeout)
		for {
			d, err := deps.Get(ctx, name)
			if err != nil {
				b.Fatal(err)
			}
			if d.Status.Replicas == int32(n) && d.Status.UpdatedReplicas == int32(n) && d.Status.ObservedGeneration == d.Generation {
				l, err := rsets.List(ctx, client.ListOptions{LabelSelector: "app=" + name})
				if err != nil {
					b.Fatal(err)
				}
				if len(l.Items) == 1 && l.Items[0].Status.Replicas == int32(n) {
					break
				}
			}
			if time.Now().After(deadline) {
				b.Fatalf("not scaled in time: %+v", d.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/scale")
	}
	b.ReportMetric(float64(n), "pods")
}

// benchTimeout bounds one scale-up.
var benchTimeout = 3 * time.Minute
