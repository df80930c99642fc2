// Package benchsuite holds the benchmarks shared by store/bolt and
// store/memory, so that both backends are measured by the same code.
package benchsuite

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/longshore/longshore/store"
)

// Run runs the benchmarks against stores made by newStore: Put with 1 and
// 64 goroutines, Get, List of 10,000 keys and watch delivery.
func Run(b *testing.B, newStore func(b *testing.B) store.Store) {
	ctx := context.Background()
	value := make([]byte, 256)
	b.Run("Put/1", func(b *testing.B) {
		s := newStore(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Create(ctx, fmt.Sprintf("/bench/%d", i), value, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put/64", func(b *testing.B) {
		s := newStore(b)
		var n atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/parallelBase()))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Create(ctx, fmt.Sprintf("/bench/%d", n.Add(1)), value, 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Get", func(b *testing.B) {
		s := newStore(b)
		fill(b, s, "/get/", 1000, value)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Get(ctx, fmt.Sprintf("/get/%05d", i%1000), store.GetOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List10k", func(b *testing.B) {
		s := newStore(b)
		fill(b, s, "/list/", 10000, value)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			res, err := s.List(ctx, "/list/", store.ListOptions{})
			if err != nil || len(res.KVs) != 10000 {
				b.Fatalf("list: %d keys, %v", len(res.KVs), err)
			}
		}
	})
	b.Run("WatchDelivery", func(b *testing.B) {
		s := newStore(b)
		w, err := s.Watch(ctx, "/watch/", store.WatchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		done := make(chan int)
		go func() {
			n := 0
			for range w.Events() {
				if n++; n == b.N {
					break
				}
			}
			done <- n
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.Create(ctx, fmt.Sprintf("/watch/%d", i), value, 0); err != nil {
				b.Fatal(err)
			}
		}
		if n := <-done; n != b.N {
			b.Fatalf("delivered %d of %d events (%v)", n, b.N, w.Err())
		}
	})
}

// parallelBase is what RunParallel multiplies the parallelism by.
func parallelBase() int { return runtime.GOMAXPROCS(0) }

func fill(b *testing.B, s store.Store, prefix string, n int, value []byte) {
	b.Helper()
	ctx := context.Background()
	sem := make(chan struct{}, 64)
	errs := make(chan error, n)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if _, err := s.Create(ctx, fmt.Sprintf("%s%05d", prefix, i), value, 0); err != nil {
				errs <- err
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
