package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEnsureCreatesThenReuses(t *testing.T) {
	dir := t.TempDir()
	b1, err := Ensure(dir, ServingOptions{Hosts: []string{"apiserver.example", "192.0.2.10"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{CACertFile, CAKeyFile, ServingCertFile, ServingKeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s not written: %v", f, err)
		}
		if filepath.Ext(f) == ".key" && st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1", "apiserver.example", "192.0.2.10"} {
		if err := b1.Serving.Cert.VerifyHostname(h); err != nil {
			t.Errorf("serving cert does not cover %s: %v", h, err)
		}
	}
	b2, err := Ensure(dir, ServingOptions{Hosts: []string{"apiserver.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if !b2.CA.Cert.Equal(b1.CA.Cert) || !b2.Serving.Cert.Equal(b1.Serving.Cert) {
		t.Fatal("second Ensure must reuse the existing CA and serving certificate")
	}
	// A new host forces a new serving certificate from the same CA.
	b3, err := Ensure(dir, ServingOptions{Hosts: []string{"other.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if !b3.CA.Cert.Equal(b1.CA.Cert) {
		t.Fatal("CA must be kept")
	}
	if b3.Serving.Cert.Equal(b1.Serving.Cert) || b3.Serving.Cert.VerifyHostname("other.example") != nil {
		t.Fatal("serving certificate must be reissued for a new host")
	}
}

func TestEnsureRejectsCorruptCA(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir, ServingOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CACertFile), []byte("not pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(dir, ServingOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("corrupt CA: got %v, want ErrInvalid", err)
	}
}

func TestClientCertificateSubject(t *testing.T) {
	ca, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.IssueClient("alice", "system:masters", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if p.Cert.Subject.CommonName != "alice" || !slices.Contains(p.Cert.Subject.Organization, "dev") ||
		!slices.Contains(p.Cert.Subject.Organization, "system:masters") || len(p.Cert.Subject.Organization) != 2 {
		t.Fatalf("subject = %+v", p.Cert.Subject)
	}
	if err := ca.Verify(p, x509.ExtKeyUsageClientAuth); err != nil {
		t.Fatal(err)
	}
	if err := ca.Verify(p, x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("a client certificate must not verify for server auth")
	}
	other, _ := NewCA("other")
	if err := other.Verify(p, x509.ExtKeyUsageClientAuth); !errors.Is(err, ErrInvalid) {
		t.Fatalf("foreign CA verify: %v", err)
	}
	if _, err := ca.IssueClient(""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty user: %v", err)
	}
}

// TestMutualTLS proves the material works end to end in crypto/tls: the
// client trusts the serving cert through the CA, and the server sees the
// client's user and groups.
func TestMutualTLS(t *testing.T) {
	b, err := Ensure(t.TempDir(), ServingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client, err := b.CA.IssueClient("admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := b.Serving.TLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientCAs:    b.CA.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.TLS.PeerCertificates[0]
		io.WriteString(w, c.Subject.CommonName+"/"+c.Subject.Organization[0])
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	cc, err := client.TLS()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.CA.Pool(), Certificates: []tls.Certificate{cc}}}}
	resp, err := hc.Get("https://" + net.JoinHostPort("localhost", portOf(t, ln.Addr())))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "admin/system:masters" {
		t.Fatalf("server saw %q", body)
	}
}

func portOf(t *testing.T, a net.Addr) string {
	t.Helper()
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseCertsPEM(t *testing.T) {
	ca, _ := NewCA("x")
	certs, err := ParseCertsPEM(append(append([]byte{}, ca.CertPEM...), ca.CertPEM...))
	if err != nil || len(certs) != 2 {
		t.Fatalf("got %d certs, err %v", len(certs), err)
	}
	if _, err := ParseCertsPEM([]byte("junk")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("junk: %v", err)
	}
}
