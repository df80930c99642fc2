// Package admission is the API server's admission chain: mutating plugins
// change an object before it is validated and stored, validating plugins
// may only accept or refuse it.
package admission

import (
	"context"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/authn"
)

// Operation is what a request does to an object.
type Operation string

// The operations admission sees.
const (
	Create  Operation = "CREATE"
	Update  Operation = "UPDATE"
	Delete  Operation = "DELETE"
	Connect Operation = "CONNECT"
)

// Attributes describe the request being admitted.
type Attributes struct {
	Operation   Operation
	Kind        meta.GroupVersionKind
	Resource    meta.GroupVersionResource
	Subresource string
	Namespace   string
	Name        string
	// Object is the new object (nil for Delete); mutating plugins may
	// change it in place.
	Object meta.Object
	// OldObject is the stored object (nil for Create).
	OldObject meta.Object
	User      *authn.User
	DryRun    bool
}

// Mutator may change the object. An error refuses the request; return an
// *apierror.Error to choose the status (403 Forbidden is the default).
type Mutator interface {
	Admit(ctx context.Context, a *Attributes) error
}

// Validator may only accept or refuse the request.
type Validator interface {
	Validate(ctx context.Context, a *Attributes) error
}

// Handles is an optional interface: a plugin that implements it is only
// called for the operations it reports.
type Handles interface {
	Handles(op Operation) bool
}

// Chain runs mutating plugins in order, then (after the server's own
// validation) validating ones.
type Chain struct {
	Mutators   []Mutator
	Validators []Validator
}

func handles(p any, op Operation) bool {
	if h, ok := p.(Handles); ok {
		return h.Handles(op)
	}
	return true
}

// Admit runs the mutating plugins.
func (c *Chain) Admit(ctx context.Context, a *Attributes) error {
	if c == nil {
		return nil
	}
	for _, m := range c.Mutators {
		if !handles(m, a.Operation) {
			continue
		}
		if err := m.Admit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// Validate runs the validating plugins.
func (c *Chain) Validate(ctx context.Context, a *Attributes) error {
	if c == nil {
		return nil
	}
	for _, v := range c.Validators {
		if !handles(v, a.Operation) {
			continue
		}
		if err := v.Validate(ctx, a); err != nil {
			return err
		}
	}
	return nil
}
