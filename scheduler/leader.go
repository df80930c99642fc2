package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/leaderelection"
)

// The default Lease of leader election, kube-scheduler's.
const (
	DefaultLeaseNamespace = "kube-system"
	DefaultLeaseName      = "kube-scheduler"
)

// newElector builds the elector whose leadership runs lead.
func newElector(c *client.Client, le *LeaderElection, log *slog.Logger, lead func(ctx context.Context)) (*leaderelection.Elector, error) {
	cfg := leaderelection.Config{Namespace: le.Namespace, Name: le.Name, Identity: le.Identity,
		LeaseDuration: le.LeaseDuration, RenewDeadline: le.RenewDeadline, RetryPeriod: le.RetryPeriod, Logger: log,
		Callbacks: leaderelection.Callbacks{OnStartedLeading: lead}}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultLeaseNamespace
	}
	if cfg.Name == "" {
		cfg.Name = DefaultLeaseName
	}
	if cfg.Identity == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "scheduler"
		}
		var b [4]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		cfg.Identity = host + "_" + hex.EncodeToString(b[:])
	}
	e, err := leaderelection.New(c, cfg)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return e, nil
}

// lead is the elector's OnStartedLeading: the scheduling loop, until
// leadership ends (the elector waits for it to return).
func (s *Scheduler) lead(ctx context.Context) {
	s.log.Info("leading: scheduling starts")
	s.scheduleLoop(ctx)
}

// IsLeader reports whether this scheduler schedules: always true without
// leader election, else whether it holds the Lease.
func (s *Scheduler) IsLeader() bool {
	return s.elector == nil || s.elector.IsLeader()
}
