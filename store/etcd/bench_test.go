package etcd

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	return open(b, etcdproc.StartForTest(b, 1), "/bench/")
}

// BenchmarkCreate measures one Create (a guarded etcd transaction, fsynced
// by etcd) from parallel clients.
func BenchmarkCreate(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	value := make([]byte, 256)
	var id atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("k/%d", id.Add(1))
			if _, err := s.Create(ctx, key, value, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGet measures one linearizable Get.
func BenchmarkGet(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if _, err := s.Create(ctx, "k", make([]byte, 256), 0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.Get(ctx, "k", store.GetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList measures a List of 100 keys of 256 bytes.
func BenchmarkList(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := range 100 {
		if _, err := s.Create(ctx, fmt.Sprintf("l/%03d", i), make([]byte, 256), 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		res, err := s.List(ctx, "l/", store.ListOptions{})
		if err != nil || len(res.KVs) != 100 {
			b.Fatalf("list: %d keys, %v", len(res.KVs), err)
		}
	}
}
