package proxy

import (
	"context"
	"log/slog"
	"time"
)

// RunnerOptions are the optional knobs of a Runner; the zero value works.
type RunnerOptions struct {
	// MinSyncInterval is the least time between the starts of two syncs;
	// changes arriving meanwhile are coalesced into the next one. Default
	// 100ms.
	MinSyncInterval time.Duration
	// FullSyncInterval is the period of full resyncs, which repair any
	// drift of the data plane. Default 1h.
	FullSyncInterval time.Duration
	// RetryInterval is the wait before retrying a failed sync (as a full
	// sync). Default 1s.
	RetryInterval time.Duration
	// Metrics records sync durations, failures and programmed sizes; nil
	// records nothing.
	Metrics *Metrics
	// Logger receives sync failures; nil discards.
	Logger *slog.Logger
}

// Runner drives a Backend from a Tracker: it owns the State, syncs
// changes at most once per MinSyncInterval, resyncs fully on start, every
// FullSyncInterval and after a failure.
type Runner struct {
	tracker *Tracker
	backend Backend
	opts    RunnerOptions
	log     *slog.Logger
	state   *State
}

// NewRunner returns a Runner; opts may be nil.
func NewRunner(tracker *Tracker, backend Backend, opts *RunnerOptions) *Runner {
	var o RunnerOptions
	if opts != nil {
		o = *opts
	}
	if o.MinSyncInterval <= 0 {
		o.MinSyncInterval = 100 * time.Millisecond
	}
	if o.FullSyncInterval <= 0 {
		o.FullSyncInterval = time.Hour
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{tracker: tracker, backend: backend, opts: o, log: log, state: NewState()}
}

// Run syncs until ctx is done and returns ctx's error. It starts with a
// full sync. It does not call Cleanup: rules stay in place across a restart
// of the proxy.
func (r *Runner) Run(ctx context.Context) error {
	needFull := true
	var lastStart time.Time
	lastFull := time.Time{}
	wake := time.NewTimer(0)
	defer wake.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake.C:
		case <-r.tracker.Changed():
		}
		if wait := r.opts.MinSyncInterval - time.Since(lastStart); !lastStart.IsZero() && wait > 0 {
			resetTimer(wake, wait)
			continue
		}
		if time.Since(lastFull) >= r.opts.FullSyncInterval {
			needFull = true
		}
		if !needFull && !r.tracker.Pending() {
			resetTimer(wake, r.opts.FullSyncInterval-time.Since(lastFull))
			continue
		}
		lastStart = time.Now()
		changes := r.tracker.Apply(r.state)
		err := r.sync(ctx, needFull, changes)
		switch {
		case err == nil:
			if needFull {
				lastFull = lastStart
			}
			needFull = false
			resetTimer(wake, r.opts.FullSyncInterval-time.Since(lastFull))
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			needFull = true
			resetTimer(wake, r.opts.RetryInterval)
		}
	}
}

func (r *Runner) sync(ctx context.Context, full bool, changes *ChangeSet) error {
	kind := "partial"
	start := time.Now()
	var err error
	if full {
		kind = "full"
		err = r.backend.FullSync(ctx, r.state)
	} else if !changes.Empty() {
		err = r.backend.Sync(ctx, r.state, changes)
	}
	r.opts.Metrics.observe(kind, time.Since(start).Seconds(), err)
	if c, ok := r.backend.(Counter); ok {
		r.opts.Metrics.setProgrammed(c.Programmed())
	}
	if err != nil {
		r.log.Error("proxy sync failed", "kind", kind, "err", err)
		return err
	}
	r.log.Debug("proxy synced", "kind", kind, "took", time.Since(start), "services", len(r.state.Services))
	return nil
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	t.Reset(max(d, 0))
}
