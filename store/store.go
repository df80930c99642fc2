package store

import (
	"context"
	"time"
)

// Limits shared by every backend. They match etcd's defaults so that a
// cluster can move between the embedded store and an external etcd.
const (
	// MaxKeySize is the longest key, in bytes, a Store accepts.
	MaxKeySize = 4 << 10
	// MaxValueSize is the largest value, in bytes, a Store accepts
	// (etcd's default --max-request-bytes of 1.5 MiB). That etcd limit
	// covers the whole request, so an etcd cluster must run with a larger
	// --max-request-bytes to accept values of exactly this size.
	MaxValueSize = 3 << 19
)

// KeyValue is one version of a key.
type KeyValue struct {
	// Key is the full key.
	Key string
	// Value is the stored bytes. Callers must not modify it.
	Value []byte
	// CreateRevision is the revision of the write that created the key
	// (the key's current incarnation, after any delete).
	CreateRevision int64
	// ModRevision is the revision of the last write to the key. It is the
	// value to pass to Update and Delete for compare-and-swap.
	ModRevision int64
	// Version counts writes to the key since it was created, starting at 1.
	Version int64
	// Lease is the lease the key is attached to, or 0.
	Lease LeaseID
}

// LeaseID names a lease granted by Store.Grant. The zero LeaseID means no
// lease.
type LeaseID int64

// EventType says what happened to a key.
type EventType int

const (
	// EventPut is a create or an update; Event.Prev is nil for a create.
	EventPut EventType = iota
	// EventDelete is a delete, explicit or by lease expiry; Event.Prev holds
	// the value that was deleted.
	EventDelete
	// EventProgress carries no change: it tells a watcher that every event up
	// to and including Event.Revision has been delivered. Sent only to
	// watchers that asked for progress notifications.
	EventProgress
)

// String returns "PUT", "DELETE" or "PROGRESS".
func (t EventType) String() string {
	switch t {
	case EventPut:
		return "PUT"
	case EventDelete:
		return "DELETE"
	case EventProgress:
		return "PROGRESS"
	}
	return "UNKNOWN"
}

// Event is one change seen by a Watcher.
type Event struct {
	// Type is the kind of change.
	Type EventType
	// Revision is the store revision of the change (for EventProgress: the
	// revision up to which the watcher is complete).
	Revision int64
	// KV is the key after the change. For EventDelete only Key is set and
	// ModRevision equals Revision. Empty for EventProgress.
	KV KeyValue
	// Prev is the key's value before the change; nil when the key did not
	// exist (a create) and for EventProgress.
	Prev *KeyValue
}

// GetOptions tune Store.Get.
type GetOptions struct {
	// Revision reads the key as it was at this revision; 0 reads the latest.
	Revision int64
}

// ListOptions tune Store.List. The zero value lists everything under the
// prefix at the latest revision.
type ListOptions struct {
	// Revision lists the keys as they were at this revision; 0 lists the
	// latest. Ignored when Continue is set (the token carries its revision).
	Revision int64
	// Limit caps the number of keys returned; 0 means no limit.
	Limit int64
	// Continue resumes a paginated list from ListResult.Continue. The page
	// is read at the revision of the first page, so a paginated list is a
	// consistent snapshot even while writes go on. Every backend accepts any
	// token made by EncodeContinue (a revision and a key to resume at), so a
	// caller that filters pages itself can resume after any key it has seen.
	Continue string
}

// ListResult is one page of a List.
type ListResult struct {
	// KVs are the keys in ascending key order.
	KVs []KeyValue
	// Revision is the store revision the page was read at.
	Revision int64
	// Continue is non-empty when more keys remain; pass it back in
	// ListOptions.Continue to get the next page.
	Continue string
	// Remaining is the number of keys after this page (0 on the last page).
	Remaining int64
}

// WatchOptions tune Store.Watch.
type WatchOptions struct {
	// Revision is the first revision to deliver: events with
	// Event.Revision >= Revision. 0 means "from now": only changes made
	// after Watch returns.
	Revision int64
	// Progress asks for EventProgress notifications while the watcher is
	// idle, so that it learns how far the store has advanced.
	Progress bool
}

// Watcher delivers the changes under a prefix, in revision order, each
// exactly once.
//
// A watcher never silently loses an event. A consumer that falls behind is
// either caught up from the store's history or ended: Events is closed and
// Err reports why (for example an error wrapping ErrCompacted when the events
// it missed were compacted away). Either way no later event is delivered
// after a gap.
type Watcher interface {
	// Events returns the channel of events. It is closed when the watch ends.
	Events() <-chan Event
	// Err returns why Events was closed: nil after Close or a cancelled
	// context, otherwise an error (ErrCompacted, ErrClosed, ...). It is only
	// meaningful once Events has been closed.
	Err() error
	// Close ends the watch and releases its resources. It is safe to call
	// more than once and from any goroutine.
	Close()
}

// Store is a watchable, versioned key-value store: the one place a
// Longshore control plane keeps its state.
//
// Every successful write (Create, Update, Delete, and lease expiry) advances
// a single global revision by one. Keys are non-empty strings of at most
// MaxKeySize bytes; values are non-empty and at most MaxValueSize bytes.
//
// Implementations are safe for concurrent use. A write returns only once it
// is durable (for the embedded store: fsynced; for a replicated store:
// committed by a quorum and applied locally).
type Store interface {
	// Get returns the key's value. It returns an error wrapping ErrNotFound
	// when the key does not exist (at the revision asked for).
	Get(ctx context.Context, key string, opts GetOptions) (*KeyValue, error)

	// List returns the keys that start with prefix, in key order.
	// A revision below the compaction point fails with ErrCompacted; one
	// above the current revision fails with ErrFutureRevision.
	List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error)

	// Create writes key only if it does not exist (ErrExists otherwise).
	// A non-zero lease attaches the key to it (ErrLeaseNotFound if unknown).
	Create(ctx context.Context, key string, value []byte, lease LeaseID) (*KeyValue, error)

	// Update replaces key's value. With modRevision > 0 the write happens
	// only if the key's ModRevision equals it (ErrConflict otherwise); with 0
	// it is unconditional. A missing key fails with ErrNotFound. The key
	// keeps its lease.
	Update(ctx context.Context, key string, value []byte, modRevision int64) (*KeyValue, error)

	// Delete removes key, with the same modRevision guard as Update. It
	// returns the value that was deleted and the revision of the delete.
	Delete(ctx context.Context, key string, modRevision int64) (prev *KeyValue, revision int64, err error)

	// Watch streams the changes to keys under prefix. The watch ends when
	// ctx is done, when the Watcher is closed, or when the store closes.
	// If opts.Revision is compacted, Watch returns an error wrapping
	// ErrCompacted, or returns a Watcher whose Events close, before
	// delivering anything, with Err wrapping ErrCompacted.
	Watch(ctx context.Context, prefix string, opts WatchOptions) (Watcher, error)

	// Compact discards the history before revision: reads and watches at
	// lower revisions fail with ErrCompacted. The latest version of every
	// live key is kept. Compacting at or below the current compaction point
	// is a no-op; above the current revision it fails with ErrFutureRevision.
	Compact(ctx context.Context, revision int64) error

	// Revision returns the current revision and the compaction point (the
	// lowest revision still readable minus one: after Compact(r), r is still
	// readable and the compaction point is r-1). A new embedded store is at
	// revision 0; a new etcd cluster starts at 1.
	Revision(ctx context.Context) (current, compacted int64, err error)

	// Grant creates a lease that expires after ttl unless kept alive. Keys
	// attached to it are deleted, with an EventDelete each, when it expires
	// or is revoked: the embedded stores delete each key at its own
	// revision, etcd deletes them all in one revision. ttl is rounded up to
	// whole seconds, as etcd does; it must be at least one second (etcd
	// raises TTLs below its own minimum, about 2 s with default timing).
	Grant(ctx context.Context, ttl time.Duration) (LeaseID, error)

	// KeepAlive renews a lease for its full TTL and returns that TTL.
	// An expired or unknown lease fails with ErrLeaseNotFound.
	KeepAlive(ctx context.Context, id LeaseID) (time.Duration, error)

	// Revoke ends a lease now, deleting its keys. An unknown lease fails with
	// ErrLeaseNotFound.
	Revoke(ctx context.Context, id LeaseID) error

	// Close releases the store. Open watchers end with Err wrapping
	// ErrClosed; later calls fail with ErrClosed.
	Close() error
}
