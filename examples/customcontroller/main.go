// Command customcontroller runs the Website operator of package website:
// it installs the Website CustomResourceDefinition when missing, then
// runs the controller under a controller.Manager with leader election, so
// several replicas can run and one acts.
//
//	go run ./examples/customcontroller -kubeconfig admin.kubeconfig
//	kubectl apply -f - <<EOF
//	apiVersion: demo.longshore.dev/v1
//	kind: Website
//	metadata: {name: hello}
//	spec: {replicas: 2, image: nginx:1.27, port: 80}
//	EOF
//	kubectl get websites,deployments,services
//
// SIGINT or SIGTERM stop it (the lease is released, so another replica
// takes over at once).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/leaderelection"
	"github.com/longshore/longshore/examples/customcontroller/website"
)

// config is what main reads from its flags.
type config struct {
	// LeaseNamespace and LeaseName locate the leader-election Lease.
	LeaseNamespace, LeaseName string
	// Identity names this replica in the Lease.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election
	// (zero: controller/leaderelection's defaults).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Addr serves /healthz, /readyz and /metrics when set.
	Addr string
	// Workers is the number of concurrent reconciles.
	Workers int
	// Logger receives the logs.
	Logger *slog.Logger
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (required)")
	kubeContext := flag.String("context", "", "kubeconfig context (default: the current one)")
	host, _ := os.Hostname()
	var cfg config
	flag.StringVar(&cfg.LeaseNamespace, "lease-namespace", "kube-system", "namespace of the leader-election Lease")
	flag.StringVar(&cfg.LeaseName, "lease-name", "website-controller", "name of the leader-election Lease")
	flag.StringVar(&cfg.Identity, "id", host+"_"+strconv.Itoa(os.Getpid()), "this replica's identity in the Lease")
	flag.StringVar(&cfg.Addr, "addr", "", "serve /healthz, /readyz and /metrics on this address (e.g. 127.0.0.1:8081)")
	flag.IntVar(&cfg.Workers, "workers", 2, "concurrent reconciles")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := start(ctx, *kubeconfig, *kubeContext, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "customcontroller:", err)
		os.Exit(1)
	}
}

// start connects to the cluster and runs until ctx ends.
func start(ctx context.Context, kubeconfig, kubeContext string, cfg config) error {
	if kubeconfig == "" {
		return errors.New("-kubeconfig is required")
	}
	ccfg, err := client.LoadKubeconfig(kubeconfig, kubeContext)
	if err != nil {
		return err
	}
	ccfg.UserAgent = "customcontroller"
	c, err := client.New(ccfg)
	if err != nil {
		return err
	}
	return run(ctx, c, cfg)
}

// run installs the CRD, then runs the manager with the Website controller
// until ctx ends.
func run(ctx context.Context, c *client.Client, cfg config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	installCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err := website.InstallCRD(installCtx, c)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: not a failure
		}
		return err
	}
	log.Info("CustomResourceDefinition served", "name", website.CRDName)
	m, err := controller.NewManager(c, &controller.ManagerOptions{
		Addr:   cfg.Addr,
		Logger: log,
		LeaderElection: &leaderelection.Config{
			Namespace: cfg.LeaseNamespace, Name: cfg.LeaseName, Identity: cfg.Identity,
			LeaseDuration: cfg.LeaseDuration, RenewDeadline: cfg.RenewDeadline, RetryPeriod: cfg.RetryPeriod,
			Callbacks: leaderelection.Callbacks{OnNewLeader: func(id string) { log.Info("leader", "identity", id) }},
		},
	})
	if err != nil {
		return err
	}
	if _, err := website.Setup(m, &website.Options{Workers: cfg.Workers, Logger: log}); err != nil {
		return err
	}
	return m.Start(ctx)
}
