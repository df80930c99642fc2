package nftables_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
)

// Each family gets its own table named after it.
func ExampleFamily() {
	fmt.Println(nftables.IPv4, nftables.IPv6)
	// Output: ip ip6
}

// A node's proxy: the tracker is fed by informers, the runner keeps the
// kernel's tables in line. It needs root (CAP_NET_ADMIN), so this example
// is compiled but not run.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
	tracker := proxy.NewTracker(nil)
	// Informer handlers call tracker.OnServiceUpdate and
	// tracker.OnEndpointsUpdate from here on.
	runner := proxy.NewRunner(tracker, backend, &proxy.RunnerOptions{Metrics: metrics})
	if err := runner.Run(ctx); err != nil && ctx.Err() == nil {
		slog.Error("proxy", "err", err)
	}
	// On shutdown for good, remove the tables.
	backend.Cleanup(context.Background())
}
