package main

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
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/apiserver/client"
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

// nodeRuntime is the container runtime the node's kubelet drives.
type nodeRuntime struct {
	rt   cri.RuntimeService
	img  cri.ImageService
	desc string
	stop func()
}

// startRuntime picks the runtime: a given containerd socket; else, with
// "auto", the system's containerd socket if there is one, else a containerd
// the cluster starts itself when the machine has containerd, runc and the
// CNI plugins and we are root; else the in-memory fake runtime.
func startRuntime(ctx context.Context, mode, socket, dataDir string, log *slog.Logger) (*nodeRuntime, error) {
	useSocket := func(sock, how string) (*nodeRuntime, error) {
		c, err := remote.New(ctx, sock, nil)
		if err != nil {
			return nil, fmt.Errorf("CRI at %s: %w", sock, err)
		}
		return &nodeRuntime{rt: c, img: c, desc: fmt.Sprintf("containerd (%s, CRI at %s)", how, sock), stop: func() { c.Close() }}, nil
	}
	fakeRuntime := func(why string) (*nodeRuntime, error) {
		f, err := fake.New(&fake.Options{PodCIDR: "198.18.0.0/24", Images: []string{TestServerImage, BusyboxImage}, Logger: log})
		if err != nil {
			return nil, err
		}
		return &nodeRuntime{rt: f, img: f, desc: "cri/fake, an in-memory runtime: pods are simulated (" + why + ")", stop: func() {}}, nil
	}
	switch mode {
	case "fake":
		return fakeRuntime("-runtime fake")
	case "containerd":
		if socket == "" {
			socket = "/run/containerd/containerd.sock"
		}
		return useSocket(socket, "given")
	case "auto":
	default:
		return nil, fmt.Errorf("-runtime %q: want auto, containerd or fake", mode)
	}
	if socket != "" {
		return useSocket(socket, "given")
	}
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		return useSocket("/run/containerd/containerd.sock", "found")
	}
	if why := canStartContainerd(); why != "" {
		return fakeRuntime("no containerd to use: " + why)
	}
	rt, err := startContainerd(ctx, dataDir, log)
	if err != nil {
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
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return "CNI plugins not installed in /usr/lib/cni"
	}
	return ""
}

// startContainerd runs containerd in the data directory with a bridge
// network for pods (198.18.0.0/24 on the longshore0 bridge) and imports the
// pause, test server and busybox images.
func startContainerd(ctx context.Context, dataDir string, log *slog.Logger) (*nodeRuntime, error) {
	confDir := filepath.Join(dataDir, "cni")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return nil, err
	}
	conflist := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "longshore",
		"plugins": []any{
			map[string]any{"type": "bridge", "bridge": "longshore0", "isGateway": true, "ipMasq": false,
				"ipam": map[string]any{"type": "host-local", "dataDir": filepath.Join(dataDir, "ipam"),
					"ranges": [][]map[string]string{{{"subnet": "198.18.0.0/24"}}}}},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, _ := json.MarshalIndent(conflist, "", "  ")
	if err := os.WriteFile(filepath.Join(confDir, "10-longshore.conflist"), data, 0o644); err != nil {
		return nil, err
	}
	// A short directory: containerd's socket path must stay under 108 bytes.
	inst, err := containerdproc.Start(ctx, &containerdproc.Options{CNIConfDir: confDir, Logger: log})
	if err != nil {
		return nil, err
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		inst.Stop(sctx)
	}
	work := filepath.Join(dataDir, "images")
	os.MkdirAll(work, 0o755)
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
	return &nodeRuntime{rt: c, img: c, desc: fmt.Sprintf("containerd (started by the cluster, CRI at %s, images %s and %s)", inst.Address(), TestServerImage, BusyboxImage),
		stop: func() { c.Close(); stop() }}, nil
}

// startNode runs the kubelet of this machine's node, with its HTTPS API
// on 127.0.0.1:port (the API server reaches it there for logs and exec).
func startNode(ctx context.Context, sec *apiserver.Secure, apiURL, dataDir, name string, port int, rt *nodeRuntime, log *slog.Logger) error {
	cfg, err := sec.ClientConfig(apiURL, "system:node:"+name, "system:nodes")
	if err != nil {
		return err
	}
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	k, err := kubelet.New(c, rt.rt, rt.img, &kubelet.Options{
		NodeName:    name,
		Addresses:   []core.NodeAddress{{Type: core.NodeInternalIP, Address: "127.0.0.1"}, {Type: core.NodeHostName, Address: name}},
		KubeletPort: int32(port),
		RootDir:     filepath.Join(dataDir, "kubelet"),
		PodLogsDir:  filepath.Join(dataDir, "pods"),
		Logger:      log,
	})
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
	go func() {
		if err := hs.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("kubelet API stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	go func() {
		if err := k.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("kubelet stopped", "err", err)
		}
	}()
	return nil
}
