package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/storetest"
)

// factory returns a storetest factory of stores on cluster, each under its
// own key prefix so that subtests sharing the cluster do not see each other.
func factory(cluster *etcdproc.Cluster) func(t testing.TB) store.Store {
	var n atomic.Int64
	return func(t testing.TB) store.Store {
		return open(t, cluster, fmt.Sprintf("/storetest/%d/", n.Add(1)))
	}
}

// open returns a store on cluster under prefix, closed in t.Cleanup.
func open(t testing.TB, cluster *etcdproc.Cluster, prefix string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := New(ctx, Config{Endpoints: cluster.Endpoints(), Prefix: prefix})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	cluster := etcdproc.StartForTest(t, 1)
	storetest.RunOptions(t, factory(cluster), storetest.Options{Etcd: true})
}

func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("the 3-member run is long; -short runs the 1-member one only")
	}
	cluster := etcdproc.StartForTest(t, 3)
	storetest.RunOptions(t, factory(cluster), storetest.Options{Etcd: true})
}

func TestNewBadConfig(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"no endpoints", Config{}, store.ErrInvalid},
		{"prefix too long", Config{Endpoints: []string{"http://127.0.0.1:1"}, Prefix: strings.Repeat("p", store.MaxKeySize)}, store.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(ctx, tc.cfg)
			if !errors.Is(err, tc.want) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("New(%+v) err = %v, want %v", tc.cfg, err, tc.want)
			}
		})
	}
	if _, err := NewFromClient(nil, ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("NewFromClient(nil) err = %v, want ErrInvalid", err)
	}
}

func TestNewUnreachable(t *testing.T) {
	// A port nobody listens on: New must fail within its context, not hang.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	s, err := New(ctx, Config{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: time.Second})
	if err == nil {
		s.Close()
		t.Fatal("New against a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("New took %v to fail", d)
	}
}

func TestPrefixIsolation(t *testing.T) {
	cluster := etcdproc.StartForTest(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := open(t, cluster, "/a/")
	// b shares a's client: Close of b must leave the client to its owner.
	b, err := NewFromClient(a.Client(), "/b/")
	if err != nil {
		t.Fatal(err)
	}
	wb, err := b.Watch(ctx, "", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, "k", []byte("from a"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("from b"), 0); err != nil {
		t.Fatalf("same key under another prefix: %v", err)
	}
	// A key that only shares the prefix's leading bytes stays out.
	if _, err := a.Client().Put(ctx, "/bx", "raw"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    *Store
		want string
	}{{a, "from a"}, {b, "from b"}} {
		res, err := tc.s.List(ctx, "", store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.KVs) != 1 || res.KVs[0].Key != "k" || string(res.KVs[0].Value) != tc.want {
			t.Fatalf("List under %q = %+v, want only k=%q", tc.s.prefix, res.KVs, tc.want)
		}
	}
	raw, err := a.Client().Get(ctx, "/a/k")
	if err != nil || len(raw.Kvs) != 1 || string(raw.Kvs[0].Value) != "from a" {
		t.Fatalf("raw etcd key /a/k = %v, %v", raw, err)
	}
	select {
	case ev := <-wb.Events():
		if ev.KV.Key != "k" || string(ev.KV.Value) != "from b" {
			t.Fatalf("b's watch saw %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's watch saw nothing")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-wb.Events(); ok {
		t.Fatal("b's watch saw a second event")
	}
	if !errors.Is(wb.Err(), store.ErrClosed) {
		t.Fatalf("b's watch Err after Close = %v", wb.Err())
	}
	if _, err := a.Get(ctx, "k", store.GetOptions{}); err != nil {
		t.Fatalf("a after closing b, which shares its client: %v", err)
	}
}
