package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// ErrQueueClosed is returned by Queue.Pop once the queue is closed.
var ErrQueueClosed = errors.New("scheduling queue closed")

// QueueOptions tune a Queue; the zero value gives Kubernetes' defaults.
type QueueOptions struct {
	// InitialBackoff and MaxBackoff bound the back-off of a pod that
	// failed: InitialBackoff doubled per attempt, up to MaxBackoff
	// (defaults 1 s and 10 s).
	InitialBackoff, MaxBackoff time.Duration
	// MaxInUnschedulable is how long a pod may stay in the unschedulable
	// pool without a cluster event before it is retried anyway (default 5
	// min).
	MaxInUnschedulable time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Queue holds the pods waiting to be scheduled, in three parts as in
// Kubernetes: the active heap (ordered by the profile's QueueSort), the
// back-off heap of pods that failed recently (ordered by the end of their
// back-off), and the unschedulable pool of pods that wait for a cluster
// event (a node added, a pod deleted, ...) to be worth retrying. It is
// safe for concurrent use.
type Queue struct {
	opts QueueOptions
	less func(a, b *framework.QueuedPodInfo) bool

	mu            sync.Mutex
	cond          *sync.Cond
	active        podHeap
	backoff       podHeap
	unschedulable map[string]*framework.QueuedPodInfo
	// schedulingCycle counts Pops; moveCycle is the cycle of the last
	// MoveAllToActiveOrBackoff, so that a pod whose attempt overlapped a
	// cluster event is retried after back-off instead of parked.
	schedulingCycle int64
	moveCycle       int64
	closed          bool
}

// NewQueue returns an empty queue ordered by less.
func NewQueue(less func(a, b *framework.QueuedPodInfo) bool, opts *QueueOptions) *Queue {
	q := &Queue{less: less, unschedulable: map[string]*framework.QueuedPodInfo{}}
	if opts != nil {
		q.opts = *opts
	}
	if q.opts.InitialBackoff <= 0 {
		q.opts.InitialBackoff = time.Second
	}
	if q.opts.MaxBackoff <= 0 {
		q.opts.MaxBackoff = 10 * time.Second
	}
	if q.opts.MaxInUnschedulable <= 0 {
		q.opts.MaxInUnschedulable = 5 * time.Minute
	}
	if q.opts.Now == nil {
		q.opts.Now = time.Now
	}
	q.active.less = less
	q.backoff.less = func(a, b *framework.QueuedPodInfo) bool { return q.backoffEnd(a).Before(q.backoffEnd(b)) }
	q.cond = sync.NewCond(&q.mu)
	return q
}

func podKey(p *core.Pod) string { return p.Namespace + "/" + p.Name }

// backoffDuration is InitialBackoff * 2^(attempts-1), capped.
func (q *Queue) backoffDuration(attempts int) time.Duration {
	d := q.opts.InitialBackoff
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= q.opts.MaxBackoff {
			return q.opts.MaxBackoff
		}
	}
	return min(d, q.opts.MaxBackoff)
}

func (q *Queue) backoffEnd(p *framework.QueuedPodInfo) time.Time {
	return p.Timestamp.Add(q.backoffDuration(p.Attempts))
}

// Add queues a new pod as active, replacing any queued copy.
func (q *Queue) Add(pod *core.Pod) error {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	key := podKey(pod)
	now := q.opts.Now()
	q.removeLocked(key)
	heap.Push(&q.active, &framework.QueuedPodInfo{PodInfo: pi, Timestamp: now, InitialAttemptTimestamp: now})
	q.cond.Broadcast()
	return nil
}

// Update replaces a queued pod's object. A pod parked as unschedulable
// is moved back to the active heap (or back-off) since its spec may now
// fit; a pod not queued is added.
func (q *Queue) Update(pod *core.Pod) error {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	key := podKey(pod)
	if i := q.active.index(key); i >= 0 {
		q.active.items[i].PodInfo = pi
		heap.Fix(&q.active, i)
		return nil
	}
	if i := q.backoff.index(key); i >= 0 {
		q.backoff.items[i].PodInfo = pi
		return nil
	}
	if old, ok := q.unschedulable[key]; ok {
		delete(q.unschedulable, key)
		old.PodInfo = pi
		q.requeueLocked(old)
		return nil
	}
	now := q.opts.Now()
	heap.Push(&q.active, &framework.QueuedPodInfo{PodInfo: pi, Timestamp: now, InitialAttemptTimestamp: now})
	q.cond.Broadcast()
	return nil
}

// Delete removes a pod wherever it is queued.
func (q *Queue) Delete(pod *core.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(podKey(pod))
}

func (q *Queue) removeLocked(key string) {
	if i := q.active.index(key); i >= 0 {
		heap.Remove(&q.active, i)
	}
	if i := q.backoff.index(key); i >= 0 {
		heap.Remove(&q.backoff, i)
	}
	delete(q.unschedulable, key)
}

// requeueLocked puts a pod into back-off if its back-off has not ended,
// otherwise into the active heap.
func (q *Queue) requeueLocked(p *framework.QueuedPodInfo) {
	if q.backoffEnd(p).After(q.opts.Now()) {
		heap.Push(&q.backoff, p)
		return
	}
	heap.Push(&q.active, p)
	q.cond.Broadcast()
}

// Pop blocks until a pod is active and returns it with its attempt count
// incremented, or returns ctx's error or ErrQueueClosed.
func (q *Queue) Pop(ctx context.Context) (*framework.QueuedPodInfo, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 {
		if q.closed {
			return nil, ErrQueueClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.cond.Wait()
	}
	p := heap.Pop(&q.active).(*framework.QueuedPodInfo)
	p.Attempts++
	q.schedulingCycle++
	return p, nil
}

// SchedulingCycle returns the number of Pops so far.
func (q *Queue) SchedulingCycle() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.schedulingCycle
}

// AddUnschedulable requeues a pod whose attempt, started at cycle,
// failed. Pods that failed with an error, or whose attempt overlapped a
// cluster event (MoveAllToActiveOrBackoff after cycle), go to back-off;
// the others wait in the unschedulable pool.
func (q *Queue) AddUnschedulable(p *framework.QueuedPodInfo, cycle int64, errored bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := podKey(p.Pod)
	if q.active.index(key) >= 0 || q.backoff.index(key) >= 0 {
		return // a newer copy was queued meanwhile
	}
	p.Timestamp = q.opts.Now()
	if errored || q.moveCycle >= cycle {
		heap.Push(&q.backoff, p)
		return
	}
	q.unschedulable[key] = p
}

// MoveAllToActiveOrBackoff moves every unschedulable pod back, to be
// retried once its back-off ends: something changed in the cluster.
func (q *Queue) MoveAllToActiveOrBackoff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, p := range q.unschedulable {
		delete(q.unschedulable, k)
		q.requeueLocked(p)
	}
	q.moveCycle = q.schedulingCycle
}

// Flush moves pods whose back-off ended to the active heap, and pods that
// sat in the unschedulable pool longer than MaxInUnschedulable back too.
// Run calls it every second.
func (q *Queue) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Now()
	for q.backoff.Len() > 0 && !q.backoffEnd(q.backoff.items[0]).After(now) {
		heap.Push(&q.active, heap.Pop(&q.backoff))
		q.cond.Broadcast()
	}
	for k, p := range q.unschedulable {
		if now.Sub(p.Timestamp) > q.opts.MaxInUnschedulable {
			delete(q.unschedulable, k)
			q.requeueLocked(p)
		}
	}
}

// Run flushes the queue every second until ctx ends, then closes it.
func (q *Queue) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			q.Close()
			return
		case <-t.C:
			q.Flush()
		}
	}
}

// Close wakes every Pop with ErrQueueClosed.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// Len returns the number of pods in the active heap, in back-off and in
// the unschedulable pool.
func (q *Queue) Len() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}

// podHeap is a heap of queued pods with a key index.
type podHeap struct {
	items []*framework.QueuedPodInfo
	keys  []string
	pos   map[string]int
	less  func(a, b *framework.QueuedPodInfo) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.keys[i], h.keys[j] = h.keys[j], h.keys[i]
	h.pos[h.keys[i]], h.pos[h.keys[j]] = i, j
}
func (h *podHeap) Push(x any) {
	p := x.(*framework.QueuedPodInfo)
	if h.pos == nil {
		h.pos = map[string]int{}
	}
	k := podKey(p.Pod)
	h.pos[k] = len(h.items)
	h.items = append(h.items, p)
	h.keys = append(h.keys, k)
}
func (h *podHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	delete(h.pos, h.keys[n])
	h.items[n] = nil
	h.items, h.keys = h.items[:n], h.keys[:n]
	return x
}

// index returns the position of the pod with key, or -1.
func (h *podHeap) index(key string) int {
	if i, ok := h.pos[key]; ok {
		return i
	}
	return -1
}
