// Package leaderelection elects one leader among replicas of a component
// through a coordination.k8s.io/v1 Lease, as client-go's leader election
// does.
//
// # Basics
//
// Each candidate runs an Elector with its own Identity. The holder renews
// the Lease's renewTime every RetryPeriod; another candidate takes the
// Lease only once renewTime + leaseDurationSeconds has passed without a
// renewal (measured on its own clock, from when it last saw the Lease
// change), or at once when holderIdentity is empty. Every write is an
// Update guarded by the Lease's resourceVersion, so two candidates never
// both win a race. A holder that cannot renew within RenewDeadline stops
// leading.
//
// # Defaults
//
// LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s (client-go's).
// On shutdown the holder releases the Lease (clears holderIdentity), so a
// successor takes over at its next retry instead of waiting for expiry.
//
// # Caveats
//
// Leader election bounds, but does not exclude, overlap: a leader that
// stalls longer than LeaseDuration - RenewDeadline may still act for a
// moment after a successor was elected. Keep reconcilers idempotent and
// guard writes with resourceVersion.
package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// Callbacks are called as leadership changes. They may be nil.
type Callbacks struct {
	// OnStartedLeading runs in its own goroutine when this candidate
	// becomes leader; ctx is cancelled when leadership ends.
	OnStartedLeading func(ctx context.Context)
	// OnStoppedLeading is called when Run returns after having led.
	OnStoppedLeading func()
	// OnNewLeader is called when the observed leader changes (including
	// to this candidate).
	OnNewLeader func(identity string)
}

// Config configures an Elector. Namespace, Name and Identity are required.
type Config struct {
	// Namespace and Name locate the Lease (created if missing).
	Namespace, Name string
	// Identity names this candidate (e.g. hostname + random suffix).
	Identity string
	// LeaseDuration is how long a non-renewed lease keeps others out
	// (default 15 s).
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader retries renewal before giving
	// up leadership (default 10 s); it must be less than LeaseDuration.
	RenewDeadline time.Duration
	// RetryPeriod is the wait between attempts (default 2 s).
	RetryPeriod time.Duration
	// KeepOnCancel disables releasing the lease when ctx ends.
	KeepOnCancel bool
	// Callbacks are called on leadership changes.
	Callbacks Callbacks
	// Logger receives transitions; nil discards.
	Logger *slog.Logger
}

// ErrInvalidConfig reports a Config that cannot work.
var ErrInvalidConfig = errors.New("leaderelection: invalid config")

// Elector runs one candidate's side of an election.
type Elector struct {
	leases *client.Resource[*coordination.Lease]
	cfg    Config
	log    *slog.Logger

	mu         sync.Mutex
	observed   *coordination.Lease
	observedAt time.Time
	leader     string
	reported   string
}

// New validates cfg, applies defaults and returns an Elector on c.
func New(c *client.Client, cfg Config) (*Elector, error) {
	if cfg.Namespace == "" || cfg.Name == "" || cfg.Identity == "" {
		return nil, fmt.Errorf("%w: namespace, name and identity are required", ErrInvalidConfig)
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = 15 * time.Second
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = 10 * time.Second
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = 2 * time.Second
	}
	if cfg.LeaseDuration <= cfg.RenewDeadline || cfg.RenewDeadline <= cfg.RetryPeriod || cfg.RetryPeriod <= 0 {
		return nil, fmt.Errorf("%w: need LeaseDuration > RenewDeadline > RetryPeriod > 0", ErrInvalidConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res, err := client.For[*coordination.Lease](c)
	if err != nil {
		return nil, fmt.Errorf("leaderelection: %w", err)
	}
	return &Elector{leases: res.Namespace(cfg.Namespace), cfg: cfg,
		log: log.With("lease", cfg.Namespace+"/"+cfg.Name, "identity", cfg.Identity)}, nil
}

// IsLeader reports whether this candidate held the lease at its last
// successful write.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader == e.cfg.Identity
}

// Leader returns the last observed holder ("" if none).
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// Run campaigns until it acquires the lease, leads (calling
// OnStartedLeading) while it renews it, and returns when ctx is done or
// leadership is lost. It releases the lease on the way out unless
// KeepOnCancel. It returns nil when ctx ended, or ErrLeadershipLost.
func (e *Elector) Run(ctx context.Context) error {
	if !e.acquire(ctx) {
		return nil
	}
	leadCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if f := e.cfg.Callbacks.OnStartedLeading; f != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(leadCtx)
		}()
	}
	err := e.renew(ctx)
	cancel()
	wg.Wait()
	if !e.cfg.KeepOnCancel {
		e.release()
	}
	e.setLeader("")
	if f := e.cfg.Callbacks.OnStoppedLeading; f != nil {
		f()
	}
	return err
}

// ErrLeadershipLost is returned by Run when renewal failed for
// RenewDeadline or another candidate took the lease.
var ErrLeadershipLost = errors.New("leaderelection: leadership lost")

func (e *Elector) acquire(ctx context.Context) bool {
	for {
		ok, err := e.tryAcquireOrRenew(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.Debug("acquire attempt failed", "err", err)
		}
		if ok {
			e.log.Info("acquired lease")
			return true
		}
		if !sleep(ctx, e.cfg.RetryPeriod) {
			return false
		}
	}
}

func (e *Elector) renew(ctx context.Context) error {
	for {
		if !sleep(ctx, e.cfg.RetryPeriod) {
			return nil
		}
		deadline, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		renewed := false
		for !renewed {
			ok, err := e.tryAcquireOrRenew(deadline)
			if ok {
				renewed = true
				break
			}
			if err == nil || deadline.Err() != nil {
				break // someone else holds it, or the deadline passed
			}
			if !sleep(deadline, e.cfg.RetryPeriod) {
				break
			}
		}
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if !renewed {
			e.log.Warn("lost lease")
			return ErrLeadershipLost
		}
	}
}

// tryAcquireOrRenew takes or renews the lease. It returns false, nil when
// another candidate validly holds it.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) (bool, error) {
	now := meta.NowMicro()
	dur := int32(e.cfg.LeaseDuration / time.Second)
	if dur < 1 {
		dur = 1
	}
	id := e.cfg.Identity
	cur, err := e.leases.Get(ctx, e.cfg.Name)
	if apierror.IsNotFound(err) {
		zero := int32(0)
		l := &coordination.Lease{ObjectMeta: meta.ObjectMeta{Name: e.cfg.Name, Namespace: e.cfg.Namespace},
			Spec: coordination.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &dur, AcquireTime: &now, RenewTime: &now, LeaseTransitions: &zero}}
		created, err := e.leases.Create(ctx, l, client.WriteOptions{})
		if err != nil {
			return false, err
		}
		e.observe(created)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	e.observe(cur)
	holder := ""
	if cur.Spec.HolderIdentity != nil {
		holder = *cur.Spec.HolderIdentity
	}
	if holder != "" && holder != id && !e.expired(cur) {
		return false, nil
	}
	l := cur.DeepCopyObject().(*coordination.Lease)
	if holder != id {
		var n int32
		if l.Spec.LeaseTransitions != nil {
			n = *l.Spec.LeaseTransitions
		}
		if holder != "" || l.Spec.AcquireTime != nil {
			n++
		}
		l.Spec.LeaseTransitions = &n
		l.Spec.AcquireTime = &now
	}
	l.Spec.HolderIdentity = &id
	l.Spec.LeaseDurationSeconds = &dur
	l.Spec.RenewTime = &now
	upd, err := e.leases.Update(ctx, l, client.WriteOptions{})
	if err != nil {
		return false, err // a conflict means someone else wrote first
	}
	e.observe(upd)
	return true, nil
}

// expired reports whether the observed lease has gone un-renewed for its
// duration, on the local clock since it was last seen changing (clocks of
// candidates are not compared).
func (e *Elector) expired(l *coordination.Lease) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.cfg.LeaseDuration
	if l.Spec.LeaseDurationSeconds != nil {
		d = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	return time.Since(e.observedAt) > d
}

// observe records l, restarting the expiry clock when it changed.
func (e *Elector) observe(l *coordination.Lease) {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	e.mu.Lock()
	if e.observed == nil || e.observed.ResourceVersion != l.ResourceVersion {
		e.observed, e.observedAt = l, time.Now()
	}
	e.mu.Unlock()
	e.setLeader(holder)
}

func (e *Elector) setLeader(holder string) {
	e.mu.Lock()
	e.leader = holder
	changed := holder != "" && holder != e.reported
	if changed {
		e.reported = holder
	}
	e.mu.Unlock()
	if changed && e.cfg.Callbacks.OnNewLeader != nil {
		e.cfg.Callbacks.OnNewLeader(holder)
	}
}

// release clears holderIdentity if this candidate still holds the lease.
func (e *Elector) release() {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	cur, err := e.leases.Get(ctx, e.cfg.Name)
	if err != nil || cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != e.cfg.Identity {
		return
	}
	l := cur.DeepCopyObject().(*coordination.Lease)
	l.Spec.HolderIdentity = nil
	one := int32(1)
	l.Spec.LeaseDurationSeconds = &one
	now := meta.NowMicro()
	l.Spec.RenewTime = &now
	if _, err := e.leases.Update(ctx, l, client.WriteOptions{}); err != nil {
		e.log.Warn("release failed", "err", err)
		return
	}
	e.log.Info("released lease")
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
