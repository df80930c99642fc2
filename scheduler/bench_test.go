package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/scheduler/framework"
)

func BenchmarkQueueAddPop(b *testing.B) {
	q, _ := newTestQueue(b)
	pods := make([]*core.Pod, 1000)
	for i := range pods {
		pods[i] = qPod(fmt.Sprintf("p%d", i), int32(i%7))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pods {
			q.Add(p)
		}
		for range pods {
			q.Pop(ctx)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pods)), "ns/pod")
}

func BenchmarkCacheUpdateSnapshot(b *testing.B) {
	c := NewCache()
	for i := range 1000 {
		c.AddNode(cNode(fmt.Sprintf("n%d", i)))
		for j := range 10 {
			c.AddPod(cPod(fmt.Sprintf("p%d-%d", i, j), fmt.Sprintf("n%d", i), "100m"))
		}
	}
	snap := framework.NewSnapshot(nil, nil)
	c.UpdateSnapshot(snap)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// one pod lands per cycle, as when scheduling
		c.AddPod(cPod(fmt.Sprintf("new%d", i), fmt.Sprintf("n%d", i%1000), "100m"))
		i++
		c.UpdateSnapshot(snap)
	}
}

// BenchmarkSchedulerThroughput schedules 300 pods onto 100 nodes through
// an in-process API server (loopback HTTP), measuring pods bound per
// second from creation to the last binding.
func BenchmarkSchedulerThroughput(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		c := startAPIServer(b)
		ctx, cancel := context.WithCancel(context.Background())
		for i := range 100 {
			createNode(b, c, apiNode(fmt.Sprintf("n%03d", i), "32"))
		}
		s, err := New(ctx, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		pods := client.MustFor[*core.Pod](c).Namespace("default")
		b.StartTimer()
		start := time.Now()
		const n = 300
		for i := range n {
			if _, err := pods.Create(ctx, apiPod(fmt.Sprintf("p%03d", i), "100m"), client.WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for s.Scheduled() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if s.Scheduled() < n {
			b.Fatalf("only %d of %d pods bound", s.Scheduled(), n)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pods/s")
		b.StopTimer()
		cancel()
		<-done
		b.StartTimer()
	}
}
