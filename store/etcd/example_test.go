package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/etcd"
)

// Start a throwaway etcd, then create, update with compare-and-swap and
// watch a key through the store contract. It needs etcd on PATH, so it has
// no Output to check; it prints:
//
//	created v1 at revision 2
//	conflict: true
//	PUT pods/a v2
func Example() {
	dir, err := os.MkdirTemp("", "etcd-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cluster, err := etcdproc.Start(ctx, dir, etcdproc.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Stop()

	s, err := etcd.New(ctx, etcd.Config{Endpoints: cluster.Endpoints(), Prefix: "/longshore/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	kv, err := s.Create(ctx, "pods/a", []byte("v1"), 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("created %s at revision %d\n", kv.Value, kv.ModRevision)

	w, err := s.Watch(ctx, "pods/", store.WatchOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	if _, err := s.Update(ctx, "pods/a", []byte("v2"), kv.ModRevision); err != nil {
		fmt.Println(err)
		return
	}
	// A second writer holding the old revision loses.
	_, err = s.Update(ctx, "pods/a", []byte("v3"), kv.ModRevision)
	fmt.Println("conflict:", errors.Is(err, store.ErrConflict))
	ev := <-w.Events()
	fmt.Println(ev.Type, ev.KV.Key, string(ev.KV.Value))
}
