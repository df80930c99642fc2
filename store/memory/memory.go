// Package memory is a store.Store kept entirely in memory: the same MVCC
// engine as store/bolt (history, compaction, watches, leases, group commit)
// without persistence. It suits tests, simulations and examples; its state
// is lost when the process ends.
package memory

import (
	"context"
	"log/slog"
	"time"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// Options tune a Store. The zero value (or nil) works.
type Options struct {
	// WatchBufferSize is each watcher's channel capacity (default 128). A
	// watcher that falls further behind is caught up from history.
	WatchBufferSize int
	// ProgressInterval is how often idle watchers that asked for progress
	// notifications receive one (default 1s).
	ProgressInterval time.Duration
	// Logger receives background errors (default: discard).
	Logger *slog.Logger
	// MaxBatch caps the writes of one group commit (default 512).
	MaxBatch int
	// ManualLeaseExpiry turns off local lease expiry: leases end only by
	// Revoke.
	ManualLeaseExpiry bool
	// AutoCompact compacts the history in the background; off when zero.
	AutoCompact AutoCompact
}

// AutoCompact configures background compaction, as etcd's
// --auto-compaction-mode and --auto-compaction-retention do: Revisions > 0
// keeps that many revisions, compacting every Interval (default 1 minute);
// Interval alone compacts every Interval at the revision that was current
// one Interval earlier.
type AutoCompact = mvcc.AutoCompact

// LeaseInfo describes a live lease: fields ID, TTL and Keys (the number of
// keys attached to it).
type LeaseInfo = mvcc.LeaseInfo

// Stats counts group commits: batches, revisions written, requests.
type Stats = mvcc.Stats

// Store is an in-memory store.Store. It is safe for concurrent use.
type Store struct {
	e *mvcc.Engine
}

var _ store.Store = (*Store)(nil)

// New returns an empty store; nil opts means defaults.
func New(opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	return &Store{e: mvcc.NewMemory(mvcc.Options{
		WatchBufferSize:   o.WatchBufferSize,
		ProgressInterval:  o.ProgressInterval,
		Logger:            o.Logger,
		MaxBatch:          o.MaxBatch,
		ManualLeaseExpiry: o.ManualLeaseExpiry,
		AutoCompact:       o.AutoCompact,
	})}
}

// Get returns the key's value, at opts.Revision or the latest.
func (s *Store) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	return s.e.Get(ctx, key, opts)
}

// List returns the keys under prefix in key order, paginated by
// opts.Limit and opts.Continue.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	return s.e.List(ctx, prefix, opts)
}

// Create writes key if it does not exist, optionally attached to a lease.
func (s *Store) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	return s.e.Create(ctx, key, value, lease)
}

// Update replaces key's value, guarded by modRevision when it is non-zero.
func (s *Store) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	return s.e.Update(ctx, key, value, modRevision)
}

// Delete removes key, guarded by modRevision when it is non-zero.
func (s *Store) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	return s.e.Delete(ctx, key, modRevision)
}

// Watch streams the changes under prefix from opts.Revision (0: from now).
func (s *Store) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	return s.e.Watch(ctx, prefix, opts)
}

// Compact discards the history before revision.
func (s *Store) Compact(ctx context.Context, revision int64) error {
	return s.e.Compact(ctx, revision)
}

// Revision returns the current revision and the compaction point.
func (s *Store) Revision(ctx context.Context) (current, compacted int64, err error) {
	return s.e.Revision(ctx)
}

// Grant creates a lease of ttl, rounded up to whole seconds.
func (s *Store) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	return s.e.Grant(ctx, ttl)
}

// KeepAlive renews a lease for its full TTL.
func (s *Store) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	return s.e.KeepAlive(ctx, id)
}

// Revoke ends a lease now and deletes its keys.
func (s *Store) Revoke(ctx context.Context, id store.LeaseID) error {
	return s.e.Revoke(ctx, id)
}

// Leases lists the live leases in ID order.
func (s *Store) Leases() []LeaseInfo { return s.e.Leases() }

// Stats returns the group-commit counters.
func (s *Store) Stats() Stats { return s.e.Stats() }

// Close ends every watcher with store.ErrClosed and makes later calls fail
// with it.
func (s *Store) Close() error { return s.e.Close() }
