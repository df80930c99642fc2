package framework

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestParallelizerUntil(t *testing.T) {
	for _, tt := range []struct{ workers, pieces int }{{1, 10}, {4, 1000}, {16, 3}, {0, 50}} {
		seen := make([]atomic.Int32, tt.pieces)
		NewParallelizer(tt.workers).Until(context.Background(), tt.pieces, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if seen[i].Load() != 1 {
				t.Fatalf("workers=%d: piece %d ran %d times", tt.workers, i, seen[i].Load())
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 4} {
		var ran atomic.Int32
		NewParallelizer(workers).Until(ctx, 1000, func(int) { ran.Add(1) })
		if n := ran.Load(); n != 0 {
			t.Errorf("workers=%d: %d pieces ran on a cancelled context", workers, n)
		}
	}
}
