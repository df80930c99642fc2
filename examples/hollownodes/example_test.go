package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

// Three hollow nodes join an in-process cluster.
func ExampleStart() {
	s, _ := apiservertest.New(nil)
	defer s.Close()
	dir, _ := os.MkdirTemp("", "hollow")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	fleet, _ := Start(ctx, s.Client, Options{Nodes: 3, CPU: resource.MustParse("1"), Memory: resource.MustParse("1Gi"), Pods: 10, Dir: dir})
	for i := 0; i < 100; i++ {
		l, _ := client.MustFor[*core.Node](s.Client).List(ctx, client.ListOptions{})
		if l != nil && len(l.Items) == 3 {
			fmt.Println(l.Items[0].Name, l.Items[1].Name, l.Items[2].Name)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	fleet.Wait()
	// Output: hollow-0 hollow-1 hollow-2
}
