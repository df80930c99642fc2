// Package authn authenticates API requests: it turns a request's client
// certificate or bearer token into a User.
package authn

import (
	"context"
	"errors"
	"net/http"
)

// Well-known users and groups, as Kubernetes names them.
const (
	// GroupMasters is the admin group: RBAC allows it everything.
	GroupMasters = "system:masters"
	// GroupAuthenticated is added to every authenticated user.
	GroupAuthenticated = "system:authenticated"
	// GroupUnauthenticated is the group of the anonymous user.
	GroupUnauthenticated = "system:unauthenticated"
	// UserAnonymous is the name of the anonymous user.
	UserAnonymous = "system:anonymous"
	// GroupServiceAccounts is the group of every service account.
	GroupServiceAccounts = "system:serviceaccounts"
	// GroupNodes is the group of kubelets.
	GroupNodes = "system:nodes"
)

// User is an authenticated identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// ErrInvalidCredentials: the request carried credentials that are not
// valid (bad token, expired or foreign certificate). The server answers 401.
var ErrInvalidCredentials = errors.New("authn: invalid credentials")

// Authenticator authenticates one request. It returns ok=false when the
// request carries no credentials it understands (the next authenticator is
// tried), and an error wrapping ErrInvalidCredentials when it carries
// credentials of its kind that are not valid. Implementations are safe for
// concurrent use.
type Authenticator interface {
	Authenticate(r *http.Request) (u *User, ok bool, err error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(r *http.Request) (*User, bool, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*User, bool, error) { return f(r) }

// Union tries each authenticator in order; the first that recognises the
// credentials decides. The authenticated user gets system:authenticated
// added to its groups.
type Union []Authenticator

// Authenticate implements Authenticator.
func (u Union) Authenticate(r *http.Request) (*User, bool, error) {
	for _, a := range u {
		usr, ok, err := a.Authenticate(r)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out := *usr
			has := false
			for _, g := range out.Groups {
				if g == GroupAuthenticated {
					has = true
				}
			}
			if !has && out.Name != UserAnonymous {
				out.Groups = append(append([]string(nil), out.Groups...), GroupAuthenticated)
			}
			return &out, true, nil
		}
	}
	return nil, false, nil
}

type userKey struct{}

// WithUser returns a context carrying u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user of a request context.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok
}
