package framework

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultParallelism is the number of goroutines Filter and Score use
// when the configuration sets none (Kubernetes' default).
const DefaultParallelism = 16

// Parallelizer runs independent pieces of work over a bounded number of
// goroutines.
type Parallelizer struct {
	parallelism int
}

// NewParallelizer returns a Parallelizer of n workers; n <= 0 means
// DefaultParallelism.
func NewParallelizer(n int) Parallelizer {
	if n <= 0 {
		n = DefaultParallelism
	}
	return Parallelizer{parallelism: n}
}

// Parallelism returns the number of workers.
func (p Parallelizer) Parallelism() int {
	if p.parallelism <= 0 {
		return DefaultParallelism
	}
	return p.parallelism
}

// Until calls do(i) for every i in [0, pieces) and returns when all calls
// returned. Once ctx is done no new piece starts. Pieces are handed out one
// at a time, so a slow piece does not hold up a whole chunk.
func (p Parallelizer) Until(ctx context.Context, pieces int, do func(i int)) {
	if pieces <= 0 {
		return
	}
	workers := min(p.Parallelism(), pieces)
	if workers == 1 {
		for i := 0; i < pieces && ctx.Err() == nil; i++ {
			do(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= pieces {
					return
				}
				do(i)
			}
		}()
	}
	wg.Wait()
}
