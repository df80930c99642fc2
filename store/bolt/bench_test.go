package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/longshore/longshore/internal/mvcc/benchsuite"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

// BenchmarkStore: go test -run '^$' -bench . -benchmem -benchtime 2000x ./store/bolt
func BenchmarkStore(b *testing.B) {
	benchsuite.Run(b, func(b *testing.B) store.Store {
		db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
