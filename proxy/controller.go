package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

// ControllerOptions are the optional knobs of a Controller; the zero value
// works.
type ControllerOptions struct {
	// Factory shares informers with other controllers of the process; nil
	// makes the Controller its own factory on the client.
	Factory *controller.Factory
	// Namespace limits the proxy to one namespace ("" means all).
	Namespace string
	// Runner tunes the sync loop (intervals, metrics); nil uses defaults.
	// Its Logger defaults to Logger.
	Runner *RunnerOptions
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Controller feeds a Tracker from Service and Endpoints informers on the
// API server and drives a Backend from it with a Runner: the proxy of one
// node, wired to the API.
type Controller struct {
	tracker   *Tracker
	runner    *Runner
	factory   *controller.Factory
	services  *controller.Informer[*core.Service]
	endpoints *controller.Informer[*core.Endpoints]
	log       *slog.Logger
}

// ErrNotSynced is wrapped by Run's error when the context ends before the
// informers' first lists arrived (no sync has been made).
var ErrNotSynced = errors.New("proxy: informers not synced")

// NewController returns a Controller that watches Services and Endpoints
// through c and programs backend; opts may be nil. Nothing happens until
// Run.
func NewController(c *client.Client, backend Backend, opts *ControllerOptions) (*Controller, error) {
	var o ControllerOptions
	if opts != nil {
		o = *opts
	}
	if c == nil && o.Factory == nil {
		return nil, errors.New("proxy: NewController needs a client or a factory")
	}
	if backend == nil {
		return nil, errors.New("proxy: NewController needs a backend")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := o.Factory
	if f == nil {
		f = controller.NewFactory(c, &controller.FactoryOptions{Logger: log})
	}
	infOpts := controller.InformerOptions{Namespace: o.Namespace}
	services, err := controller.InformerFor[*core.Service](f, infOpts)
	if err != nil {
		return nil, fmt.Errorf("proxy: service informer: %w", err)
	}
	endpoints, err := controller.InformerFor[*core.Endpoints](f, infOpts)
	if err != nil {
		return nil, fmt.Errorf("proxy: endpoints informer: %w", err)
	}
	var ro RunnerOptions
	if o.Runner != nil {
		ro = *o.Runner
	}
	if ro.Logger == nil {
		ro.Logger = log
	}
	tracker := NewTracker(&TrackerOptions{Logger: log})
	services.AddEventHandler(controller.HandlerFuncs[*core.Service]{
		AddFunc:    func(s *core.Service) { tracker.OnAPIServiceUpdate(nil, s) },
		UpdateFunc: func(old, s *core.Service) { tracker.OnAPIServiceUpdate(old, s) },
		DeleteFunc: func(s *core.Service, _ bool) { tracker.OnAPIServiceUpdate(s, nil) },
	})
	endpoints.AddEventHandler(controller.HandlerFuncs[*core.Endpoints]{
		AddFunc:    func(e *core.Endpoints) { tracker.OnAPIEndpointsUpdate(nil, e) },
		UpdateFunc: func(old, e *core.Endpoints) { tracker.OnAPIEndpointsUpdate(old, e) },
		DeleteFunc: func(e *core.Endpoints, _ bool) { tracker.OnAPIEndpointsUpdate(e, nil) },
	})
	return &Controller{
		tracker:   tracker,
		runner:    NewRunner(tracker, backend, &ro),
		factory:   f,
		services:  services,
		endpoints: endpoints,
		log:       log,
	}, nil
}

// Tracker returns the controller's tracker (for tests and for feeding
// objects from elsewhere).
func (c *Controller) Tracker() *Tracker { return c.tracker }

// Run starts the informers (those of a shared factory that are not
// running yet), waits for their first lists, so that the first full sync
// programs the whole cluster rather than an empty table, then syncs until
// ctx is done and returns ctx's error. It does not call the backend's
// Cleanup.
func (c *Controller) Run(ctx context.Context) error {
	c.factory.Start(ctx)
	if err := controller.WaitForSync(ctx, c.services, c.endpoints); err != nil {
		return fmt.Errorf("%w: %w", ErrNotSynced, err)
	}
	c.log.Info("proxy informers synced", "services", c.services.Len(), "endpoints", c.endpoints.Len())
	return c.runner.Run(ctx)
}

// Run is NewController followed by Controller.Run: it proxies the
// cluster behind c with backend until ctx is done.
func Run(ctx context.Context, c *client.Client, backend Backend, opts *ControllerOptions) error {
	ctl, err := NewController(c, backend, opts)
	if err != nil {
		return err
	}
	return ctl.Run(ctx)
}
