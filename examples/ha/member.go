package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/authz"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/controllermanager"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/etcd"
	"github.com/longshore/longshore/store/raft"
)

// memberConfig is what the flags say about one member.
type memberConfig struct {
	ID           string
	RaftAddr     string
	Peers        []raft.Peer
	PeerTLS      bool
	Etcd         []string
	EtcdPrefix   string
	Listen       string
	DataDir      string
	PKIDir       string
	Kubeconfig   string
	StatusAddr   string
	StartTimeout time.Duration
	Election     election
	Logger       *slog.Logger
	Out          io.Writer
}

// election holds the leader election timings shared by the controller
// manager and the scheduler.
type election struct {
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// parsePeers parses "id=host:port,id=host:port".
func parsePeers(s string) ([]raft.Peer, error) {
	var peers []raft.Peer
	for _, item := range splitList(s) {
		id, addr, ok := strings.Cut(item, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("-peers: %q is not id=host:port", item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("-peers: %q: %w", item, err)
		}
		peers = append(peers, raft.Peer{ID: id, Addr: addr})
	}
	return peers, nil
}

// Status is what GET /status answers: enough for a person (or a test) to
// see which member leads what.
type Status struct {
	// ID is the member's ID; Store is "raft" or "etcd".
	ID    string `json:"id"`
	Store string `json:"store"`
	// API is the API server's URL.
	API string `json:"api"`
	// RaftLeader is the raft leader's ID as this member knows it, and
	// IsRaftLeader whether that is this member (raft store only).
	RaftLeader   string `json:"raftLeader,omitempty"`
	IsRaftLeader bool   `json:"isRaftLeader"`
	// AppliedIndex is the last raft log index the local replica applied.
	AppliedIndex uint64 `json:"appliedIndex,omitempty"`
	// SchedulerLeader and ControllerManagerLeader tell whether this
	// member's copies hold their Leases.
	SchedulerLeader         bool `json:"schedulerLeader"`
	ControllerManagerLeader bool `json:"controllerManagerLeader"`
}

// member is a running control-plane member.
type member struct {
	cfg   memberConfig
	node  *raft.Node // nil with an external etcd
	url   string
	sched atomic.Pointer[scheduler.Scheduler]
	cm    atomic.Pointer[controller.Manager]
}

func (m *member) status() Status {
	st := Status{ID: m.cfg.ID, Store: "etcd", API: m.url}
	if m.node != nil {
		st.Store = "raft"
		st.RaftLeader, _ = m.node.Leader()
		st.IsRaftLeader = m.node.IsLeader()
		st.AppliedIndex = m.node.AppliedIndex()
	}
	if s := m.sched.Load(); s != nil {
		st.SchedulerLeader = s.IsLeader()
	}
	if c := m.cm.Load(); c != nil {
		st.ControllerManagerLeader = c.IsLeader()
	}
	return st
}

// openStore opens the raft replica (and waits for the cluster to have a
// leader) or connects to the external etcd cluster.
func (m *member) openStore(ctx context.Context) (store.Store, func() error, error) {
	cfg := m.cfg
	if len(cfg.Etcd) > 0 {
		s, err := etcd.New(ctx, etcd.Config{Endpoints: cfg.Etcd, Prefix: cfg.EtcdPrefix, Logger: cfg.Logger.With("component", "store")})
		if err != nil {
			return nil, nil, fmt.Errorf("connect to etcd %v: %w", cfg.Etcd, err)
		}
		return s, s.Close, nil
	}
	rc := raft.Config{NodeID: cfg.ID, DataDir: filepath.Join(cfg.DataDir, "raft"), RaftAddr: cfg.RaftAddr,
		Bootstrap: cfg.Peers, Logger: cfg.Logger}
	if cfg.PeerTLS {
		host, _, err := net.SplitHostPort(cfg.RaftAddr)
		if err != nil {
			return nil, nil, fmt.Errorf("-raft-addr: %w", err)
		}
		if rc.TLS, err = peerTLS(cfg.PKIDir, host); err != nil {
			return nil, nil, err
		}
	}
	node, err := raft.Open(ctx, rc)
	if err != nil {
		return nil, nil, fmt.Errorf("open raft replica: %w", err)
	}
	fmt.Fprintf(cfg.Out, "member %s: raft replica on %s, waiting for a leader...\n", cfg.ID, node.Addr())
	wctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if _, err := node.WaitLeader(wctx); err != nil {
		_ = node.Close()
		return nil, nil, fmt.Errorf("raft cluster has no leader (are a majority of -peers running?): %w", err)
	}
	m.node = node
	return node, node.Close, nil
}

// runMember runs one member until ctx ends.
func runMember(ctx context.Context, cfg memberConfig) error {
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if err := checkSharedPKI(cfg.PKIDir); err != nil {
		return err
	}
	m := &member{cfg: cfg}
	st, closeStore, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeStore(); err != nil {
			log.Warn("close store", "err", err)
		}
	}()

	srv, sec, srvCtx, srvCancel, err := m.startAPIServer(ctx, st)
	if err != nil {
		return err
	}
	defer srvCancel()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	m.url = "https://" + ln.Addr().String()
	if host, _, _ := net.SplitHostPort(cfg.Listen); host != "" && sec.Bundle.Serving.Cert.VerifyHostname(host) != nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			fmt.Fprintf(cfg.Out, "member %s: warning: the shared serving certificate does not cover %s; clients using that address will fail to verify it (run -init-pki -hosts ... on the PKI directory: it keeps the CA and reissues the serving certificate, then restart the members)\n", cfg.ID, host)
		}
	}
	if err := sec.WriteKubeconfig(cfg.Kubeconfig, m.url, "longshore-admin", "system:masters"); err != nil {
		ln.Close()
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(srvCtx, ln, sec.TLS) }()

	var statusLn net.Listener
	if cfg.StatusAddr != "" {
		if statusLn, err = net.Listen("tcp", cfg.StatusAddr); err != nil {
			srvCancel()
			<-serveErr
			return fmt.Errorf("-status: %w", err)
		}
		go serveStatus(srvCtx, statusLn, m)
	}

	var wg sync.WaitGroup
	compCtx, compCancel := context.WithCancel(ctx)
	defer compCancel()
	for _, c := range []struct {
		name, user string
		run        func(context.Context, *client.Client) error
	}{
		{"scheduler", authz.UserKubeScheduler, m.runScheduler},
		{"controller-manager", authz.UserKubeControllerManager, m.runControllerManager},
	} {
		ccfg, err := sec.ClientConfig(m.url, c.user)
		if err != nil {
			return err
		}
		ccfg.UserAgent = "longshore-ha-" + c.name
		cl, err := client.New(ccfg)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			keepRunning(compCtx, log.With("component", c.name), func(ctx context.Context) error { return c.run(ctx, cl) })
		}()
	}

	var where string
	if m.node != nil {
		leader, _ := m.node.Leader()
		where = fmt.Sprintf("raft replica %s on %s (raft leader: %s)", cfg.ID, m.node.Addr(), leader)
	} else {
		where = fmt.Sprintf("external etcd %s (prefix %s)", strings.Join(cfg.Etcd, ","), cfg.EtcdPrefix)
	}
	fmt.Fprintf(cfg.Out, "member %s ready: API server at %s, store: %s\n", cfg.ID, m.url, where)
	fmt.Fprintf(cfg.Out, "  kubeconfig written to %s (any member's kubeconfig works against every member)\n", cfg.Kubeconfig)
	fmt.Fprintf(cfg.Out, "  controller manager and scheduler campaigning for their Leases as %q\n", cfg.ID)
	if statusLn != nil {
		fmt.Fprintf(cfg.Out, "  status at http://%s/status\n", statusLn.Addr())
	}

	var result error
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			result = fmt.Errorf("API server: %w", err)
		}
		serveErr = nil
	case <-ctx.Done():
		fmt.Fprintf(cfg.Out, "member %s shutting down\n", cfg.ID)
	}
	compCancel()
	if !waitTimeout(&wg, 15*time.Second) {
		log.Warn("components did not stop within 15s")
	}
	srvCancel()
	if serveErr != nil {
		select {
		case <-serveErr:
		case <-time.After(10 * time.Second):
			log.Warn("API server did not stop within 10s")
		}
	}
	return result
}

// startAPIServer builds and starts the API server on st. The server's
// context outlives ctx (cancel it with the returned function): the
// components release their Leases through the server on the way out.
//
// A start that fails is tried again a few times with a new server: a
// member that (re)starts while the store is still settling (a raft replica
// catching up, a leader change) can see a transient store error in the
// server's bootstrap writes.
func (m *member) startAPIServer(ctx context.Context, st store.Store) (*apiserver.Server, *apiserver.Secure, context.Context, context.CancelFunc, error) {
	const attempts = 3
	var err error
	for i := 1; ; i++ {
		srvCtx, srvCancel := context.WithCancel(context.WithoutCancel(ctx))
		var srv *apiserver.Server
		var sec *apiserver.Secure
		srv, sec, err = apiserver.NewSecure(apiserver.Config{Store: st, Logger: m.cfg.Logger.With("component", "apiserver")},
			apiserver.SecureOptions{PKIDir: m.cfg.PKIDir})
		if err != nil {
			srvCancel()
			return nil, nil, nil, nil, err
		}
		err = startWithin(ctx, m.cfg.StartTimeout, func() error { return srv.Start(srvCtx) })
		if err == nil {
			return srv, sec, srvCtx, srvCancel, nil
		}
		srvCancel()
		if i == attempts || ctx.Err() != nil {
			break
		}
		m.cfg.Logger.Warn("API server did not start; trying again", "attempt", i, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(i) * time.Second):
		}
	}
	return nil, nil, nil, nil, fmt.Errorf("start API server: %w", err)
}

// runScheduler runs the scheduler, leader-elected, until ctx ends or it
// loses its Lease.
func (m *member) runScheduler(ctx context.Context, c *client.Client) error {
	e := m.cfg.Election
	s, err := scheduler.New(ctx, c, &scheduler.Options{
		Logger: m.cfg.Logger.With("component", "scheduler"),
		LeaderElection: &scheduler.LeaderElection{Identity: m.cfg.ID,
			LeaseDuration: e.LeaseDuration, RenewDeadline: e.RenewDeadline, RetryPeriod: e.RetryPeriod},
	})
	if err != nil {
		return err
	}
	m.sched.Store(s)
	return s.Run(ctx)
}

// runControllerManager runs the built-in controllers, leader-elected,
// until ctx ends or it loses its Lease.
func (m *member) runControllerManager(ctx context.Context, c *client.Client) error {
	e := m.cfg.Election
	mgr, err := controllermanager.New(c, &controllermanager.Options{
		Identity: m.cfg.ID, Logger: m.cfg.Logger.With("component", "controller-manager"),
		LeaseDuration: e.LeaseDuration, RenewDeadline: e.RenewDeadline, RetryPeriod: e.RetryPeriod,
	})
	if err != nil {
		return err
	}
	m.cm.Store(mgr)
	return mgr.Start(ctx)
}

// keepRunning runs fn again (after a second) whenever it returns before ctx
// ends. A component that lost its Lease (say, while the store changed
// leader) starts over as a candidate, as a restarted process would, while
// the member's API server keeps serving.
func keepRunning(ctx context.Context, log *slog.Logger, fn func(context.Context) error) {
	for {
		err := fn(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Warn("stopped; starting again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// startWithin runs start and gives up after timeout or when ctx ends.
func startWithin(ctx context.Context, timeout time.Duration, start func() error) error {
	done := make(chan error, 1)
	go func() { done <- start() }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("not started within %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitTimeout waits for wg, up to d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// serveStatus serves GET /status (JSON Status) and /healthz on ln until
// ctx ends.
func serveStatus(ctx context.Context, ln net.Listener, m *member) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(m.status())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	_ = hs.Serve(ln)
}
