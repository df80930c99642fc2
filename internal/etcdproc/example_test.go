package etcdproc_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/longshore/longshore/internal/etcdproc"
)

// Start a one-member etcd in a temporary directory, print its endpoint,
// and stop it. It needs etcd on PATH, so it has no Output to check.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "etcd")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := etcdproc.Start(ctx, dir, etcdproc.Options{Members: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop()
	fmt.Println(len(c.Endpoints()), "member at", c.Endpoints()[0])
}
