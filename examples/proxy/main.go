// Command proxy runs Longshore's service proxy for one node against an API
// server named by a kubeconfig: it watches Services and Endpoints and
// programs them with the nftables backend, or with the userspace backend
// where nftables cannot be used (no root, no nf_tables in the kernel). It
// says which backend it uses on start.
//
//	go run ./examples/cluster &                      # a control plane
//	sudo go run ./examples/proxy -kubeconfig longshore-data/admin.kubeconfig
//	go run ./examples/proxy -kubeconfig longshore-data/admin.kubeconfig -backend userspace
//
// With the userspace backend every service frontend is served on a free
// port of 127.0.0.1 (cluster IPs are not local addresses of an ordinary
// machine); -v logs each sync. The nftables rules stay in place when the
// proxy stops, unless -cleanup is given. SIGINT or SIGTERM stop it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
	"github.com/longshore/longshore/proxy/userspace"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	kubeContext := flag.String("context", "", "kubeconfig context (default: the current one)")
	backendName := flag.String("backend", "nftables", "nftables or userspace; nftables falls back to userspace when it cannot be used")
	nodeIPs := flag.String("node-ips", "", "comma-separated node addresses for NodePorts (userspace backend)")
	netns := flag.String("netns", "", "network namespace to program, e.g. /run/netns/NAME (nftables backend)")
	cleanup := flag.Bool("cleanup", false, "remove the programmed rules on exit")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *kubeconfig == "" {
		return errors.New("-kubeconfig is required")
	}
	cfg, err := client.LoadKubeconfig(*kubeconfig, *kubeContext)
	if err != nil {
		return err
	}
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	ips, err := parseNodeIPs(*nodeIPs)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	backend, closeBackend, err := chooseBackend(ctx, *backendName, *netns, ips, log)
	if err != nil {
		return err
	}
	defer closeBackend()
	err = proxy.Run(ctx, c, backend, &proxy.ControllerOptions{Logger: log})
	if *cleanup {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if cerr := backend.Cleanup(cctx); cerr != nil {
			log.Error("cleanup", "err", cerr)
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// parseNodeIPs parses -node-ips: comma-separated addresses, spaces and
// empty items ignored.
func parseNodeIPs(list string) ([]netip.Addr, error) {
	var ips []netip.Addr
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("-node-ips: %w", err)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// chooseBackend returns the requested backend, falling back from nftables
// to userspace when nftables cannot be used here, and says which it uses.
func chooseBackend(ctx context.Context, name, netns string, nodeIPs []netip.Addr, log *slog.Logger) (proxy.Backend, func(), error) {
	switch name {
	case "nftables":
		err := nftables.Available(ctx, netns)
		if err == nil {
			var b *nftables.Backend
			if b, err = nftables.New(&nftables.Options{NetNSPath: netns, Logger: log}); err == nil {
				fmt.Fprintln(os.Stderr, "proxy: using the nftables backend")
				return b, func() { b.Close() }, nil
			}
		}
		fmt.Fprintf(os.Stderr, "proxy: nftables unavailable (%v); using the userspace backend\n", err)
	case "userspace":
		fmt.Fprintln(os.Stderr, "proxy: using the userspace backend")
	default:
		return nil, nil, fmt.Errorf("-backend %q: want nftables or userspace", name)
	}
	// The userspace backend's sockets close with the process.
	b := userspace.New(&userspace.Options{Listen: userspace.Loopback, NodeIPs: nodeIPs, Logger: log})
	return b, func() {}, nil
}
