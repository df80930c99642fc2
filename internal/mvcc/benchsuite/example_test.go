package benchsuite_test

import (
	"fmt"
	"testing"

	"github.com/longshore/longshore/internal/mvcc/benchsuite"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

// A backend's benchmark is one call; testing.Benchmark runs it outside
// `go test` too. (No Output: timings vary.)
func ExampleRun() {
	res := testing.Benchmark(func(b *testing.B) {
		benchsuite.Run(b, func(b *testing.B) store.Store {
			s := memory.New(nil)
			b.Cleanup(func() { s.Close() })
			return s
		})
	})
	fmt.Println(res.String())
}
