package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/authz"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
	"github.com/longshore/longshore/proxy/userspace"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/store/bolt"
)

// Defaults of Options.
const (
	DefaultDataDir     = "longshore-data"
	DefaultListen      = "127.0.0.1:6443"
	DefaultKubeletPort = 10250
	// DefaultServiceCIDR is the range ClusterIPs come from (the API
	// server's default).
	DefaultServiceCIDR = "198.19.0.0/20"
)

// Runtime modes of Options.Runtime.
const (
	// RuntimeAuto uses a containerd socket if one is given or found, else
	// starts containerd when installed and running as root, else the fake
	// runtime.
	RuntimeAuto = "auto"
	// RuntimeContainerd uses the containerd at Options.ContainerdSocket
	// (default /run/containerd/containerd.sock).
	RuntimeContainerd = "containerd"
	// RuntimeFake uses cri/fake, an in-memory runtime.
	RuntimeFake = "fake"
)

// ErrInvalidOptions is returned (wrapped) for options that cannot work.
var ErrInvalidOptions = errors.New("cluster: invalid options")

// Options configure a cluster; the zero value works (state in
// DefaultDataDir, API server on DefaultListen, node named after the host).
type Options struct {
	// DataDir holds the store, the PKI, the kubeconfig, the kubelet's
	// state and, when the cluster starts containerd, its CNI config.
	DataDir string
	// Listen is the API server's address; a port of 0 picks a free one.
	Listen string
	// Kubeconfig is where the admin kubeconfig is written; default
	// DataDir/admin.kubeconfig.
	Kubeconfig string
	// Runtime is RuntimeAuto (default), RuntimeContainerd or RuntimeFake.
	Runtime string
	// ContainerdSocket is the CRI socket of a running containerd; it
	// implies RuntimeContainerd when Runtime is auto.
	ContainerdSocket string
	// NodeName names the node; default the lowercased hostname.
	NodeName string
	// KubeletPort is the kubelet API's port on 127.0.0.1; default
	// DefaultKubeletPort.
	KubeletPort int
	// NodeNetNS is the node's network namespace (a path such as
	// /run/netns/NAME); "" means the process's own. See the package
	// documentation.
	NodeNetNS string
	// ServiceCIDR is the ClusterIP range; default DefaultServiceCIDR.
	ServiceCIDR string
	// NodeMonitorGracePeriod is how long a node may go without a
	// heartbeat before the node lifecycle controller marks it unreachable
	// (default the controller's, 50 s).
	NodeMonitorGracePeriod time.Duration
	// HeartbeatInterval is how often the kubelets renew their node Lease
	// and post their status (default the kubelet's, 10 s); keep it well
	// under NodeMonitorGracePeriod.
	HeartbeatInterval time.Duration
	// Logger receives the components' records; nil discards.
	Logger *slog.Logger
	// Stdout receives the human-readable progress lines the command
	// prints; nil discards.
	Stdout io.Writer
}

// Cluster is a running cluster.
type Cluster struct {
	url, kubeconfig, node string
	running               []string
	done                  chan struct{}
	err                   error

	sec  *apiserver.Secure
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	stopped bool
	nodes   []*Node // added with AddNode
}

// URL returns the API server's https URL.
func (c *Cluster) URL() string { return c.url }

// Kubeconfig returns the path of the admin kubeconfig.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// NodeName returns the node's name.
func (c *Cluster) NodeName() string { return c.node }

// Components describes what runs, one entry per component.
func (c *Cluster) Components() []string { return append([]string(nil), c.running...) }

// Done is closed when the cluster has stopped.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Wait blocks until the cluster has stopped (its context was cancelled, or
// the API server failed) and returns the API server's error, if any.
func (c *Cluster) Wait() error {
	<-c.done
	return c.err
}

// Run starts a cluster and waits for it to stop.
func Run(ctx context.Context, opts *Options) error {
	c, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	return c.Wait()
}

// Start starts every component and returns once the API server serves and
// the kubeconfig is written. Cancelling ctx stops the cluster: components
// end, the proxy removes its rules, a containerd the cluster started is
// stopped (a given one keeps running, with its containers), and the store is
// closed; Wait reports when that is done.
func Start(ctx context.Context, opts *Options) (_ *Cluster, err error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Kubeconfig == "" {
		o.Kubeconfig = filepath.Join(o.DataDir, "admin.kubeconfig")
	}
	if o.KubeletPort == 0 {
		o.KubeletPort = DefaultKubeletPort
	}
	if o.KubeletPort < 0 || o.KubeletPort > 65535 {
		return nil, fmt.Errorf("%w: kubelet port %d", ErrInvalidOptions, o.KubeletPort)
	}
	if o.ServiceCIDR == "" {
		o.ServiceCIDR = DefaultServiceCIDR
	}
	if o.Runtime == "" {
		o.Runtime = RuntimeAuto
	}
	if o.ContainerdSocket != "" && o.Runtime == RuntimeAuto {
		o.Runtime = RuntimeContainerd
	}
	switch o.Runtime {
	case RuntimeAuto, RuntimeContainerd, RuntimeFake:
	default:
		return nil, fmt.Errorf("%w: runtime %q: want auto, containerd or fake", ErrInvalidOptions, o.Runtime)
	}
	if o.NodeNetNS != "" {
		if _, err := os.Stat(o.NodeNetNS); err != nil {
			return nil, fmt.Errorf("%w: node network namespace: %w", ErrInvalidOptions, err)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := o.Stdout
	if out == nil {
		out = io.Discard
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen: %w", ErrInvalidOptions, err)
	}

	// The components run under cctx, the API server under sctx. On
	// shutdown (or a failed start) the components stop first, while the
	// server still answers them (leader election releases its leases, the
	// kubelet reports its pods), then the server, then the cleanups run in
	// reverse order. sctx does not end with ctx: only stopAll ends it.
	cctx, cancel := context.WithCancel(ctx)
	sctx, scancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg, swg sync.WaitGroup
	var cleanups []func()
	stopAll := func() {
		cancel()
		waitGroup(&wg, 15*time.Second, log)
		scancel()
		waitGroup(&swg, 15*time.Second, log)
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	defer func() {
		if err != nil {
			stopAll()
		}
	}()
	goRun := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && cctx.Err() == nil {
				log.Error(name+" stopped", "err", err)
			}
		}()
	}

	db, err := bolt.Open(filepath.Join(o.DataDir, "state.db"), &bolt.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cleanups = append(cleanups, func() { db.Close() })
	srv, sec, err := apiserver.NewSecure(apiserver.Config{Store: db, Logger: log, ServiceCIDR: o.ServiceCIDR},
		apiserver.SecureOptions{PKIDir: filepath.Join(o.DataDir, "pki"), Hosts: []string{host}})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(sctx); err != nil {
		return nil, fmt.Errorf("start API server: %w", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, err
	}
	url := "https://" + ln.Addr().String()
	if err := sec.WriteKubeconfig(o.Kubeconfig, url, "longshore-admin", "system:masters"); err != nil {
		ln.Close()
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	fmt.Fprintf(out, "API server ready at %s (store: %s); kubeconfig written to %s\n", url, filepath.Join(o.DataDir, "state.db"), o.Kubeconfig)
	fmt.Fprintf(out, "  try: kubectl --kubeconfig %s get namespaces\n", o.Kubeconfig)

	c := &Cluster{url: url, kubeconfig: o.Kubeconfig, done: make(chan struct{}), sec: sec, opts: o, log: log}
	serveErr := make(chan error, 1)
	swg.Add(1)
	go func() {
		defer swg.Done()
		serveErr <- srv.Serve(sctx, ln, sec.TLS)
	}()

	// The other components talk to the API server like any client, each
	// with its own identity (RBAC roles bootstrapped by the server).
	c.running = []string{"API server (RBAC, watch cache, CRDs)"}
	newClient := func(user string, groups ...string) (*client.Client, error) {
		cfg, err := sec.ClientConfig(url, user, groups...)
		if err != nil {
			return nil, err
		}
		return client.New(cfg)
	}
	schedClient, err := newClient(authz.UserKubeScheduler)
	if err != nil {
		return nil, err
	}
	sched, err := scheduler.New(cctx, schedClient, &scheduler.Options{Logger: log.With("component", "scheduler")})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	goRun("scheduler", func() error { return sched.Run(cctx) })
	c.running = append(c.running, "scheduler (default profile)")

	cmClient, err := newClient(authz.UserKubeControllerManager)
	if err != nil {
		return nil, err
	}
	goRun("controller manager", func() error {
		return controllermanager.Run(cctx, cmClient, controllermanager.Options{
			NodeMonitorGracePeriod: o.NodeMonitorGracePeriod, Logger: log.With("component", "controller-manager")})
	})
	c.running = append(c.running, "controller manager (replicaset, deployment, endpoints, serviceaccount, namespace, garbage collector, node lifecycle)")

	proxyClient, err := newClient(authz.UserKubeProxy)
	if err != nil {
		return nil, err
	}
	var backend proxy.Backend
	if aerr := nftables.Available(cctx, o.NodeNetNS); aerr == nil {
		nb, err := nftables.New(&nftables.Options{NetNSPath: o.NodeNetNS, Logger: log.With("component", "proxy")})
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		cleanups = append(cleanups, func() {
			nb.Cleanup(context.Background())
			nb.Close()
		})
		backend = nb
		where := ""
		if o.NodeNetNS != "" {
			where = " in " + o.NodeNetNS
		}
		c.running = append(c.running, "proxy (nftables"+where+")")
	} else {
		if o.NodeNetNS != "" {
			return nil, fmt.Errorf("proxy: nftables in the node namespace %s: %w", o.NodeNetNS, aerr)
		}
		backend = userspace.New(&userspace.Options{Listen: userspace.Loopback, Logger: log.With("component", "proxy")})
		c.running = append(c.running, fmt.Sprintf("proxy (userspace on loopback: %v)", aerr))
	}
	goRun("proxy", func() error {
		return proxy.Run(cctx, proxyClient, backend, &proxy.ControllerOptions{Logger: log.With("component", "proxy")})
	})

	name := o.NodeName
	if name == "" {
		if name, err = os.Hostname(); err != nil || name == "" {
			name = "node-1"
		}
		name = strings.ToLower(name)
	}
	c.node = name
	rt, err := startRuntime(cctx, &o, log.With("component", "runtime"))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, rt.stop)
	nodeClient, err := newClient("system:node:"+name, "system:nodes")
	if err != nil {
		return nil, err
	}
	if err := startNode(cctx, &wg, nodeClient, sec, &o, name, o.KubeletPort, o.DataDir, rt, log.With("component", "kubelet")); err != nil {
		return nil, fmt.Errorf("kubelet: %w", err)
	}
	c.running = append(c.running, fmt.Sprintf("node %q (kubelet on %s)", name, rt.desc))
	fmt.Fprintln(out, "Running:\n  - "+strings.Join(c.running, "\n  - "))

	go func() {
		var serr error
		select {
		case serr = <-serveErr:
			if errors.Is(serr, net.ErrClosed) || sctx.Err() != nil {
				serr = nil
			}
		case <-cctx.Done():
		}
		fmt.Fprintln(out, "shutting down")
		c.mu.Lock()
		c.stopped = true
		nodes := c.nodes
		c.mu.Unlock()
		for _, n := range nodes {
			n.Stop()
		}
		stopAll()
		c.err = serr
		close(c.done)
	}()
	return c, nil
}

// waitGroup waits for wg, at most d.
func waitGroup(wg *sync.WaitGroup, d time.Duration, log *slog.Logger) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		log.Warn("components still running after shutdown timeout", "timeout", d)
	}
}
