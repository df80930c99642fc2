// Command hollownodes joins many simulated nodes to a cluster: each is a
// real kubelet (registration, lease heartbeats, pod workers, status) driving
// cri/fake, an in-memory container runtime. A thousand of them fit in one
// process (about 140 KB of heap each), which is how to try the scheduler and
// the controllers at scale without a thousand machines.
//
//	go run ./examples/cluster -runtime fake &
//	go run ./examples/hollownodes -kubeconfig longshore-data/admin.kubeconfig -nodes 1000
//	kubectl --kubeconfig longshore-data/admin.kubeconfig create deployment web --image=longshore.dev/testserver:v1 --replicas=5000
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/client"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hollownodes:", err)
		os.Exit(1)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (required)")
	kctx := flag.String("context", "", "kubeconfig context (default: the current one)")
	nodes := flag.Int("nodes", 100, "number of hollow nodes")
	prefix := flag.String("prefix", "hollow", "node name prefix (names are PREFIX-N)")
	cpu := flag.String("cpu", "4", "cpu capacity of each node")
	memory := flag.String("memory", "16Gi", "memory capacity of each node")
	pods := flag.Int("pods", 110, "pod capacity of each node")
	qps := flag.Float64("qps", 200, "client rate limit shared by all nodes (requests/s)")
	flag.Parse()
	if *kubeconfig == "" {
		return fmt.Errorf("-kubeconfig is required")
	}
	cpuQ, err := resource.ParseQuantity(*cpu)
	if err != nil {
		return fmt.Errorf("-cpu: %w", err)
	}
	memQ, err := resource.ParseQuantity(*memory)
	if err != nil {
		return fmt.Errorf("-memory: %w", err)
	}
	cfg, err := client.LoadKubeconfig(*kubeconfig, *kctx)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = *qps, int(*qps)*2
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hollownodes")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fleet, err := Start(ctx, c, Options{Nodes: *nodes, Prefix: *prefix, CPU: cpuQ, Memory: memQ, Pods: int64(*pods), Dir: dir, Logger: log})
	if err != nil {
		return err
	}
	fmt.Printf("%d hollow nodes (%s-0 … %s-%d) running on cri/fake; Ctrl-C to stop\n", *nodes, *prefix, *prefix, *nodes-1)
	<-ctx.Done()
	fmt.Println("stopping")
	fleet.Wait()
	return nil
}
