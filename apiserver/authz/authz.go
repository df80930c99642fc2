// Package authz decides whether an authenticated user may do what a request
// asks.
package authz

import (
	"context"

	"github.com/longshore/longshore/apiserver/authn"
)

// Attributes are what an authorizer decides on, taken from the request.
type Attributes struct {
	User *authn.User
	// Verb is get, list, watch, create, update, patch, delete,
	// deletecollection for resource requests; the lower-case HTTP method for
	// other paths.
	Verb              string
	IsResourceRequest bool
	// Resource requests.
	Namespace   string
	APIGroup    string
	APIVersion  string
	Resource    string
	Subresource string
	Name        string
	// Path is the request path (for non-resource requests such as /healthz).
	Path string
}

// Decision is an authorizer's answer.
type Decision int

// The decisions. NoOpinion lets the next authorizer in a chain decide; the
// request is forbidden when none allows it.
const (
	NoOpinion Decision = iota
	Allow
	Deny
)

// Authorizer decides on one request. reason explains the decision (shown in
// 403 messages and SubjectAccessReviews). Implementations are safe for
// concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// AuthorizerFunc adapts a function to an Authorizer.
type AuthorizerFunc func(ctx context.Context, a Attributes) (Decision, string, error)

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	return f(ctx, a)
}

// Chain asks each authorizer in turn until one allows or denies.
type Chain []Authorizer

// Authorize implements Authorizer.
func (c Chain) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var reasons string
	for _, az := range c {
		d, reason, err := az.Authorize(ctx, a)
		if err != nil {
			return Deny, reason, err
		}
		if d != NoOpinion {
			return d, reason, nil
		}
		if reason != "" {
			reasons = reason
		}
	}
	return NoOpinion, reasons, nil
}

// AlwaysAllow allows everything (tests, single-user clusters).
var AlwaysAllow = AuthorizerFunc(func(context.Context, Attributes) (Decision, string, error) {
	return Allow, "", nil
})
