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

// settings is what the command line asks for.
type settings struct {
	kubeconfig, context string
	verbose             bool
	opts                controllermanager.Options // Logger not set
}

// parseFlags defines the command's flags on fs and parses args (without
// the program name) into settings; -kubeconfig is required.
func parseFlags(fs *flag.FlagSet, args []string) (*settings, error) {
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server (required)")
	kctx := fs.String("context", "", "kubeconfig context (default: the current one)")
	addr := fs.String("addr", "", "address for /healthz, /readyz and /metrics (e.g. 127.0.0.1:10257; empty: none)")
	controllers := fs.String("controllers", "", "comma-separated controllers to run (default: all of "+strings.Join(controllermanager.All, ",")+")")
	identity := fs.String("identity", "", "identity in the leader election Lease (default: hostname_random)")
	noElect := fs.Bool("no-leader-elect", false, "run the controllers without leader election (a single copy)")
	grace := fs.Duration("node-monitor-grace-period", 50*time.Second, "how long a node may go without a heartbeat")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *kubeconfig == "" {
		return nil, fmt.Errorf("-kubeconfig is required")
	}
	s := &settings{kubeconfig: *kubeconfig, context: *kctx, verbose: *verbose,
		opts: controllermanager.Options{Addr: *addr, Identity: *identity, NoLeaderElection: *noElect,
			NodeMonitorGracePeriod: *grace}}
	if *controllers != "" {
		s.opts.Controllers = strings.Split(*controllers, ",")
	}
	return s, nil
}

func run() error {
	s, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if s.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := client.LoadKubeconfig(s.kubeconfig, s.context)
	if err != nil {
		return err
	}
	cfg.UserAgent = "longshore-controller-manager"
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	opts := s.opts
	opts.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting controller manager", "controllers", opts.Controllers, "addr", opts.Addr)
	return controllermanager.Run(ctx, c, opts)
}
