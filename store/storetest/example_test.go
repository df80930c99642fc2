package storetest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/etcd"
	"github.com/longshore/longshore/store/storetest"
)

// A backend runs the suite from its own tests with a factory that returns
// a fresh store per subtest and closes it in t.Cleanup. An embedded
// backend calls storetest.Run; one on an external etcd calls RunOptions
// with Etcd set, and gives every subtest its own key prefix on a shared
// cluster.
func Example() {
	conformance := func(t *testing.T) {
		cluster := etcdproc.StartForTest(t, 1)
		var n atomic.Int64
		storetest.RunOptions(t, func(t testing.TB) store.Store {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := etcd.New(ctx, etcd.Config{
				Endpoints: cluster.Endpoints(),
				Prefix:    fmt.Sprintf("/conformance/%d/", n.Add(1)),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, storetest.Options{Etcd: true})
	}
	// In a backend's _test.go this is func TestConformance(t *testing.T).
	fmt.Printf("%T\n", conformance)
	// Output: func(*testing.T)
}
