package workqueue

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options tune a Queue; the zero value works.
type Options[T comparable] struct {
	// Name labels the queue's metrics.
	Name string
	// RateLimiter delays AddRateLimited; nil means DefaultRateLimiter.
	RateLimiter RateLimiter[T]
	// Metrics records the queue's activity; nil records nothing.
	Metrics *Metrics
}

// Queue is a de-duplicating, delaying, rate-limited work queue. It is safe
// for concurrent use.
type Queue[T comparable] struct {
	limiter RateLimiter[T]

	mu         sync.Mutex
	queue      []T
	dirty      map[T]time.Time // queued or to be re-queued, with when it was added
	processing map[T]time.Time // handed out, with when
	waiting    map[T]*delayed  // AddAfter timers
	wake       chan struct{}   // closed and replaced on every change
	shutdown   bool

	depth   prometheus.Gauge
	adds    prometheus.Counter
	latency prometheus.Observer
	work    prometheus.Observer
	retries prometheus.Counter
}

type delayed struct {
	at    time.Time
	timer *time.Timer
}

// New returns an empty queue.
func New[T comparable](opts *Options[T]) *Queue[T] {
	var o Options[T]
	if opts != nil {
		o = *opts
	}
	q := &Queue[T]{
		limiter:    o.RateLimiter,
		dirty:      map[T]time.Time{},
		processing: map[T]time.Time{},
		waiting:    map[T]*delayed{},
		wake:       make(chan struct{}),
	}
	if q.limiter == nil {
		q.limiter = DefaultRateLimiter[T]()
	}
	if m := o.Metrics; m != nil {
		q.depth = m.depth.WithLabelValues(o.Name)
		q.adds = m.adds.WithLabelValues(o.Name)
		q.latency = m.latency.WithLabelValues(o.Name)
		q.work = m.work.WithLabelValues(o.Name)
		q.retries = m.retries.WithLabelValues(o.Name)
	}
	return q
}

// broadcast wakes every waiter; q.mu is held.
func (q *Queue[T]) broadcast() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// Add queues item unless it is already queued. An item being processed is
// queued again after its Done. Adds after ShutDown are ignored.
func (q *Queue[T]) Add(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(item)
}

func (q *Queue[T]) addLocked(item T) {
	if q.shutdown {
		return
	}
	if _, ok := q.dirty[item]; ok {
		return
	}
	if q.adds != nil {
		q.adds.Inc()
	}
	q.dirty[item] = time.Now()
	if _, ok := q.processing[item]; ok {
		return
	}
	q.queue = append(q.queue, item)
	if q.depth != nil {
		q.depth.Inc()
	}
	q.broadcast()
}

// AddAfter queues item after d. If item is already waiting, the earlier of
// the two times wins.
func (q *Queue[T]) AddAfter(item T, d time.Duration) {
	if d <= 0 {
		q.Add(item)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	at := time.Now().Add(d)
	if w, ok := q.waiting[item]; ok {
		if !at.Before(w.at) {
			return
		}
		w.timer.Stop()
	}
	w := &delayed{at: at}
	w.timer = time.AfterFunc(d, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.waiting[item] != w {
			return // replaced by an earlier AddAfter
		}
		delete(q.waiting, item)
		q.addLocked(item)
	})
	q.waiting[item] = w
}

// AddRateLimited queues item after the delay its RateLimiter decides.
func (q *Queue[T]) AddRateLimited(item T) {
	if q.retries != nil {
		q.retries.Inc()
	}
	q.AddAfter(item, q.limiter.When(item))
}

// Forget clears item's back-off (call it after a success).
func (q *Queue[T]) Forget(item T) { q.limiter.Forget(item) }

// NumRequeues returns how many times item was rate-limited since Forget.
func (q *Queue[T]) NumRequeues(item T) int { return q.limiter.NumRequeues(item) }

// Get blocks until an item is available and returns it; the caller must
// call Done(item) when finished. It returns shutdown=true once the queue
// is shut down and empty, or when ctx is done.
func (q *Queue[T]) Get(ctx context.Context) (item T, shutdown bool) {
	for {
		q.mu.Lock()
		if len(q.queue) > 0 {
			item = q.queue[0]
			var zero T
			q.queue[0] = zero
			q.queue = q.queue[1:]
			now := time.Now()
			if q.depth != nil {
				q.depth.Dec()
				q.latency.Observe(now.Sub(q.dirty[item]).Seconds())
			}
			delete(q.dirty, item)
			q.processing[item] = now
			q.mu.Unlock()
			return item, false
		}
		if q.shutdown {
			q.mu.Unlock()
			return item, true
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return item, true
		}
	}
}

// Done marks item as processed; if it was added meanwhile, it is queued
// again now.
func (q *Queue[T]) Done(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	start, ok := q.processing[item]
	if !ok {
		return
	}
	delete(q.processing, item)
	if q.work != nil {
		q.work.Observe(time.Since(start).Seconds())
	}
	if _, ok := q.dirty[item]; ok {
		q.queue = append(q.queue, item)
		if q.depth != nil {
			q.depth.Inc()
		}
	}
	q.broadcast()
}

// Len returns the number of queued items (not those being processed or
// waiting for a delay).
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// ShutDown stops accepting items, drops pending delayed adds and wakes
// every Get. Items already queued are still handed out.
func (q *Queue[T]) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdownLocked()
}

func (q *Queue[T]) shutdownLocked() {
	if q.shutdown {
		return
	}
	q.shutdown = true
	for item, w := range q.waiting {
		w.timer.Stop()
		delete(q.waiting, item)
	}
	q.broadcast()
}

// ShutDownWithDrain shuts the queue down, then waits until every queued
// item has been handed out and every handed-out item is Done, or until ctx
// is done (it returns ctx's error then).
func (q *Queue[T]) ShutDownWithDrain(ctx context.Context) error {
	q.mu.Lock()
	q.shutdownLocked()
	for len(q.queue) > 0 || len(q.processing) > 0 {
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
	return nil
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue[T]) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}
