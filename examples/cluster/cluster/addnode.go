package cluster

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/longshore/longshore/apiserver/client"
)

// nodeName is a lowercase RFC 1123 subdomain, as Node names are.
var nodeName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// NodeOptions describe a node added to a running cluster with AddNode.
type NodeOptions struct {
	// Name is the node's name. Required.
	Name string
	// ContainerdSocket is the CRI socket of the node's containerd.
	// Required: an added node brings its own runtime.
	ContainerdSocket string
	// NetNS is the node's network namespace, where that containerd runs
	// ("" for the host's); its streaming server is relayed as for the
	// first node.
	NetNS string
	// KubeletPort is the kubelet API's port on 127.0.0.1; 0 picks a free
	// one.
	KubeletPort int
}

// Node is a node added with AddNode.
type Node struct {
	name   string
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   func()
	once   sync.Once
}

// Name returns the node's name.
func (n *Node) Name() string { return n.name }

// Stop stops the node's kubelet and waits until it has stopped: its
// heartbeats end, while its containers keep running in its containerd, as
// on a node that lost its network. The node lifecycle controller then
// marks it unreachable after the grace period and evicts its pods. Stop is
// idempotent; the cluster stops its added nodes when it stops.
func (n *Node) Stop() {
	n.once.Do(func() {
		n.cancel()
		n.wg.Wait()
		n.stop()
	})
}

// AddNode starts one more kubelet against the cluster, with the cluster's
// heartbeat settings and its state under DataDir/nodes/NAME. It runs until
// ctx is cancelled, Node.Stop is called or the cluster stops.
func (c *Cluster) AddNode(ctx context.Context, opts *NodeOptions) (*Node, error) {
	if opts == nil || opts.Name == "" || opts.ContainerdSocket == "" {
		return nil, fmt.Errorf("%w: an added node needs a name and a containerd socket", ErrInvalidOptions)
	}
	if !nodeName.MatchString(opts.Name) || len(opts.Name) > 253 {
		return nil, fmt.Errorf("%w: node name %q is not a DNS subdomain", ErrInvalidOptions, opts.Name)
	}
	if opts.Name == c.node {
		return nil, fmt.Errorf("%w: node %q exists", ErrInvalidOptions, opts.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, fmt.Errorf("%w: the cluster has stopped", ErrInvalidOptions)
	}
	port := opts.KubeletPort
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	nctx, cancel := context.WithCancel(ctx)
	o := c.opts
	o.Runtime, o.ContainerdSocket, o.NodeNetNS = RuntimeContainerd, opts.ContainerdSocket, opts.NetNS
	log := c.log.With("node", opts.Name)
	rt, err := startRuntime(nctx, &o, log.With("component", "runtime"))
	if err != nil {
		cancel()
		return nil, err
	}
	cfg, err := c.sec.ClientConfig(c.url, "system:node:"+opts.Name, "system:nodes")
	if err == nil {
		var kc *client.Client
		if kc, err = client.New(cfg); err == nil {
			n := &Node{name: opts.Name, cancel: cancel, stop: rt.stop}
			dir := filepath.Join(o.DataDir, "nodes", opts.Name)
			if err = startNode(nctx, &n.wg, kc, c.sec, &o, opts.Name, port, dir, rt, log.With("component", "kubelet")); err == nil {
				c.nodes = append(c.nodes, n)
				return n, nil
			}
		}
	}
	cancel()
	rt.stop()
	return nil, fmt.Errorf("node %s: %w", opts.Name, err)
}
