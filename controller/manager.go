package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/leaderelection"
)

// Runnable is anything a Manager runs: Start blocks until ctx is done
// (returning nil) or the runnable fails.
type Runnable interface {
	Start(ctx context.Context) error
}

// RunnableFunc adapts a function to Runnable.
type RunnableFunc func(ctx context.Context) error

// Start calls f.
func (f RunnableFunc) Start(ctx context.Context) error { return f(ctx) }

// LeaderElectionRunnable is an optional interface of a Runnable: when
// NeedLeaderElection returns true the Manager runs it only while it leads.
// Runnables without it need leadership, as in controller-runtime.
type LeaderElectionRunnable interface {
	NeedLeaderElection() bool
}

// ManagerOptions tune a Manager; the zero value works (no endpoints, no
// leader election).
type ManagerOptions struct {
	// Factory shares informers; nil creates one on the client.
	Factory *Factory
	// Addr, when set (e.g. "127.0.0.1:8080" or ":0"), serves /healthz,
	// /readyz and /metrics.
	Addr string
	// Registry collects metrics; nil creates a registry with the process
	// and Go collectors.
	Registry *prometheus.Registry
	// LeaderElection, when set, elects a leader on that Lease; the
	// Callbacks are chained after the Manager's own.
	LeaderElection *leaderelection.Config
	// CacheSyncTimeout bounds the wait for informers (default 2 min).
	CacheSyncTimeout time.Duration
	// Logger receives lifecycle messages; nil discards.
	Logger *slog.Logger
}

// Manager runs informers, controllers and other Runnables, serves health
// and metrics endpoints and, optionally, elects a leader.
type Manager struct {
	c       *client.Client
	opts    ManagerOptions
	factory *Factory
	reg     *prometheus.Registry
	metrics *Metrics
	log     *slog.Logger

	mu        sync.Mutex
	runnables []Runnable
	checks    map[string]func(*http.Request) error
	addr      net.Addr
	ready     bool
	started   bool
	elector   *leaderelection.Elector
}

// ErrManagerStarted is returned by Add after Start.
var ErrManagerStarted = errors.New("controller: manager already started")

// NewManager returns a Manager on c.
func NewManager(c *client.Client, opts *ManagerOptions) (*Manager, error) {
	m := &Manager{c: c, checks: map[string]func(*http.Request) error{}}
	if opts != nil {
		m.opts = *opts
	}
	m.log = m.opts.Logger
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.factory = m.opts.Factory
	if m.factory == nil {
		m.factory = NewFactory(c, &FactoryOptions{Logger: m.log})
	}
	m.reg = m.opts.Registry
	if m.reg == nil {
		m.reg = prometheus.NewRegistry()
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	met, err := NewMetrics(m.reg)
	if err != nil {
		return nil, fmt.Errorf("controller: metrics: %w", err)
	}
	m.metrics = met
	if m.opts.CacheSyncTimeout <= 0 {
		m.opts.CacheSyncTimeout = 2 * time.Minute
	}
	if le := m.opts.LeaderElection; le != nil {
		cfg := *le
		cfg.Callbacks = leaderelection.Callbacks{OnNewLeader: le.Callbacks.OnNewLeader}
		if cfg.Logger == nil {
			cfg.Logger = m.log
		}
		// The Manager's callbacks are installed at Start; validate now.
		if _, err := leaderelection.New(c, cfg); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Client returns the manager's client.
func (m *Manager) Client() *client.Client { return m.c }

// Factory returns the manager's informer factory.
func (m *Manager) Factory() *Factory { return m.factory }

// Metrics returns the collectors to hand to controllers (Options.Metrics).
func (m *Manager) Metrics() *Metrics { return m.metrics }

// Registry returns the registry /metrics serves.
func (m *Manager) Registry() *prometheus.Registry { return m.reg }

// Add registers r; it runs when the Manager starts. Add fails after Start.
func (m *Manager) Add(r Runnable) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return ErrManagerStarted
	}
	m.runnables = append(m.runnables, r)
	return nil
}

// AddCheck registers a health check served under /healthz and /readyz.
func (m *Manager) AddCheck(name string, check func(*http.Request) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checks[name] = check
}

// Addr returns the address the endpoints listen on (nil before Start or
// without ManagerOptions.Addr).
func (m *Manager) Addr() net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addr
}

// IsLeader reports whether this manager leads (always true without
// leader election, once started).
func (m *Manager) IsLeader() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.elector == nil {
		return m.started
	}
	return m.elector.IsLeader()
}

func needsLeader(r Runnable) bool {
	if le, ok := r.(LeaderElectionRunnable); ok {
		return le.NeedLeaderElection()
	}
	return true
}

// Start serves the endpoints, starts the informers, waits for their caches
// to sync, then runs the runnables (those that need leadership only while
// leading). It blocks until ctx is done and every runnable has returned;
// it returns the first runnable error, or leaderelection.ErrLeadershipLost
// when leadership was lost (the process should exit and start again, as
// Kubernetes components do).
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return ErrManagerStarted
	}
	m.started = true
	runnables := append([]Runnable(nil), m.runnables...)
	m.mu.Unlock()

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	if m.opts.Addr != "" {
		if err := m.serve(ctx, &wg); err != nil {
			return err
		}
	}

	m.factory.Start(ctx)
	syncCtx, syncCancel := context.WithTimeout(ctx, m.opts.CacheSyncTimeout)
	err := m.factory.WaitForCacheSync(syncCtx)
	syncCancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	m.mu.Lock()
	m.ready = true
	m.mu.Unlock()

	run := func(ctx context.Context, wg *sync.WaitGroup, r Runnable) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Start(ctx); err != nil {
				m.log.Error("runnable failed", "err", err)
				cancel(err)
			}
		}()
	}
	var leaders []Runnable
	for _, r := range runnables {
		if needsLeader(r) && m.opts.LeaderElection != nil {
			leaders = append(leaders, r)
			continue
		}
		run(ctx, &wg, r)
	}
	if le := m.opts.LeaderElection; le != nil {
		cfg := *le
		user := le.Callbacks
		cfg.Callbacks = leaderelection.Callbacks{
			OnStartedLeading: func(lctx context.Context) {
				m.log.Info("leading; starting controllers", "identity", cfg.Identity)
				var lwg sync.WaitGroup
				for _, r := range leaders {
					run(lctx, &lwg, r)
				}
				if user.OnStartedLeading != nil {
					user.OnStartedLeading(lctx)
				}
				// Hold the lease until the leaders' runnables have stopped.
				<-lctx.Done()
				lwg.Wait()
			},
			OnStoppedLeading: user.OnStoppedLeading,
			OnNewLeader:      user.OnNewLeader,
		}
		if cfg.Logger == nil {
			cfg.Logger = m.log
		}
		el, err := leaderelection.New(m.c, cfg)
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.elector = el
		m.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := el.Run(ctx); err != nil {
				cancel(err)
			}
		}()
	}
	<-ctx.Done()
	cancel(nil)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (m *Manager) serve(ctx context.Context, wg *sync.WaitGroup) error {
	ln, err := net.Listen("tcp", m.opts.Addr)
	if err != nil {
		return fmt.Errorf("controller: listen: %w", err)
	}
	m.mu.Lock()
	m.addr = ln.Addr()
	m.mu.Unlock()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { m.check(w, r, false) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { m.check(w, r, true) })
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("endpoint server failed", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}

func (m *Manager) check(w http.ResponseWriter, r *http.Request, readiness bool) {
	m.mu.Lock()
	ready := m.ready
	checks := make(map[string]func(*http.Request) error, len(m.checks))
	for k, v := range m.checks {
		checks[k] = v
	}
	m.mu.Unlock()
	if readiness && !ready {
		http.Error(w, "informers not synced", http.StatusServiceUnavailable)
		return
	}
	for name, c := range checks {
		if err := c(r); err != nil {
			http.Error(w, fmt.Sprintf("check %s failed: %v", name, err), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ok"))
}
