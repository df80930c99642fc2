package framework

import (
	"context"
	"math"
	"runtime"
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
// returned. Once ctx is done no new chunk starts. Pieces are handed out in
// small chunks (about the square root of pieces, as Kubernetes does, and
// at most a quarter of a worker's share), so a slow piece holds up little
// and workers do not contend on every piece. No more workers run than
// GOMAXPROCS: the pieces are CPU-bound.
func (p Parallelizer) Until(ctx context.Context, pieces int, do func(i int)) {
	if pieces <= 0 {
		return
	}
	workers := min(p.Parallelism(), pieces, runtime.GOMAXPROCS(0))
	if workers == 1 {
		for i := 0; i < pieces && ctx.Err() == nil; i++ {
			do(i)
		}
		return
	}
	chunk := max(1, min(int(math.Sqrt(float64(pieces))), pieces/(4*workers)))
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= pieces {
					return
				}
				for i := start; i < min(start+chunk, pieces); i++ {
					do(i)
				}
			}
		}()
	}
	wg.Wait()
}
