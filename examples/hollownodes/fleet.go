package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/kubelet"
)

// Options describe a fleet of hollow nodes.
type Options struct {
	Nodes       int
	Prefix      string
	CPU, Memory resource.Quantity
	Pods        int64
	// Dir holds the nodes' (empty) volume and log directories.
	Dir    string
	Logger *slog.Logger
}

// Fleet is a running set of hollow nodes.
type Fleet struct {
	wg sync.WaitGroup
}

// Wait blocks until every node's kubelet has returned (after ctx is done).
func (f *Fleet) Wait() { f.wg.Wait() }

// Start runs o.Nodes kubelets on cri/fake against the cluster of c until
// ctx is done. Each node gets its own /24 of pod addresses in 198.18.0.0/15
// (they repeat after 512 nodes: the pods are simulated).
func Start(ctx context.Context, c *client.Client, o Options) (*Fleet, error) {
	if o.Nodes < 1 {
		return nil, fmt.Errorf("need at least one node, got %d", o.Nodes)
	}
	if o.Prefix == "" {
		o.Prefix = "hollow"
	}
	capacity := core.ResourceList{core.ResourceCPU: o.CPU, core.ResourceMemory: o.Memory,
		core.ResourcePods: resource.MustParse(strconv.FormatInt(o.Pods, 10))}
	f := &Fleet{}
	for i := 0; i < o.Nodes; i++ {
		cidr := fmt.Sprintf("198.%d.%d.0/24", 18+(i/256)%2, i%256)
		rt, err := fake.New(&fake.Options{PodCIDR: cidr, Images: []string{"longshore.dev/testserver:v1", "longshore.dev/busybox:v1"}})
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%s-%d", o.Prefix, i)
		k, err := kubelet.New(c, rt, rt, &kubelet.Options{
			NodeName:   name,
			Capacity:   capacity,
			Labels:     map[string]string{"longshore.dev/hollow": "true"},
			Addresses:  []core.NodeAddress{{Type: core.NodeHostName, Address: name}},
			RootDir:    filepath.Join(o.Dir, name, "root"),
			PodLogsDir: filepath.Join(o.Dir, name, "logs"),
			Pressure:   func(context.Context) kubelet.Pressure { return kubelet.Pressure{} },
			Logger:     o.Logger,
		})
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			if err := k.Run(ctx); err != nil && ctx.Err() == nil && o.Logger != nil {
				o.Logger.Error("hollow node stopped", "node", name, "err", err)
			}
		}()
	}
	return f, nil
}
