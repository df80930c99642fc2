package memory_test

import (
	"testing"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
	"github.com/longshore/longshore/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) store.Store {
		s := memory.New(nil)
		t.Cleanup(func() { s.Close() })
		return s
	})
}
