package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/cri/server"
)

// Serve the in-memory fake as a CRI endpoint (crictl and kubelets can use
// it) and talk to it with cri/remote.
func Example() {
	dir, _ := os.MkdirTemp("", "cri-example")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "fake.sock")

	rt, _ := fake.New(nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	defer stop()
	go func() { done <- server.New(rt, rt, nil).ListenAndServe(ctx, sock) }()

	var c *remote.Client
	var err error
	for range 100 { // the listener comes up asynchronously
		if c, err = remote.New(context.Background(), "unix://"+sock, nil); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	v, _ := c.Version(context.Background(), &runtimeapi.VersionRequest{})
	fmt.Println(v.RuntimeName, v.RuntimeApiVersion)
	stop()
	fmt.Println(<-done)
	// Output:
	// longshore-fake v1
	// <nil>
}
