// Command customscheduler runs Longshore's scheduler with an out-of-tree
// plugin, TieredPlacement (package tiered), as a second profile named
// tiered-scheduler beside the default one.
//
//	go run ./examples/customscheduler -kubeconfig admin.kubeconfig
//	go run ./examples/customscheduler -kubeconfig admin.kubeconfig -config my-scheduler.yaml
//
// Without -config it uses the embedded scheduler.yaml, a
// KubeSchedulerConfiguration with both profiles. A pod opts in with
//
//	spec:
//	  schedulerName: tiered-scheduler
//	metadata:
//	  annotations: {example.com/tier: gold}
//	  labels: {app: web}
//
// and lands on a node labelled example.com/tier=gold, preferably one
// running the fewest app=web pods. Run only one process serving
// default-scheduler per cluster (examples/cluster runs one already), or
// give this one a configuration without that profile, such as
// tiered-only.yaml in this folder.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/examples/customscheduler/tiered"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/scheduler/framework"
)

// defaultConfig is the configuration used without -config.
//
//go:embed scheduler.yaml
var defaultConfig []byte

// TieredSchedulerName is the profile that runs TieredPlacement.
const TieredSchedulerName = "tiered-scheduler"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (required)")
	kubeContext := flag.String("context", "", "kubeconfig context (default: the current one)")
	configPath := flag.String("config", "", "KubeSchedulerConfiguration file (default: the embedded scheduler.yaml)")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := start(ctx, *kubeconfig, *kubeContext, *configPath, log); err != nil {
		fmt.Fprintln(os.Stderr, "customscheduler:", err)
		os.Exit(1)
	}
}

// start connects to the cluster and runs the scheduler until ctx ends.
func start(ctx context.Context, kubeconfig, kubeContext, configPath string, log *slog.Logger) error {
	if kubeconfig == "" {
		return errors.New("-kubeconfig is required")
	}
	ccfg, err := client.LoadKubeconfig(kubeconfig, kubeContext)
	if err != nil {
		return err
	}
	ccfg.UserAgent = "customscheduler"
	c, err := client.New(ccfg)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return err
	}
	return run(ctx, c, cfg, log)
}

// loadConfig reads the configuration file, or the embedded one when path
// is empty; the result is defaulted and validated.
func loadConfig(path string) (*framework.Configuration, error) {
	if path == "" {
		return framework.ParseConfig(defaultConfig)
	}
	return framework.LoadConfig(path)
}

// run builds the scheduler with TieredPlacement beside the in-tree
// plugins and runs it until ctx ends.
func run(ctx context.Context, c *client.Client, cfg *framework.Configuration, log *slog.Logger) error {
	s, err := scheduler.New(ctx, c, &scheduler.Options{Config: cfg, Plugins: tiered.Registry(), Logger: log})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	for _, p := range cfg.Profiles {
		log.Info("serving profile", "schedulerName", p.SchedulerName)
	}
	return s.Run(ctx)
}
