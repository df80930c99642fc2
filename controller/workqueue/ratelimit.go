package workqueue

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter decides how long an item waits before it is retried. Its
// methods are called concurrently.
type RateLimiter[T comparable] interface {
	// When returns the delay before item may be processed again, and
	// counts one more retry of it.
	When(item T) time.Duration
	// Forget clears the retry history of item.
	Forget(item T)
	// NumRequeues returns how many times item was retried since Forget.
	NumRequeues(item T) int
}

// ExponentialLimiter delays an item base*2^n, up to max, where n is the
// number of its retries.
type ExponentialLimiter[T comparable] struct {
	base, max time.Duration
	mu        sync.Mutex
	failures  map[T]int
}

// NewExponentialLimiter returns a per-item exponential back-off from base
// doubling up to max.
func NewExponentialLimiter[T comparable](base, max time.Duration) *ExponentialLimiter[T] {
	return &ExponentialLimiter[T]{base: base, max: max, failures: map[T]int{}}
}

// When implements RateLimiter.
func (l *ExponentialLimiter[T]) When(item T) time.Duration {
	l.mu.Lock()
	n := l.failures[item]
	l.failures[item] = n + 1
	l.mu.Unlock()
	d := float64(l.base) * math.Pow(2, float64(n))
	if d > float64(l.max) || math.IsInf(d, 0) {
		return l.max
	}
	return time.Duration(d)
}

// Forget implements RateLimiter.
func (l *ExponentialLimiter[T]) Forget(item T) {
	l.mu.Lock()
	delete(l.failures, item)
	l.mu.Unlock()
}

// NumRequeues implements RateLimiter.
func (l *ExponentialLimiter[T]) NumRequeues(item T) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures[item]
}

// BucketLimiter is an overall token bucket shared by all items.
type BucketLimiter[T comparable] struct {
	limiter *rate.Limiter
}

// NewBucketLimiter returns a token bucket of qps with burst.
func NewBucketLimiter[T comparable](qps float64, burst int) *BucketLimiter[T] {
	return &BucketLimiter[T]{limiter: rate.NewLimiter(rate.Limit(qps), burst)}
}

// When implements RateLimiter.
func (l *BucketLimiter[T]) When(T) time.Duration { return l.limiter.Reserve().Delay() }

// Forget implements RateLimiter (the bucket keeps no per-item state).
func (l *BucketLimiter[T]) Forget(T) {}

// NumRequeues implements RateLimiter; it is always 0.
func (l *BucketLimiter[T]) NumRequeues(T) int { return 0 }

// MaxOfLimiter delays an item by the longest delay of its limiters.
type MaxOfLimiter[T comparable] struct {
	limiters []RateLimiter[T]
}

// NewMaxOfLimiter combines limiters: When is the maximum of theirs.
func NewMaxOfLimiter[T comparable](limiters ...RateLimiter[T]) *MaxOfLimiter[T] {
	return &MaxOfLimiter[T]{limiters: limiters}
}

// When implements RateLimiter.
func (l *MaxOfLimiter[T]) When(item T) time.Duration {
	var d time.Duration
	for _, r := range l.limiters {
		d = max(d, r.When(item))
	}
	return d
}

// Forget implements RateLimiter.
func (l *MaxOfLimiter[T]) Forget(item T) {
	for _, r := range l.limiters {
		r.Forget(item)
	}
}

// NumRequeues implements RateLimiter: the largest count of its limiters.
func (l *MaxOfLimiter[T]) NumRequeues(item T) int {
	n := 0
	for _, r := range l.limiters {
		n = max(n, r.NumRequeues(item))
	}
	return n
}

// DefaultRateLimiter returns client-go's default controller limiter: a
// per-item back-off from 5 ms doubling to 1000 s, and an overall bucket of
// 10 qps with a burst of 100.
func DefaultRateLimiter[T comparable]() RateLimiter[T] {
	return NewMaxOfLimiter[T](
		NewExponentialLimiter[T](5*time.Millisecond, 1000*time.Second),
		NewBucketLimiter[T](10, 100),
	)
}

var (
	_ RateLimiter[string] = (*ExponentialLimiter[string])(nil)
	_ RateLimiter[string] = (*BucketLimiter[string])(nil)
	_ RateLimiter[string] = (*MaxOfLimiter[string])(nil)
)
