package authn

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// ServiceAccountIssuer is the default "iss" claim of service account
// tokens.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// ServiceAccountUsername returns "system:serviceaccount:<ns>:<name>".
func ServiceAccountUsername(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Claims are the claims of a service account token (Kubernetes' bound
// token format).
type Claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	JTI       string   `json:"jti,omitempty"`
	K8s       struct {
		Namespace      string `json:"namespace"`
		ServiceAccount Ref    `json:"serviceaccount"`
		Pod            *Ref   `json:"pod,omitempty"`
		Node           *Ref   `json:"node,omitempty"`
	} `json:"kubernetes.io"`
}

// Ref names an object a token is bound to.
type Ref struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// ServiceAccountLookup reports whether the service account (and the pod,
// when the token is bound to one) still exist with the given UIDs, so that
// deleting either revokes the token.
type ServiceAccountLookup func(ctx context.Context, namespace, name, uid string, pod *Ref) error

// ServiceAccounts issues and verifies service account tokens: JWTs signed
// with ES256 by the API server's key.
type ServiceAccounts struct {
	key      *ecdsa.PrivateKey
	kid      string
	issuer   string
	audience []string
	lookup   ServiceAccountLookup
	now      func() time.Time
}

// ServiceAccountOptions configure ServiceAccounts.
type ServiceAccountOptions struct {
	// Issuer defaults to ServiceAccountIssuer.
	Issuer string
	// Audiences accepted; default the issuer.
	Audiences []string
	// Lookup checks that the account (and pod) still exist; nil skips it.
	Lookup ServiceAccountLookup
}

// NewServiceAccounts returns an issuer and authenticator signing with key.
func NewServiceAccounts(key *ecdsa.PrivateKey, opts ServiceAccountOptions) *ServiceAccounts {
	if opts.Issuer == "" {
		opts.Issuer = ServiceAccountIssuer
	}
	if len(opts.Audiences) == 0 {
		opts.Audiences = []string{opts.Issuer}
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(der)
	return &ServiceAccounts{key: key, kid: base64.RawURLEncoding.EncodeToString(sum[:]), issuer: opts.Issuer,
		audience: opts.Audiences, lookup: opts.Lookup, now: time.Now}
}

// LoadOrCreateKey reads a PEM EC private key from path, creating one if
// the file does not exist.
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("authn: write key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("authn: read key: %w", err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("authn: %s holds no PEM key", path)
	}
	key, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("authn: %s: %w", path, err)
	}
	return key, nil
}

// TokenRequest describes a token to issue.
type TokenRequest struct {
	Namespace, Name, UID string
	Audiences            []string
	TTL                  time.Duration
	Pod                  *Ref
}

// Issue signs a token.
func (s *ServiceAccounts) Issue(req TokenRequest) (token string, expiry time.Time, err error) {
	if req.Namespace == "" || req.Name == "" {
		return "", time.Time{}, errors.New("authn: token request needs a namespace and a service account")
	}
	if req.TTL <= 0 {
		req.TTL = time.Hour
	}
	now := s.now()
	expiry = now.Add(req.TTL)
	var c Claims
	c.Issuer, c.Subject = s.issuer, ServiceAccountUsername(req.Namespace, req.Name)
	c.Audience = req.Audiences
	if len(c.Audience) == 0 {
		c.Audience = s.audience
	}
	c.IssuedAt, c.NotBefore, c.Expiry = now.Unix(), now.Unix(), expiry.Unix()
	c.K8s.Namespace = req.Namespace
	c.K8s.ServiceAccount = Ref{Name: req.Name, UID: req.UID}
	c.K8s.Pod = req.Pod
	var jti [12]byte
	rand.Read(jti[:])
	c.JTI = base64.RawURLEncoding.EncodeToString(jti[:])
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": s.kid, "typ": "JWT"})
	payload, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, err
	}
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	r, sg, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", time.Time{}, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), expiry, nil
}

// Verify checks a token's signature and claims and returns them.
func (s *ServiceAccounts) Verify(ctx context.Context, token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: malformed token", ErrInvalidCredentials)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "ES256" {
		return nil, fmt.Errorf("%w: unsupported token header", ErrInvalidCredentials)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, fmt.Errorf("%w: malformed signature", ErrInvalidCredentials)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&s.key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidCredentials)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: malformed claims", ErrInvalidCredentials)
	}
	var c Claims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, fmt.Errorf("%w: malformed claims", ErrInvalidCredentials)
	}
	now := s.now().Unix()
	switch {
	case c.Issuer != s.issuer:
		return nil, fmt.Errorf("%w: wrong issuer", ErrInvalidCredentials)
	case now >= c.Expiry:
		return nil, fmt.Errorf("%w: token expired", ErrInvalidCredentials)
	case c.NotBefore > now+60:
		return nil, fmt.Errorf("%w: token not yet valid", ErrInvalidCredentials)
	case !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(s.audience, a) }):
		return nil, fmt.Errorf("%w: token audience not accepted", ErrInvalidCredentials)
	case c.Subject != ServiceAccountUsername(c.K8s.Namespace, c.K8s.ServiceAccount.Name):
		return nil, fmt.Errorf("%w: subject does not match the service account", ErrInvalidCredentials)
	}
	if s.lookup != nil {
		if err := s.lookup(ctx, c.K8s.Namespace, c.K8s.ServiceAccount.Name, c.K8s.ServiceAccount.UID, c.K8s.Pod); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
		}
	}
	return &c, nil
}

// Authenticate implements Authenticator for bearer tokens that are JWTs.
func (s *ServiceAccounts) Authenticate(r *http.Request) (*User, bool, error) {
	tok, ok := bearer(r)
	if !ok || strings.Count(tok, ".") != 2 {
		return nil, false, nil
	}
	c, err := s.Verify(r.Context(), tok)
	if err != nil {
		return nil, false, err
	}
	u := &User{
		Name:   c.Subject,
		UID:    c.K8s.ServiceAccount.UID,
		Groups: []string{GroupServiceAccounts, GroupServiceAccounts + ":" + c.K8s.Namespace},
	}
	if c.K8s.Pod != nil {
		u.Extra = map[string][]string{"authentication.kubernetes.io/pod-name": {c.K8s.Pod.Name}, "authentication.kubernetes.io/pod-uid": {c.K8s.Pod.UID}}
	}
	return u, true, nil
}

// PublicKey returns the verification key (for a JWKS document).
func (s *ServiceAccounts) PublicKey() crypto.PublicKey { return &s.key.PublicKey }
