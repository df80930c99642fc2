package workqueue

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func get[T comparable](t testing.TB, q *Queue[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	item, shut := q.Get(ctx)
	if shut {
		t.Fatalf("Get: shut down")
	}
	return item
}

func TestDedup(t *testing.T) {
	tests := []struct {
		name string
		adds []string
		want []string
	}{
		{"distinct", []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"duplicates collapse", []string{"a", "b", "a", "a", "b"}, []string{"a", "b"}},
		{"order of first add", []string{"c", "a", "c"}, []string{"c", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New[string](nil)
			for _, a := range tt.adds {
				q.Add(a)
			}
			if q.Len() != len(tt.want) {
				t.Fatalf("Len = %d, want %d", q.Len(), len(tt.want))
			}
			for _, w := range tt.want {
				if got := get(t, q); got != w {
					t.Fatalf("Get = %q, want %q", got, w)
				}
			}
		})
	}
}

func TestAddWhileProcessingRequeuesOnceAfterDone(t *testing.T) {
	q := New[string](nil)
	q.Add("a")
	item := get(t, q)
	q.Add("a")
	q.Add("a")
	if q.Len() != 0 {
		t.Fatalf("item being processed must not be handed out again; Len = %d", q.Len())
	}
	q.Done(item)
	if q.Len() != 1 {
		t.Fatalf("after Done Len = %d, want 1", q.Len())
	}
	q.Done(get(t, q))
	if q.Len() != 0 {
		t.Fatalf("Len = %d, want 0", q.Len())
	}
}

func TestNoConcurrentProcessingOfOneItem(t *testing.T) {
	q := New[int](nil)
	var busy [4]atomic.Int32
	var bad atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, shut := q.Get(ctx)
				if shut {
					return
				}
				if busy[it].Add(1) != 1 {
					bad.Add(1)
				}
				time.Sleep(100 * time.Microsecond)
				busy[it].Add(-1)
				q.Done(it)
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		q.Add(i % 4)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	if err := q.ShutDownWithDrain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d concurrent processings of one item", bad.Load())
	}
}

func TestAddAfter(t *testing.T) {
	q := New[string](nil)
	q.AddAfter("late", time.Hour)
	q.AddAfter("late", 20*time.Millisecond) // earlier wins
	q.AddAfter("later", time.Hour)
	if q.Len() != 0 {
		t.Fatalf("delayed item queued at once")
	}
	start := time.Now()
	if got := get(t, q); got != "late" {
		t.Fatalf("Get = %q", got)
	}
	if time.Since(start) < 15*time.Millisecond {
		t.Fatalf("delay not honoured")
	}
	q.ShutDown()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, shut := q.Get(ctx); !shut {
		t.Fatalf("Get after shutdown returned an item")
	}
}

func TestExponentialLimiter(t *testing.T) {
	l := NewExponentialLimiter[string](5*time.Millisecond, 1000*time.Second)
	want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	for i, w := range want {
		if got := l.When("x"); got != w {
			t.Fatalf("retry %d: %v, want %v", i, got, w)
		}
	}
	if l.NumRequeues("x") != 4 || l.NumRequeues("y") != 0 {
		t.Fatalf("NumRequeues = %d", l.NumRequeues("x"))
	}
	for i := 0; i < 100; i++ {
		l.When("x")
	}
	if got := l.When("x"); got != 1000*time.Second {
		t.Fatalf("cap: %v", got)
	}
	l.Forget("x")
	if got := l.When("x"); got != 5*time.Millisecond {
		t.Fatalf("after Forget: %v", got)
	}
}

func TestDefaultLimiterBucket(t *testing.T) {
	l := DefaultRateLimiter[int]()
	// The first 100 distinct items ride the burst; the 101st waits on the
	// 10 qps bucket (about 100 ms).
	for i := 0; i < 100; i++ {
		if d := l.When(i); d != 5*time.Millisecond {
			t.Fatalf("item %d: %v", i, d)
		}
	}
	if d := l.When(100); d < 50*time.Millisecond {
		t.Fatalf("bucket not applied: %v", d)
	}
}

func TestShutDownWithDrainWaitsForDone(t *testing.T) {
	q := New[string](nil)
	q.Add("a")
	q.Add("b")
	it := get(t, q)
	done := make(chan error, 1)
	go func() { done <- q.ShutDownWithDrain(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	q.Add("c") // ignored: shutting down
	select {
	case <-done:
		t.Fatal("drain returned with items outstanding")
	default:
	}
	q.Done(it)
	q.Done(get(t, q)) // "b" is still handed out after shutdown
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if q.Len() != 0 {
		t.Fatalf("add after shutdown accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	q2 := New[string](nil)
	q2.Add("x")
	get(t, q2)
	if err := q2.ShutDownWithDrain(ctx); err == nil {
		t.Fatal("drain with a stuck item must time out")
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	q := New(&Options[string]{Name: "q", Metrics: m})
	q.Add("a")
	q.Add("b")
	q.Add("a")
	if got := value(t, m.depth.WithLabelValues("q")); got != 2 {
		t.Fatalf("depth %v", got)
	}
	if got := value(t, m.adds.WithLabelValues("q")); got != 2 {
		t.Fatalf("adds %v", got)
	}
	q.Done(get(t, q))
	if got := value(t, m.depth.WithLabelValues("q")); got != 1 {
		t.Fatalf("depth after get %v", got)
	}
}

func value(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	switch {
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	case out.Counter != nil:
		return out.Counter.GetValue()
	}
	t.Fatalf("not a gauge or counter")
	return 0
}
