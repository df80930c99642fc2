// Command controllermanager runs Longshore's built-in controllers
// (replicaset, deployment, endpoints, serviceaccount, namespace,
// garbagecollector, nodelifecycle) against an API server named by a
// kubeconfig, with leader election so that several copies can run and
// only one acts.
//
//	go run ./examples/cluster &    # an API server; writes longshore-data/admin.kubeconfig
//	go run ./examples/controllermanager -kubeconfig longshore-data/admin.kubeconfig -addr 127.0.0.1:10257
//	curl http://127.0.0.1:10257/metrics
//
// SIGINT or SIGTERM stop it; the leader releases its Lease on the way
// out so another copy takes over at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "controllermanager:", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server (required)")
	kctx := flag.String("context", "", "kubeconfig context (default: the current one)")
	addr := flag.String("addr", "", "address for /healthz, /readyz and /metrics (e.g. 127.0.0.1:10257; empty: none)")
	controllers := flag.String("controllers", "", "comma-separated controllers to run (default: all of "+strings.Join(controllermanager.All, ",")+")")
	identity := flag.String("identity", "", "identity in the leader election Lease (default: hostname_random)")
	noElect := flag.Bool("no-leader-elect", false, "run the controllers without leader election (a single copy)")
	grace := flag.Duration("node-monitor-grace-period", 50*time.Second, "how long a node may go without a heartbeat")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Parse()
	if *kubeconfig == "" {
		return fmt.Errorf("-kubeconfig is required")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := client.LoadKubeconfig(*kubeconfig, *kctx)
	if err != nil {
		return err
	}
	cfg.UserAgent = "longshore-controller-manager"
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	opts := controllermanager.Options{Addr: *addr, Identity: *identity, NoLeaderElection: *noElect,
		NodeMonitorGracePeriod: *grace, Logger: log}
	if *controllers != "" {
		opts.Controllers = strings.Split(*controllers, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting controller manager", "controllers", opts.Controllers, "addr", *addr)
	return controllermanager.Run(ctx, c, opts)
}
