// Command cluster runs a Longshore control plane in one process, on the
// embedded bolt store: the API server over HTTPS with its PKI, RBAC and an
// admin kubeconfig, so kubectl and client-go work against it at once.
//
//	go run ./examples/cluster                 # state in ./longshore-data
//	kubectl --kubeconfig longshore-data/admin.kubeconfig get namespaces
//
// State survives restarts (the bolt file, the CA and the keys live in the
// data directory). SIGINT or SIGTERM shut it down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/authz"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
	"github.com/longshore/longshore/proxy/userspace"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/store/bolt"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run() error {
	dataDir := flag.String("data", "longshore-data", "directory for the store, the PKI and the kubeconfig")
	listen := flag.String("listen", "127.0.0.1:6443", "address the API server listens on")
	kubeconfig := flag.String("kubeconfig", "", "where to write the admin kubeconfig (default <data>/admin.kubeconfig)")
	verbose := flag.Bool("v", false, "log debug messages")
	runtimeMode := flag.String("runtime", "auto", "container runtime: auto (a containerd socket if found, else start containerd if installed and root, else the fake runtime), containerd, or fake")
	socket := flag.String("containerd-socket", "", "CRI socket of a running containerd (implies -runtime containerd)")
	nodeName := flag.String("node-name", "", "name of this machine's node (default: the hostname)")
	kubeletPort := flag.Int("kubelet-port", 10250, "port of the kubelet API on 127.0.0.1")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *kubeconfig == "" {
		*kubeconfig = filepath.Join(*dataDir, "admin.kubeconfig")
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := bolt.Open(filepath.Join(*dataDir, "state.db"), &bolt.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	srv, sec, err := apiserver.NewSecure(apiserver.Config{Store: db, Logger: log},
		apiserver.SecureOptions{PKIDir: filepath.Join(*dataDir, "pki"), Hosts: []string{host}})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("start API server: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	url := "https://" + ln.Addr().String()
	if err := sec.WriteKubeconfig(*kubeconfig, url, "longshore-admin", "system:masters"); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	fmt.Printf("API server ready at %s (store: %s); kubeconfig written to %s\n", url, filepath.Join(*dataDir, "state.db"), *kubeconfig)
	fmt.Printf("  try: kubectl --kubeconfig %s get namespaces\n", *kubeconfig)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln, sec.TLS) }()

	// The other components talk to the API server like any client, each
	// with its own identity (RBAC roles bootstrapped by the server).
	running := []string{"API server (RBAC, watch cache, CRDs)"}
	schedCfg, err := sec.ClientConfig(url, authz.UserKubeScheduler)
	if err != nil {
		return err
	}
	schedClient, err := client.New(schedCfg)
	if err != nil {
		return err
	}
	sched, err := scheduler.New(ctx, schedClient, &scheduler.Options{Logger: log.With("component", "scheduler")})
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	go func() {
		if err := sched.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduler stopped", "err", err)
		}
	}()
	running = append(running, "scheduler (default profile)")

	cmCfg, err := sec.ClientConfig(url, authz.UserKubeControllerManager)
	if err != nil {
		return err
	}
	cmClient, err := client.New(cmCfg)
	if err != nil {
		return err
	}
	go func() {
		err := controllermanager.Run(ctx, cmClient, controllermanager.Options{Logger: log.With("component", "controller-manager")})
		if err != nil && ctx.Err() == nil {
			log.Error("controller manager stopped", "err", err)
		}
	}()
	running = append(running, "controller manager (replicaset, deployment, endpoints, serviceaccount, namespace, garbage collector, node lifecycle)")

	proxyCfg, err := sec.ClientConfig(url, authz.UserKubeProxy)
	if err != nil {
		return err
	}
	proxyClient, err := client.New(proxyCfg)
	if err != nil {
		return err
	}
	var backend proxy.Backend
	if err := nftables.Available(ctx, ""); err == nil {
		nb, err := nftables.New(&nftables.Options{Logger: log.With("component", "proxy")})
		if err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
		defer func() {
			nb.Cleanup(context.Background())
			nb.Close()
		}()
		backend = nb
		running = append(running, "proxy (nftables)")
	} else {
		backend = userspace.New(&userspace.Options{Listen: userspace.Loopback, Logger: log.With("component", "proxy")})
		running = append(running, fmt.Sprintf("proxy (userspace on loopback: %v)", err))
	}
	go func() {
		if err := proxy.Run(ctx, proxyClient, backend, &proxy.ControllerOptions{Logger: log.With("component", "proxy")}); err != nil && ctx.Err() == nil {
			log.Error("proxy stopped", "err", err)
		}
	}()
	name := *nodeName
	if name == "" {
		if name, err = os.Hostname(); err != nil || name == "" {
			name = "node-1"
		}
		name = strings.ToLower(name)
	}
	mode := *runtimeMode
	if *socket != "" && mode == "auto" {
		mode = "containerd"
	}
	rt, err := startRuntime(ctx, mode, *socket, *dataDir, log.With("component", "runtime"))
	if err != nil {
		return err
	}
	defer rt.stop()
	if err := startNode(ctx, sec, url, *dataDir, name, *kubeletPort, rt, log.With("component", "kubelet")); err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	running = append(running, fmt.Sprintf("node %q (kubelet on %s)", name, rt.desc))
	fmt.Println("Running:\n  - " + strings.Join(running, "\n  - "))
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	case <-ctx.Done():
		fmt.Println("shutting down")
		select {
		case <-errc:
		case <-time.After(10 * time.Second):
		}
	}
	return nil
}
