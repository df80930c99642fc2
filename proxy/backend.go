package proxy

import (
	"context"
	"errors"
)

// Backend programs the data plane from a State. The proxy's backends
// (proxy/nftables, proxy/userspace) implement it; so can third parties.
//
// Concurrency contract: the caller never calls a Backend's methods
// concurrently (a Runner serializes them). The State passed in is read-only
// and valid only for the duration of the call; a backend keeps its own
// record of what it programmed.
type Backend interface {
	// Sync applies the changes listed in changes (state is already the
	// new desired state), touching only those service ports. After an error
	// the data plane may be partially updated; the caller follows up with
	// FullSync.
	Sync(ctx context.Context, state *State, changes *ChangeSet) error
	// FullSync replaces everything the backend programmed with state,
	// atomically where the data plane allows it.
	FullSync(ctx context.Context, state *State) error
	// Cleanup removes everything the backend ever programmed.
	Cleanup(ctx context.Context) error
}

// Programmed counts what a backend has programmed.
type Programmed struct {
	// Rules counts rules (or, for the userspace backend, listeners).
	Rules int
	// Elements counts map and set elements (or forwarded endpoints).
	Elements int
}

// Counter is an optional ability of a Backend: reporting the size of what
// it programmed, for metrics. A Runner finds it by type assertion.
type Counter interface {
	Programmed() Programmed
}

// ErrBackend is wrapped by backend errors about the data plane refusing a
// change (as opposed to bad input or a cancelled context).
var ErrBackend = errors.New("proxy: backend failed")
