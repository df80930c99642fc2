package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels the kubelet puts on sandboxes and containers. A kubelet that
// restarts finds its pods in the runtime by them.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// The node labels the kubelet sets.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
	LabelArch     = "kubernetes.io/arch"
)

// Errors of the package.
var (
	// ErrInvalidOptions reports an unusable Options value.
	ErrInvalidOptions = errors.New("kubelet: invalid options")
	// ErrNotRunning is returned when a pod or container the caller names is
	// not known to the kubelet.
	ErrNotRunning = errors.New("kubelet: not running on this node")
)

// Options configure a Kubelet. Only NodeName is required; the zero value
// of every other field picks Kubernetes' default.
type Options struct {
	// NodeName is the Node object's name and the kubernetes.io/hostname
	// label. Required.
	NodeName string
	// Capacity overrides what is read from the machine (cpu, memory,
	// ephemeral-storage); "pods" defaults to 110. Hollow nodes set it.
	Capacity core.ResourceList
	// Reserved is subtracted from Capacity to give Allocatable.
	Reserved core.ResourceList
	// Labels are added to the node's labels.
	Labels map[string]string
	// Taints are set on the node when it registers.
	Taints []core.Taint
	// Addresses are the node's addresses. Default: an InternalIP found on
	// the machine (127.0.0.1 if none) and the Hostname.
	Addresses []core.NodeAddress
	// KubeletPort is published as daemonEndpoints.kubeletEndpoint.port
	// (default 10250); the server of the kubelet API listens there when
	// the caller serves it.
	KubeletPort int32
	// RootDir holds the pods' volumes (default /var/lib/longshore-kubelet).
	RootDir string
	// PodLogsDir holds the containers' CRI log files (default
	// /var/log/pods).
	PodLogsDir string

	// LeaseDuration is the node Lease's duration (default 40 s) and
	// LeaseRenewInterval how often it is renewed (default 10 s).
	LeaseDuration      time.Duration
	LeaseRenewInterval time.Duration
	// NodeStatusUpdateFrequency is how often the node status is computed
	// and written if it changed (default 10 s); NodeStatusReportFrequency
	// is how often it is written even when unchanged (default 5 min).
	NodeStatusUpdateFrequency time.Duration
	NodeStatusReportFrequency time.Duration
	// RelistPeriod is the PLEG's relist period (default 1 s).
	RelistPeriod time.Duration
	// HousekeepingPeriod is how often orphaned sandboxes are removed and
	// volumes resynced (default 2 s here; Kubernetes uses 2 s too).
	HousekeepingPeriod time.Duration
	// BackOffInitial and BackOffMax bound CrashLoopBackOff (default 10 s
	// and 300 s); BackOffReset is how long a container must have run for
	// its back-off to start over (default 10 min).
	BackOffInitial, BackOffMax, BackOffReset time.Duration

	// ClusterDNS and ClusterDomain feed the pods' resolv.conf under
	// dnsPolicy ClusterFirst (Kubernetes' --cluster-dns and
	// --cluster-domain; default domain cluster.local).
	ClusterDNS    []string
	ClusterDomain string
	// StaticPodPath is a directory of pod manifests (YAML or JSON) the
	// kubelet runs without the API server; each gets a mirror pod in the
	// API. Empty: none.
	StaticPodPath string
	// Pressure reports the node's pressure conditions. Default: memory,
	// disk and PID pressure read from the machine (MachinePressure).
	Pressure func(ctx context.Context) Pressure
	// PodDialer opens the kubelet's own connections to pods: httpGet and
	// tcpSocket probes and lifecycle hooks. Default: a plain dial from
	// the kubelet's network namespace. A node whose pods live in another
	// namespace than the kubelet sets one that dials from there.
	PodDialer func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives diagnostics. Default: discard.
	Logger *slog.Logger
}

// Kubelet is the node agent: it registers its Node, renews its Lease, runs
// the pods bound to it through a CRI runtime and reports their status. It
// is safe for concurrent use; Run drives it.
type Kubelet struct {
	c      *client.Client
	rt     cri.RuntimeService
	img    cri.ImageService
	opts   Options
	log    *slog.Logger
	pods   *client.Resource[*core.Pod]
	nodes  *client.Resource[*core.Node]
	podInf *controller.Informer[*core.Pod]

	runtimeName    string
	runtimeVersion string
	// podHTTP is the client of httpGet probes and hooks (PodDialer).
	podHTTP *http.Client

	probes *probeManager
	tokens tokenCache

	mu       sync.Mutex
	workers  map[string]*podWorker // by pod UID
	admitted map[string]*core.Pod  // by pod UID: pods that passed admission
	node     *core.Node            // last node object written
	lease    *coordination.Lease   // last lease written
	hostIPs  []string
	ips      map[string][]string // pod UID → IPs of its ready sandbox
	wg       sync.WaitGroup
}

// New returns a Kubelet of the node opts.NodeName that talks to the API
// server through c and runs pods through rt and img (one object usually
// implements both).
func New(c *client.Client, rt cri.RuntimeService, img cri.ImageService, opts *Options) (*Kubelet, error) {
	if c == nil || rt == nil || img == nil {
		return nil, fmt.Errorf("%w: client, runtime and image service are required", ErrInvalidOptions)
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.NodeName == "" {
		return nil, fmt.Errorf("%w: NodeName is required", ErrInvalidOptions)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LeaseDuration, 40*time.Second)
	def(&o.LeaseRenewInterval, 10*time.Second)
	def(&o.NodeStatusUpdateFrequency, 10*time.Second)
	def(&o.NodeStatusReportFrequency, 5*time.Minute)
	def(&o.RelistPeriod, time.Second)
	def(&o.HousekeepingPeriod, 2*time.Second)
	def(&o.BackOffInitial, 10*time.Second)
	def(&o.BackOffMax, 300*time.Second)
	def(&o.BackOffReset, 10*time.Minute)
	if o.KubeletPort == 0 {
		o.KubeletPort = 10250
	}
	if o.RootDir == "" {
		o.RootDir = "/var/lib/longshore-kubelet"
	}
	if o.PodLogsDir == "" {
		o.PodLogsDir = "/var/log/pods"
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = "cluster.local"
	}
	if o.PodDialer == nil {
		var d net.Dialer
		o.PodDialer = d.DialContext
	}
	if o.Pressure == nil {
		root := o.RootDir
		o.Pressure = func(ctx context.Context) Pressure { return MachinePressure(root) }
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pods, err := client.For[*core.Pod](c)
	if err != nil {
		return nil, fmt.Errorf("kubelet: %w", err)
	}
	nodes, err := client.For[*core.Node](c)
	if err != nil {
		return nil, fmt.Errorf("kubelet: %w", err)
	}
	k := &Kubelet{c: c, rt: rt, img: img, opts: o, log: log.With("node", o.NodeName),
		pods: pods, nodes: nodes,
		workers: map[string]*podWorker{}, admitted: map[string]*core.Pod{}, ips: map[string][]string{}}
	k.tokens.tokens = map[string]cachedToken{}
	k.podHTTP = newPodHTTPClient(k.opts.PodDialer)
	k.probes = newProbeManager(k)
	k.podInf = controller.NewInformer(pods, controller.InformerOptions{
		FieldSelector: "spec.nodeName=" + o.NodeName, Logger: log})
	return k, nil
}

// NodeName returns the name of the kubelet's node.
func (k *Kubelet) NodeName() string { return k.opts.NodeName }

// Run registers the node, then renews its lease, reports its status, and
// runs the pods bound to it until ctx is done. Containers keep running
// when Run returns: a new kubelet adopts them.
func (k *Kubelet) Run(ctx context.Context) error {
	for _, d := range []string{k.opts.RootDir, k.opts.PodLogsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("kubelet: %w", err)
		}
	}
	v, err := k.rt.Version(ctx, &runtimeapi.VersionRequest{Version: cri.APIVersion})
	if err != nil {
		return fmt.Errorf("kubelet: runtime version: %w", err)
	}
	k.runtimeName, k.runtimeVersion = v.GetRuntimeName(), v.GetRuntimeVersion()
	if err := k.registerNode(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k.podInf.AddEventHandler(controller.HandlerFuncs[*core.Pod]{
		AddFunc:    func(p *core.Pod) { k.podChanged(ctx, p, false) },
		UpdateFunc: func(_, p *core.Pod) { k.podChanged(ctx, p, false) },
		DeleteFunc: func(p *core.Pod, _ bool) { k.podChanged(ctx, p, true) },
	})
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(func(ctx context.Context) { _ = k.podInf.Run(ctx) })
	run(k.heartbeat)
	run(k.relist)
	run(k.watchEvents)
	run(k.housekeeping)
	<-ctx.Done()
	wg.Wait()
	k.wg.Wait()
	return nil
}

// podLogDir is where the runtime writes the logs of a pod's containers, as
// Kubernetes lays them out: <PodLogsDir>/<namespace>_<name>_<uid>.
func (k *Kubelet) podLogDir(p *core.Pod) string {
	return filepath.Join(k.opts.PodLogsDir, p.Namespace+"_"+p.Name+"_"+string(p.UID))
}

// podDir holds a pod's volumes: <RootDir>/pods/<uid>.
func (k *Kubelet) podDir(uid string) string {
	return filepath.Join(k.opts.RootDir, "pods", uid)
}
