// Package workqueue is the work queue of Longshore's controllers: a
// de-duplicating FIFO of keys, with delayed adds and per-item rate
// limiting, generic over a comparable item type.
//
// # Basics
//
// A controller adds keys (say, a namespace/name pair) when something
// changed; workers Get a key, reconcile it, then call Done. A key is in
// the queue at most once: adding a queued key is a no-op, and a key added
// while a worker processes it is queued again once, after Done, so two
// workers never process the same key at the same time.
//
// AddAfter queues a key after a delay (the earliest pending delay wins);
// AddRateLimited delays it by its RateLimiter (by default the larger of a
// per-item exponential back-off, 5 ms doubling up to 1000 s, and an
// overall token bucket of 10 qps with a burst of 100, as client-go does);
// Forget resets the key's back-off after a success.
//
// # Shutting down
//
// ShutDown stops new adds and wakes every blocked Get; keys already
// queued are still handed out, and Get reports shutdown once the queue is
// empty. ShutDownWithDrain also waits until every key handed out is Done.
//
// # Metrics
//
// Options.Metrics (see NewMetrics) records depth, adds, queue latency,
// work duration and retries per queue name in Prometheus collectors.
package workqueue
