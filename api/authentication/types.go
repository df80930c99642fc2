// Package authentication holds the authentication.k8s.io/v1 types the
// API server and its clients exchange: TokenRequest, the body of a
// serviceaccounts/{name}/token request, which the kubelet sends to get the
// tokens of projected service account volumes.
package authentication

import "github.com/longshore/longshore/api/meta"

// TokenRequest asks for a token of a ServiceAccount; the server fills
// Status.
type TokenRequest struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            TokenRequestSpec   `json:"spec"`
	Status          TokenRequestStatus `json:"status"`
}

// TokenRequestSpec is what a token is for.
type TokenRequestSpec struct {
	// Audiences the token is valid for (the server's own when empty).
	Audiences []string `json:"audiences"`
	// ExpirationSeconds is the requested lifetime.
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
	// BoundObjectRef ties the token to an object (a Pod): it stops being
	// valid when the object is gone.
	BoundObjectRef *BoundObjectReference `json:"boundObjectRef,omitempty"`
}

// BoundObjectReference names the object a token is bound to.
type BoundObjectReference struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Name       string `json:"name,omitempty"`
	UID        string `json:"uid,omitempty"`
}

// TokenRequestStatus is the issued token.
type TokenRequestStatus struct {
	Token               string    `json:"token"`
	ExpirationTimestamp meta.Time `json:"expirationTimestamp"`
}

// GroupVersion is authentication.k8s.io/v1.
const GroupVersion = "authentication.k8s.io/v1"

// NewTokenRequest returns a TokenRequest with its apiVersion and kind set.
func NewTokenRequest() *TokenRequest {
	return &TokenRequest{TypeMeta: meta.TypeMeta{APIVersion: GroupVersion, Kind: "TokenRequest"}}
}
