package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func qPod(name string, prio int32) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name}, Spec: core.PodSpec{Priority: &prio}}
}

func newTestQueue(t testing.TB) (*Queue, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewQueue(plugins.PrioritySort{}.Less, &QueueOptions{Now: clock.Now}), clock
}

func pop(t testing.TB, q *Queue) *framework.QueuedPodInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("Pop: %v", err)
	}
	return p
}

func TestQueueOrder(t *testing.T) {
	q, clock := newTestQueue(t)
	for _, p := range []*core.Pod{qPod("low", 1), qPod("high", 10), qPod("mid", 5)} {
		if err := q.Add(p); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Millisecond)
	}
	if err := q.Add(qPod("high2", 10)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 4 {
		got = append(got, pop(t, q).Pod.Name)
	}
	want := []string{"high", "high2", "mid", "low"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestQueueBackoffAndUnschedulable(t *testing.T) {
	q, clock := newTestQueue(t)
	q.Add(qPod("a", 0))
	p := pop(t, q)
	cycle := q.SchedulingCycle()
	// An unschedulable pod waits for an event.
	q.AddUnschedulable(p, cycle, false)
	if a, b, u := q.Len(); a != 0 || b != 0 || u != 1 {
		t.Fatalf("len %d %d %d", a, b, u)
	}
	q.Flush()
	if a, _, _ := q.Len(); a != 0 {
		t.Fatal("flush moved a parked pod before MaxInUnschedulable")
	}
	// An event moves it to back-off (1 s after its failure).
	q.MoveAllToActiveOrBackoff()
	if a, b, u := q.Len(); a != 0 || b != 1 || u != 0 {
		t.Fatalf("after move: %d %d %d", a, b, u)
	}
	clock.Add(999 * time.Millisecond)
	q.Flush()
	if a, _, _ := q.Len(); a != 0 {
		t.Fatal("back-off ended early")
	}
	clock.Add(2 * time.Millisecond)
	q.Flush()
	p = pop(t, q)
	if p.Attempts != 2 {
		t.Errorf("attempts %d", p.Attempts)
	}
	// An error goes straight to back-off, now 2 s (second attempt).
	q.AddUnschedulable(p, q.SchedulingCycle(), true)
	clock.Add(1500 * time.Millisecond)
	q.Flush()
	if a, b, _ := q.Len(); a != 0 || b != 1 {
		t.Fatalf("2 s back-off: %d %d", a, b)
	}
	clock.Add(time.Second)
	q.Flush()
	if a, _, _ := q.Len(); a != 1 {
		t.Fatal("back-off did not end")
	}
}

func TestQueueMoveDuringCycle(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add(qPod("a", 0))
	p := pop(t, q)
	cycle := q.SchedulingCycle()
	q.MoveAllToActiveOrBackoff() // a cluster event while "a" was being scheduled
	q.AddUnschedulable(p, cycle, false)
	if _, b, u := q.Len(); b != 1 || u != 0 {
		t.Errorf("pod parked although an event overlapped its attempt: backoff %d unschedulable %d", b, u)
	}
}

func TestQueueUnschedulableTimeout(t *testing.T) {
	q, clock := newTestQueue(t)
	q.Add(qPod("a", 0))
	q.AddUnschedulable(pop(t, q), q.SchedulingCycle(), false)
	clock.Add(5*time.Minute + time.Second)
	q.Flush()
	if a, _, u := q.Len(); a != 1 || u != 0 {
		t.Errorf("leftover flush: active %d unschedulable %d", a, u)
	}
}

func TestQueueUpdateDelete(t *testing.T) {
	q, _ := newTestQueue(t)
	q.Add(qPod("a", 0))
	q.Add(qPod("b", 0))
	q.Update(qPod("b", 100))
	if p := pop(t, q); p.Pod.Name != "b" {
		t.Errorf("update did not reorder: %s first", p.Pod.Name)
	}
	q.Delete(qPod("a", 0))
	if a, b, u := q.Len(); a+b+u != 0 {
		t.Errorf("delete left %d %d %d", a, b, u)
	}
	parked := qPod("c", 0)
	q.Add(parked)
	q.AddUnschedulable(pop(t, q), q.SchedulingCycle(), false)
	q.Update(qPod("c", 1))
	if _, b, u := q.Len(); u != 0 || b != 1 {
		t.Errorf("update left the pod parked: backoff %d unschedulable %d", b, u)
	}
}

func TestQueuePopBlocksAndCloses(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := q.Pop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Pop on empty queue: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := q.Pop(context.Background()); done <- err }()
	time.Sleep(10 * time.Millisecond)
	q.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrQueueClosed) {
			t.Errorf("Pop after Close: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not wake Pop")
	}
}
