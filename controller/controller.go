package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/controller/workqueue"
)

// Options tune a Controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent Reconcile calls (default 1).
	Workers int
	// RateLimiter delays retries; nil means workqueue.DefaultRateLimiter.
	RateLimiter workqueue.RateLimiter[Request]
	// Metrics records queue and reconcile metrics; nil records nothing.
	Metrics *Metrics
	// Logger receives reconcile errors; nil discards.
	Logger *slog.Logger
	// NoLeaderElection lets the controller run on every replica instead of
	// only on the elected leader.
	NoLeaderElection bool
}

// Controller feeds Requests mapped from informer events to a Reconciler
// through a rate-limited work queue, with Workers goroutines. It is a
// Runnable: Start blocks until ctx is done.
type Controller struct {
	name  string
	r     Reconciler
	opts  Options
	log   *slog.Logger
	queue *workqueue.Queue[Request]

	mu      sync.Mutex
	sources []SharedInformer

	total    func(result string)
	errs     func()
	duration func(time.Duration)
}

var (
	_ Runnable               = (*Controller)(nil)
	_ LeaderElectionRunnable = (*Controller)(nil)
)

// ErrInvalidArgument reports a missing or malformed argument.
var ErrInvalidArgument = errors.New("controller: invalid argument")

// New returns a controller named name (used in logs and metrics).
func New(name string, r Reconciler, opts *Options) (*Controller, error) {
	if name == "" || r == nil {
		return nil, fmt.Errorf("%w: a controller needs a name and a reconciler", ErrInvalidArgument)
	}
	c := &Controller{name: name, r: r}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.Workers <= 0 {
		c.opts.Workers = 1
	}
	c.log = c.opts.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("controller", name)
	qo := &workqueue.Options[Request]{Name: name, RateLimiter: c.opts.RateLimiter}
	c.total, c.errs, c.duration = func(string) {}, func() {}, func(time.Duration) {}
	if m := c.opts.Metrics; m != nil {
		qo.Metrics = m.Queue
		c.total = func(res string) { m.total.WithLabelValues(name, res).Inc() }
		c.errs = func() { m.errors.WithLabelValues(name).Inc() }
		c.duration = func(d time.Duration) { m.duration.WithLabelValues(name).Observe(d.Seconds()) }
	}
	c.queue = workqueue.New(qo)
	return c, nil
}

// Name returns the controller's name.
func (c *Controller) Name() string { return c.name }

// Queue returns the controller's work queue, to enqueue requests from
// sources other than informers.
func (c *Controller) Queue() *workqueue.Queue[Request] { return c.queue }

// NeedLeaderElection implements LeaderElectionRunnable.
func (c *Controller) NeedLeaderElection() bool { return !c.opts.NoLeaderElection }

// MapFunc maps an object to the requests to reconcile.
type MapFunc[T meta.Object] func(obj T) []Request

// Watch enqueues mapFn's requests for every add, update (both the old and
// the new object) and delete of informer. Start waits for informer's
// cache to sync before reconciling.
func Watch[T meta.Object](c *Controller, informer *Informer[T], mapFn MapFunc[T]) {
	c.mu.Lock()
	c.sources = append(c.sources, informer)
	c.mu.Unlock()
	add := func(obj T) {
		for _, r := range mapFn(obj) {
			c.queue.Add(r)
		}
	}
	informer.AddEventHandler(HandlerFuncs[T]{
		AddFunc: add,
		UpdateFunc: func(old, obj T) {
			add(old)
			add(obj)
		},
		DeleteFunc: func(obj T, _ bool) { add(obj) },
	})
}

// EnqueueObject maps an object to a request for itself.
func EnqueueObject[T meta.Object]() MapFunc[T] {
	return func(obj T) []Request {
		m := obj.GetObjectMeta()
		return []Request{{Namespace: m.Namespace, Name: m.Name}}
	}
}

// EnqueueOwner maps an object to a request for its controller owner when
// that owner is of kind: "ReplicaSet" matches that kind in any API group,
// "ReplicaSet.apps" only in the apps group (a custom resource may reuse a
// built-in kind's name). The owner is assumed to live in the object's
// namespace.
func EnqueueOwner[T meta.Object](kind string) MapFunc[T] {
	kind, group, withGroup := strings.Cut(kind, ".")
	return func(obj T) []Request {
		m := obj.GetObjectMeta()
		ref := meta.GetControllerOf(m)
		if ref == nil || ref.Kind != kind {
			return nil
		}
		if withGroup {
			gv, err := meta.ParseGroupVersion(ref.APIVersion)
			if err != nil || gv.Group != group {
				return nil
			}
		}
		return []Request{{Namespace: m.Namespace, Name: ref.Name}}
	}
}

// Start waits for the watched informers to sync, then runs the workers
// until ctx is done; it returns once they have finished. A Controller runs
// once: its queue is shut down when Start returns.
func (c *Controller) Start(ctx context.Context) error {
	c.mu.Lock()
	sources := append([]SharedInformer(nil), c.sources...)
	c.mu.Unlock()
	if err := WaitForSync(ctx, sources...); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.log.Info("starting workers", "workers", c.opts.Workers)
	var wg sync.WaitGroup
	for range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) processNext(ctx context.Context) bool {
	req, shutdown := c.queue.Get(ctx)
	if shutdown {
		return false
	}
	defer c.queue.Done(req)
	start := time.Now()
	res, err := c.reconcile(ctx, req)
	c.duration(time.Since(start))
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return false
		}
		c.total("error")
		c.errs()
		c.log.Warn("reconcile failed", "request", req.String(), "err", err, "retries", c.queue.NumRequeues(req))
		c.queue.AddRateLimited(req)
	case res.RequeueAfter > 0:
		c.total("requeue_after")
		c.queue.Forget(req)
		c.queue.AddAfter(req, res.RequeueAfter)
	case res.Requeue:
		c.total("requeue")
		c.queue.AddRateLimited(req)
	default:
		c.total("success")
		c.queue.Forget(req)
	}
	return true
}

// reconcile calls the Reconciler, turning a panic into an error so one bad
// object does not stop the process.
func (c *Controller) reconcile(ctx context.Context, req Request) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("controller %s: panic reconciling %s: %v", c.name, req, p)
		}
	}()
	return c.r.Reconcile(ctx, req)
}
