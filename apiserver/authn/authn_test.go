package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/apiserver/certs"
)

func TestX509(t *testing.T) {
	ca, _ := certs.NewCA("ca")
	other, _ := certs.NewCA("other")
	good, _ := ca.IssueClient("alice", "devs")
	foreign, _ := other.IssueClient("mallory", GroupMasters)
	a := &X509{Roots: ca.Pool()}
	r := httptest.NewRequest("GET", "/", nil)
	if _, ok, err := a.Authenticate(r); ok || err != nil {
		t.Fatal("no TLS: not recognised, no error")
	}
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{good.Cert}}
	u, ok, err := a.Authenticate(r)
	if err != nil || !ok || u.Name != "alice" || !slices.Contains(u.Groups, "devs") {
		t.Fatalf("good cert: %+v %v %v", u, ok, err)
	}
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{foreign.Cert}}
	if _, _, err := a.Authenticate(r); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("foreign CA: %v", err)
	}
}

func TestStaticTokens(t *testing.T) {
	st, err := ParseTokens(strings.NewReader("# comment\nsecret1,admin,uid1,\"system:masters,ops\"\nsecret2,bob,uid2\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer secret1")
	u, ok, err := st.Authenticate(r)
	if !ok || err != nil || u.Name != "admin" || len(u.Groups) != 2 || u.Groups[1] != "ops" {
		t.Fatalf("token: %+v %v %v", u, ok, err)
	}
	r.Header.Set("Authorization", "Bearer nope")
	if _, ok, _ := st.Authenticate(r); ok {
		t.Fatal("unknown token must not authenticate")
	}
	for _, bad := range []string{"onlytoken\n", "t,,uid\n", "a,b,c\na,d,e\n", "\"unterminated\n"} {
		if _, err := ParseTokens(strings.NewReader(bad)); err == nil {
			t.Errorf("token file %q must be rejected", bad)
		}
	}
}

func TestServiceAccountTokens(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	deleted := false
	sa := NewServiceAccounts(key, ServiceAccountOptions{Lookup: func(_ context.Context, ns, name, uid string, pod *Ref) error {
		if deleted {
			return errors.New("service account deleted")
		}
		return nil
	}})
	tok, exp, err := sa.Issue(TokenRequest{Namespace: "team", Name: "builder", UID: "u-1", TTL: time.Hour, Pod: &Ref{Name: "p", UID: "pu"}})
	if err != nil || time.Until(exp) < 59*time.Minute {
		t.Fatal(err, exp)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	u, ok, err := sa.Authenticate(r)
	if err != nil || !ok || u.Name != "system:serviceaccount:team:builder" || !slices.Contains(u.Groups, "system:serviceaccounts:team") || u.Extra["authentication.kubernetes.io/pod-name"][0] != "p" {
		t.Fatalf("token: %+v %v %v", u, ok, err)
	}
	// Tampered payload, another key, expiry, revocation.
	parts := strings.Split(tok, ".")
	r.Header.Set("Authorization", "Bearer "+parts[0]+"."+parts[1]+"x."+parts[2])
	if _, _, err := sa.Authenticate(r); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("tampered: %v", err)
	}
	key2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other := NewServiceAccounts(key2, ServiceAccountOptions{})
	if _, err := other.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("other key: %v", err)
	}
	sa.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := sa.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("expired: %v", err)
	}
	sa.now = time.Now
	deleted = true
	if _, err := sa.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("deleted account: %v", err)
	}
	// Key persistence.
	path := filepath.Join(t.TempDir(), "sa.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reloaded key differs: %v", err)
	}
}

func TestUnion(t *testing.T) {
	st, _ := ParseTokens(strings.NewReader("tok,carol,u3\n"))
	u := Union{&X509{}, st}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer tok")
	usr, ok, err := u.Authenticate(r)
	if !ok || err != nil || !slices.Contains(usr.Groups, GroupAuthenticated) {
		t.Fatalf("union: %+v %v %v", usr, ok, err)
	}
	r.Header.Del("Authorization")
	if _, ok, _ := u.Authenticate(r); ok {
		t.Fatal("no credentials: not authenticated")
	}
}

func TestHandshakeVerifiedTrustsOnlyVerifiedChains(t *testing.T) {
	ca, _ := certs.NewCA("ca")
	other, _ := certs.NewCA("other")
	foreign, _ := other.IssueClient("mallory", GroupMasters)
	a := HandshakeVerified(ca.Pool())
	r := httptest.NewRequest("GET", "/", nil)
	// Without VerifiedChains (the handshake did not verify), it verifies.
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{foreign.Cert}}
	if _, _, err := a.Authenticate(r); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("unverified foreign cert: %v", err)
	}
	good, _ := ca.IssueClient("alice")
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{good.Cert}, VerifiedChains: [][]*x509.Certificate{{good.Cert, ca.Cert}}}
	if u, ok, err := a.Authenticate(r); err != nil || !ok || u.Name != "alice" {
		t.Fatalf("handshake-verified cert: %+v %v %v", u, ok, err)
	}
}
