package raft

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// testTLS returns a mutual-TLS configuration for 127.0.0.1 signed by a
// fresh CA.
func testTLS(t testing.TB) *tls.Config {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "raft peer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}

func TestTLSCluster(t *testing.T) {
	conf := testTLS(t)
	c := newCluster(t, 3, func(cfg *Config) { cfg.TLS = conf })
	ctx := testCtx(t, 30*time.Second)
	f := c.node(c.follower())
	kv, err := f.Create(ctx, "/tls/a", []byte("secret"), 0)
	if err != nil {
		t.Fatalf("create through a TLS follower: %v", err)
	}
	for _, n := range c.up() {
		got, err := n.Get(ctx, "/tls/a", store.GetOptions{})
		if err != nil || got.ModRevision != kv.ModRevision {
			t.Fatalf("%s: get = %+v, %v", n.ID(), got, err)
		}
	}

	// A peer without a certificate is turned away.
	tests := []struct {
		name string
		conf *tls.Config
	}{
		{"plain TCP", nil},
		{"TLS without client certificate", &tls.Config{RootCAs: conf.RootCAs, MinVersion: tls.VersionTLS13}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMux(newNopListener(), tt.conf, nil)
			defer m.close()
			conn, err := m.dialProto(ctx, c.addrs[0], protoGRPC)
			if err == nil {
				// The handshake (or the protocol byte) may pass; the
				// server must then hang up without answering.
				_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				var b [1]byte
				_, err = conn.Read(b[:])
				conn.Close()
			}
			if err == nil {
				t.Fatal("the server answered a peer without a valid certificate")
			}
		})
	}
}

// nopListener is a listener that never accepts, for a dial-only mux.
type nopListener struct{ done chan struct{} }

func newNopListener() *nopListener { return &nopListener{done: make(chan struct{})} }

func (l *nopListener) Accept() (net.Conn, error) { <-l.done; return nil, net.ErrClosed }
func (l *nopListener) Close() error {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	return nil
}
func (l *nopListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
