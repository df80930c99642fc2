package cluster_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/longshore/longshore/examples/cluster/cluster"
)

// TestStartRejectsBadOptions checks that options that cannot work fail
// before anything starts, with ErrInvalidOptions.
func TestStartRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		opts cluster.Options
	}{
		{"runtime", cluster.Options{DataDir: dir, Runtime: "docker"}},
		{"kubelet port", cluster.Options{DataDir: dir, KubeletPort: 70000}},
		{"node netns", cluster.Options{DataDir: dir, NodeNetNS: filepath.Join(dir, "no-such-netns")}},
		{"listen", cluster.Options{DataDir: dir, Listen: "no-port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c, err := cluster.Start(ctx, &tc.opts)
			if !errors.Is(err, cluster.ErrInvalidOptions) {
				if c != nil {
					cancel()
					c.Wait()
				}
				t.Fatalf("Start(%+v) = %v, want ErrInvalidOptions", tc.opts, err)
			}
		})
	}
}
