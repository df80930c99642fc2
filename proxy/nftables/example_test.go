package nftables_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
)

// Each family gets its own table named after it.
func ExampleFamily() {
	fmt.Println(nftables.IPv4, nftables.IPv6)
	// Output: ip ip6
}

// A node's proxy: a proxy.Controller feeds the tracker from Service and
// Endpoints informers on the API server and keeps the kernel's tables in
// line. It needs root (CAP_NET_ADMIN) and an API server, so this example
// is compiled but not run.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := client.LoadKubeconfig("/etc/longshore/node.kubeconfig", "")
	if err != nil {
		slog.Error("kubeconfig", "err", err)
		return
	}
	c, err := client.New(cfg)
	if err != nil {
		slog.Error("client", "err", err)
		return
	}
	backend, err := nftables.New(&nftables.Options{NetNSPath: "/run/netns/node"})
	if err != nil {
		slog.Error("nftables", "err", err)
		return
	}
	defer backend.Close()
	metrics, err := proxy.NewMetrics(prometheus.DefaultRegisterer)
	if err != nil {
		slog.Error("metrics", "err", err)
		return
	}
	err = proxy.Run(ctx, c, backend, &proxy.ControllerOptions{Runner: &proxy.RunnerOptions{Metrics: metrics}})
	if err != nil && ctx.Err() == nil {
		slog.Error("proxy", "err", err)
	}
	// On shutdown for good, remove the tables.
	backend.Cleanup(context.Background())
}
