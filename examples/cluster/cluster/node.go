package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/kubelet"
)

// Images the cluster imports into a containerd it starts, so pods can run
// without a registry (none is reachable from a sandboxed machine).
const (
	TestServerImage = "longshore.dev/testserver:v1"
	BusyboxImage    = "longshore.dev/busybox:v1"
)

// BridgeName is the Linux bridge of the pod network of a containerd the
// cluster starts; PodSubnet its range.
const (
	BridgeName = "longshore0"
	PodSubnet  = "198.18.0.0/24"
)

// DefaultContainerdSocket is where a system containerd serves.
const DefaultContainerdSocket = "/run/containerd/containerd.sock"

// nodeRuntime is the container runtime the node's kubelet drives.
type nodeRuntime struct {
	rt   cri.RuntimeService
	img  cri.ImageService
	desc string
	stop func()
	// dial, when the pods live in a node namespace, opens the kubelet's
	// probe and hook connections from inside it.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// startRuntime picks the runtime: a given containerd socket; else, with
// auto, the system's containerd socket if there is one (not with a node
// namespace: that containerd's pods would live in the host's), else a
// containerd the cluster starts itself when the machine has containerd,
// runc and the CNI plugins and we are root; else the in-memory fake runtime.
func startRuntime(ctx context.Context, o *Options, log *slog.Logger) (*nodeRuntime, error) {
	useSocket := func(sock, how string) (*nodeRuntime, error) {
		c, err := remote.New(ctx, sock, nil)
		if err != nil {
			return nil, fmt.Errorf("CRI at %s: %w", sock, err)
		}
		return inNodeNS(ctx, o.NodeNetNS, &nodeRuntime{rt: c, img: c, desc: fmt.Sprintf("containerd (%s, CRI at %s)", how, sock), stop: func() { c.Close() }}, log)
	}
	fakeRuntime := func(why string) (*nodeRuntime, error) {
		f, err := fake.New(&fake.Options{PodCIDR: PodSubnet, Images: []string{TestServerImage, BusyboxImage}, Logger: log})
		if err != nil {
			return nil, err
		}
		return &nodeRuntime{rt: f, img: f, desc: "cri/fake, an in-memory runtime: pods are simulated (" + why + ")", stop: func() {}}, nil
	}
	switch o.Runtime {
	case RuntimeFake:
		return fakeRuntime("-runtime fake")
	case RuntimeContainerd:
		sock := o.ContainerdSocket
		if sock == "" {
			sock = DefaultContainerdSocket
		}
		return useSocket(sock, "given")
	}
	if o.NodeNetNS == "" {
		if _, err := os.Stat(DefaultContainerdSocket); err == nil {
			return useSocket(DefaultContainerdSocket, "found")
		}
	}
	if why := canStartContainerd(); why != "" {
		if o.NodeNetNS != "" {
			return nil, fmt.Errorf("cannot start containerd in the node namespace: %s", why)
		}
		return fakeRuntime("no containerd to use: " + why)
	}
	rt, err := startContainerd(ctx, o.DataDir, o.NodeNetNS, o.ServiceCIDR, log)
	if err != nil {
		if o.NodeNetNS != "" {
			return nil, fmt.Errorf("start containerd in the node namespace: %w", err)
		}
		log.Warn("could not start containerd; falling back to the fake runtime", "err", err)
		return fakeRuntime("starting containerd failed: " + err.Error())
	}
	return rt, nil
}

// canStartContainerd says why the cluster cannot start its own containerd,
// or "" when it can.
func canStartContainerd() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	for _, p := range []string{"containerd", "runc", "ctr"} {
		if _, err := exec.LookPath(p); err != nil {
			return p + " not installed"
		}
	}
	if _, err := os.Stat(containerdproc.CNIBinDir + "/bridge"); err != nil {
		return "CNI plugins not installed in " + containerdproc.CNIBinDir
	}
	return ""
}

// WriteBridgeConflist writes a CNI conflist for a pod network on a Linux
// bridge into confDir: the bridge plugin with the bridge as the pods'
// default gateway (so pods answer clients outside their subnet, such as
// another node's), hairpin mode (a pod reaches itself through a service),
// no masquerade, and host-local IPAM over subnet with its state in ipamDir;
// then portmap for hostPorts.
func WriteBridgeConflist(confDir, bridge, subnet, ipamDir string) error {
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return err
	}
	conflist := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "longshore",
		"plugins": []any{
			map[string]any{"type": "bridge", "bridge": bridge, "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{"type": "host-local", "dataDir": ipamDir,
					"ranges": [][]map[string]string{{{"subnet": subnet}}}}},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(conflist, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(confDir, "10-longshore.conflist"), data, 0o644)
}

// RouteServices prepares the network namespace at nsPath for a node: it
// sets the loopback up (containerd's streaming server listens there, and
// a new namespace has it down), creates bridge if missing, sets it up and
// routes serviceCIDR over it, so that connections
// to ClusterIPs made in that namespace leave through a real device and meet
// the proxy's DNAT (a route is needed: without one the connect fails with
// "network is unreachable" before netfilter sees it).
func RouteServices(ctx context.Context, nsPath, bridge, serviceCIDR string) error {
	ip := func(args ...string) ([]byte, error) { return ipIn(ctx, nsPath, args...) }
	if out, err := ip("link", "set", "lo", "up"); err != nil {
		return fmt.Errorf("set lo up: %w: %s", err, out)
	}
	if _, err := ip("link", "show", bridge); err != nil {
		if out, err := ip("link", "add", bridge, "type", "bridge"); err != nil {
			return fmt.Errorf("create bridge %s: %w: %s", bridge, err, out)
		}
	}
	if out, err := ip("link", "set", bridge, "up"); err != nil {
		return fmt.Errorf("set %s up: %w: %s", bridge, err, out)
	}
	if out, err := ip("route", "replace", serviceCIDR, "dev", bridge); err != nil {
		return fmt.Errorf("route %s over %s: %w: %s", serviceCIDR, bridge, err, out)
	}
	return nil
}

// ipIn runs the ip command in the network namespace at nsPath.
func ipIn(ctx context.Context, nsPath string, args ...string) ([]byte, error) {
	var out []byte
	err := netns.Do(nsPath, func() error {
		var err error
		out, err = exec.CommandContext(ctx, "ip", args...).CombinedOutput()
		return err
	})
	return out, err
}

// startContainerd runs containerd in the data directory (inside the
// network namespace nsPath when not "") with a bridge network for pods and
// imports the pause, test server and busybox images.
func startContainerd(ctx context.Context, dataDir, nsPath, serviceCIDR string, log *slog.Logger) (*nodeRuntime, error) {
	confDir := filepath.Join(dataDir, "cni")
	if err := WriteBridgeConflist(confDir, BridgeName, PodSubnet, filepath.Join(dataDir, "ipam")); err != nil {
		return nil, err
	}
	if nsPath != "" {
		if err := RouteServices(ctx, nsPath, BridgeName, serviceCIDR); err != nil {
			return nil, err
		}
	}
	var inst *containerdproc.Instance
	start := func() error {
		var err error
		// The default dir is short: containerd's socket path must stay
		// under 108 bytes.
		inst, err = containerdproc.Start(ctx, &containerdproc.Options{CNIConfDir: confDir, Logger: log})
		return err
	}
	var err error
	if nsPath != "" {
		// A child process starts in its parent thread's namespace, and
		// netns.Do runs start on a thread locked into nsPath: containerd,
		// its shims and the CNI plugins they run live in the node's
		// namespace.
		err = netns.Do(nsPath, start)
	} else {
		err = start()
	}
	if err != nil {
		return nil, err
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		inst.Stop(sctx)
	}
	work := filepath.Join(dataDir, "images")
	if err := os.MkdirAll(work, 0o755); err != nil {
		stop()
		return nil, err
	}
	for _, build := range []func() (*ocibuild.Image, error){
		func() (*ocibuild.Image, error) { return ocibuild.TestServer(ctx, TestServerImage, work) },
		func() (*ocibuild.Image, error) { return ocibuild.Busybox(ctx, BusyboxImage, "") },
	} {
		img, err := build()
		if err == nil {
			err = inst.ImportImage(ctx, img)
		}
		if err != nil {
			log.Warn("importing a local image", "err", err)
		}
	}
	c, err := remote.New(ctx, inst.Address(), nil)
	if err != nil {
		stop()
		return nil, err
	}
	return inNodeNS(ctx, nsPath, &nodeRuntime{rt: c, img: c, desc: fmt.Sprintf("containerd (started by the cluster, CRI at %s, images %s and %s)", inst.Address(), TestServerImage, BusyboxImage),
		stop: func() { c.Close(); stop() }}, log)
}

// inNodeNS makes a containerd runtime in the namespace nsPath usable from
// the host's: its streaming URLs go through a loopback relay (see
// nsStreams). With nsPath "" it returns rt unchanged.
func inNodeNS(ctx context.Context, nsPath string, rt *nodeRuntime, log *slog.Logger) (*nodeRuntime, error) {
	if nsPath == "" {
		return rt, nil
	}
	// The streaming server listens on the namespace's loopback, which a
	// new namespace has down.
	if out, err := ipIn(ctx, nsPath, "link", "set", "lo", "up"); err != nil {
		rt.stop()
		return nil, fmt.Errorf("set lo up in %s: %w: %s", nsPath, err, out)
	}
	relay := newStreamRelay(ctx, nsPath, log)
	stop := rt.stop
	rt.rt = &nsStreams{RuntimeService: rt.rt, relay: relay}
	rt.stop = func() {
		relay.wait()
		stop()
	}
	rt.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		// A socket belongs to the namespace it was created in, so the
		// connection stays in the node namespace after Do returns.
		err := netns.Do(nsPath, func() error {
			var d net.Dialer
			var err error
			conn, err = d.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}
	rt.desc += ", streams relayed from the node namespace"
	return rt, nil
}

// startNode runs the kubelet of this machine's node, with its HTTPS API
// on 127.0.0.1:port (the API server reaches it there for logs and exec).
// Its kubelet state and pod logs live under dir.
func startNode(ctx context.Context, wg *sync.WaitGroup, c *client.Client, sec *apiserver.Secure, o *Options, name string, port int, dir string, rt *nodeRuntime, log *slog.Logger) error {
	kopts := &kubelet.Options{
		NodeName:    name,
		Addresses:   []core.NodeAddress{{Type: core.NodeInternalIP, Address: "127.0.0.1"}, {Type: core.NodeHostName, Address: name}},
		KubeletPort: int32(port),
		RootDir:     filepath.Join(dir, "kubelet"),
		PodLogsDir:  filepath.Join(dir, "pods"),
		Logger:      log,
		PodDialer:   rt.dial, // nil (a plain dial) unless the pods live in a node namespace
	}
	if d := o.HeartbeatInterval; d > 0 {
		kopts.LeaseRenewInterval = d
		kopts.LeaseDuration = 4 * d
		kopts.NodeStatusUpdateFrequency = d
	}
	k, err := kubelet.New(c, rt.rt, rt.img, kopts)
	if err != nil {
		return err
	}
	serving, err := sec.Bundle.CA.IssueServing(certs.ServingOptions{CommonName: "system:node:" + name, Hosts: []string{name, "127.0.0.1"}})
	if err != nil {
		return err
	}
	cert, err := serving.TLS()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("kubelet API: %w", err)
	}
	hs := &http.Server{
		Handler:           k.Handler(kubelet.ServerOptions{ClientCAs: sec.Bundle.CA.Pool()}),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: sec.Bundle.CA.Pool(),
			ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12},
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		if err := hs.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("kubelet API stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		hs.Close()
	}()
	go func() {
		defer wg.Done()
		if err := k.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("kubelet stopped", "err", err)
		}
	}()
	return nil
}
