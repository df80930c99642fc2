package controller

import (
	"context"
	"time"
)

// Request names the object to reconcile.
type Request struct {
	Namespace string
	Name      string
}

// String returns "namespace/name", or "name" for a cluster-scoped object.
func (r Request) String() string { return Key(r.Namespace, r.Name) }

// Result tells the controller what to do after a successful Reconcile.
type Result struct {
	// Requeue asks for another Reconcile after the rate limiter's back-off.
	Requeue bool
	// RequeueAfter, when positive, asks for another Reconcile after that
	// long (it wins over Requeue).
	RequeueAfter time.Duration
}

// Reconciler drives the world towards the state an object asks for. It is
// level-based: it reads the current state (from caches) and acts on the
// difference, whatever events led there. A Request is never reconciled by
// two workers at once. An error requeues the request with back-off.
type Reconciler interface {
	Reconcile(ctx context.Context, req Request) (Result, error)
}

// ReconcilerFunc adapts a function to Reconciler.
type ReconcilerFunc func(ctx context.Context, req Request) (Result, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, req Request) (Result, error) {
	return f(ctx, req)
}

var _ Reconciler = ReconcilerFunc(nil)
