package cluster_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/examples/cluster/cluster"
)

// Options are checked before anything starts.
func ExampleStart() {
	_, err := cluster.Start(context.Background(), &cluster.Options{Runtime: "docker"})
	fmt.Println(err)
	// Output: cluster: invalid options: runtime "docker": want auto, containerd or fake
}
