package memory_test

import (
	"testing"

	"github.com/longshore/longshore/internal/mvcc/benchsuite"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// BenchmarkStore: go test -run '^$' -bench . -benchmem -benchtime 2000x ./store/memory
func BenchmarkStore(b *testing.B) {
	benchsuite.Run(b, func(b *testing.B) store.Store {
		s := memory.New(nil)
		b.Cleanup(func() { s.Close() })
		return s
	})
}
