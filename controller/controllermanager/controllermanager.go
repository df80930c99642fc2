// Package controllermanager wires every built-in controller (replicaset,
// deployment, endpoints, serviceaccount, namespace, garbagecollector,
// nodelifecycle) under one controller.Manager with a shared informer
// factory, an event recorder, health and metrics endpoints, and leader
// election on a Lease, as kube-controller-manager does.
//
// # Leader election
//
// Several replicas may run; they elect a leader on the Lease
// kube-system/longshore-controller-manager (15 s lease, 10 s renew
// deadline, 2 s retry by default). Only the leader runs the controllers;
// the others keep their informers warm and take over when the lease
// expires or the leader releases it on shutdown. Run returns
// leaderelection.ErrLeadershipLost when this replica lost a leadership it
// held: the process should exit and start again.
//
// # Endpoints
//
// With Options.Addr the manager serves /healthz, /readyz and /metrics
// (Prometheus: work queues, reconciles, Go and process collectors).
package controllermanager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/deployment"
	"github.com/longshore/longshore/controller/endpoints"
	"github.com/longshore/longshore/controller/garbagecollector"
	"github.com/longshore/longshore/controller/leaderelection"
	"github.com/longshore/longshore/controller/namespace"
	"github.com/longshore/longshore/controller/nodelifecycle"
	"github.com/longshore/longshore/controller/record"
	"github.com/longshore/longshore/controller/replicaset"
	"github.com/longshore/longshore/controller/serviceaccount"
)

// The built-in controllers, by the names Options.Controllers takes.
const (
	ReplicaSet       = "replicaset"
	Deployment       = "deployment"
	Endpoints        = "endpoints"
	ServiceAccount   = "serviceaccount"
	Namespace        = "namespace"
	GarbageCollector = "garbagecollector"
	NodeLifecycle    = "nodelifecycle"
)

// All lists every built-in controller.
var All = []string{ReplicaSet, Deployment, Endpoints, ServiceAccount, Namespace, GarbageCollector, NodeLifecycle}

// Defaults of the leader election Lease.
const (
	DefaultLeaseNamespace = "kube-system"
	DefaultLeaseName      = "longshore-controller-manager"
)

// Component is the events' source component.
const Component = "longshore-controller-manager"

// ErrUnknownController is returned for a name not in All.
var ErrUnknownController = errors.New("controllermanager: unknown controller")

// Options tune the controller manager; the zero value runs every
// controller with leader election and no endpoints.
type Options struct {
	// Controllers selects the controllers to run (names from All); nil
	// runs all of them.
	Controllers []string
	// Addr, when set (e.g. "127.0.0.1:10257"), serves /healthz, /readyz
	// and /metrics.
	Addr string
	// Registry collects metrics; nil creates one.
	Registry *prometheus.Registry
	// NoLeaderElection runs the controllers at once (a single replica).
	NoLeaderElection bool
	// Identity names this replica in the Lease and in events (default
	// hostname_random).
	Identity string
	// LeaseNamespace and LeaseName locate the Lease (defaults
	// kube-system/longshore-controller-manager). The namespace is created
	// if missing.
	LeaseNamespace, LeaseName string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the election
	// (defaults 15 s, 10 s, 2 s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// NodeMonitorGracePeriod is how long a node may go without a
	// heartbeat (default 50 s).
	NodeMonitorGracePeriod time.Duration
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// New builds the Manager with the selected controllers; Start it (or use
// Run).
func New(c *client.Client, opts *Options) (*controller.Manager, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Controllers == nil {
		o.Controllers = All
	}
	for _, name := range o.Controllers {
		if !slices.Contains(All, name) {
			return nil, fmt.Errorf("%w: %q", ErrUnknownController, name)
		}
	}
	if o.Identity == "" {
		o.Identity = defaultIdentity()
	}
	if o.LeaseNamespace == "" {
		o.LeaseNamespace = DefaultLeaseNamespace
	}
	if o.LeaseName == "" {
		o.LeaseName = DefaultLeaseName
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := controller.NewFactory(c, &controller.FactoryOptions{Logger: log})
	mo := &controller.ManagerOptions{Factory: f, Addr: o.Addr, Registry: o.Registry, Logger: log}
	if !o.NoLeaderElection {
		mo.LeaderElection = &leaderelection.Config{Namespace: o.LeaseNamespace, Name: o.LeaseName, Identity: o.Identity,
			LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod, Logger: log}
	}
	m, err := controller.NewManager(c, mo)
	if err != nil {
		return nil, err
	}
	rec := record.New(c, &record.Options{Component: Component, Host: o.Identity, Logger: log})
	if err := m.Add(rec); err != nil {
		return nil, err
	}
	met := m.Metrics()
	for _, name := range o.Controllers {
		var r controller.Runnable
		var err error
		switch name {
		case ReplicaSet:
			r, _, err = replicaset.New(f, &replicaset.Options{Recorder: rec, Metrics: met, Logger: log})
		case Deployment:
			r, _, err = deployment.New(f, &deployment.Options{Recorder: rec, Metrics: met, Logger: log})
		case Endpoints:
			r, _, err = endpoints.New(f, &endpoints.Options{Metrics: met, Logger: log})
		case ServiceAccount:
			r, _, err = serviceaccount.New(f, &serviceaccount.Options{Metrics: met, Logger: log})
		case Namespace:
			r, _, err = namespace.New(f, &namespace.Options{Metrics: met, Logger: log})
		case GarbageCollector:
			r, err = garbagecollector.New(c, &garbagecollector.Options{Metrics: met, Logger: log})
		case NodeLifecycle:
			r, _, err = nodelifecycle.New(f, &nodelifecycle.Options{GracePeriod: o.NodeMonitorGracePeriod, Recorder: rec, Metrics: met, Logger: log})
		}
		if err != nil {
			return nil, fmt.Errorf("controllermanager: %s: %w", name, err)
		}
		if err := m.Add(r); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Run builds the Manager with New, makes sure the Lease's namespace
// exists, and runs it until ctx is done.
func Run(ctx context.Context, c *client.Client, opts Options) error {
	m, err := New(c, &opts)
	if err != nil {
		return err
	}
	if !opts.NoLeaderElection {
		ns := opts.LeaseNamespace
		if ns == "" {
			ns = DefaultLeaseNamespace
		}
		if err := ensureNamespace(ctx, c, ns); err != nil {
			return err
		}
	}
	return m.Start(ctx)
}

func ensureNamespace(ctx context.Context, c *client.Client, name string) error {
	api := client.MustFor[*core.Namespace](c)
	_, err := api.Get(ctx, name)
	if err == nil {
		return nil
	}
	if !apierror.IsNotFound(err) {
		return fmt.Errorf("controllermanager: namespace %s: %w", name, err)
	}
	_, err = api.Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: name}}, client.WriteOptions{})
	if err != nil && !apierror.IsAlreadyExists(err) {
		return fmt.Errorf("controllermanager: create namespace %s: %w", name, err)
	}
	return nil
}

func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "controller-manager"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "_" + hex.EncodeToString(b)
}
