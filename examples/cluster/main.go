// Command cluster runs a Longshore cluster in one process, on the embedded
// bolt store: the API server over HTTPS with its PKI, RBAC and an admin
// kubeconfig (so kubectl and client-go work against it at once), the
// scheduler, the controller manager, the service proxy and a node (a kubelet
// on containerd or on the fake runtime). The wiring lives in package
// examples/cluster/cluster.
//
//	go run ./examples/cluster                 # state in ./longshore-data
//	kubectl --kubeconfig longshore-data/admin.kubeconfig get namespaces
//
// With -node-netns /run/netns/NAME the node is that network namespace: the
// proxy programs it, and a containerd the cluster starts runs inside it (its
// pods get their IPs there, and the service range is routed over the pod
// bridge), so pod IPs and ClusterIPs are reached from inside the namespace,
// e.g. `ip netns exec NAME wget -qO- http://CLUSTERIP`.
//
// State survives restarts (the bolt file, the CA and the keys live in the
// data directory). SIGINT or SIGTERM shut it down gracefully.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/longshore/longshore/examples/cluster/cluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run() error {
	var o cluster.Options
	verbose := defineFlags(flag.CommandLine, &o)
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	o.Stdout = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cluster.Run(ctx, &o)
}

// defineFlags defines the command's flags on fs, each setting a field of o,
// and returns the -v flag (debug logging).
func defineFlags(fs *flag.FlagSet, o *cluster.Options) (verbose *bool) {
	fs.StringVar(&o.DataDir, "data", cluster.DefaultDataDir, "directory for the store, the PKI and the kubeconfig")
	fs.StringVar(&o.Listen, "listen", cluster.DefaultListen, "address the API server listens on")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "where to write the admin kubeconfig (default <data>/admin.kubeconfig)")
	verbose = fs.Bool("v", false, "log debug messages")
	fs.StringVar(&o.Runtime, "runtime", cluster.RuntimeAuto, "container runtime: auto (a containerd socket if found, else start containerd if installed and root, else the fake runtime), containerd, or fake")
	fs.StringVar(&o.ContainerdSocket, "containerd-socket", "", "CRI socket of a running containerd (implies -runtime containerd)")
	fs.StringVar(&o.NodeName, "node-name", "", "name of this machine's node (default: the hostname)")
	fs.IntVar(&o.KubeletPort, "kubelet-port", cluster.DefaultKubeletPort, "port of the kubelet API on 127.0.0.1")
	fs.StringVar(&o.NodeNetNS, "node-netns", "", "network namespace of the node (e.g. /run/netns/NAME): the proxy programs it and a containerd the cluster starts runs in it; default the host's")
	fs.StringVar(&o.ServiceCIDR, "service-cidr", cluster.DefaultServiceCIDR, "range of the Services' ClusterIPs")
	return verbose
}
