package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/store/raft"
)

func TestParsePeers(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []raft.Peer
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"three", "m1=127.0.0.1:7001, m2=127.0.0.1:7002,m3=[::1]:7003",
			[]raft.Peer{{ID: "m1", Addr: "127.0.0.1:7001"}, {ID: "m2", Addr: "127.0.0.1:7002"}, {ID: "m3", Addr: "[::1]:7003"}}, ""},
		{"no equals", "m1", nil, "not id=host:port"},
		{"no id", "=127.0.0.1:1", nil, "not id=host:port"},
		{"no port", "m1=127.0.0.1", nil, "missing port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePeers(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parsePeers(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parsePeers(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRunBadInput(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no id", []string{"-pki", pki}, "-id is required"},
		{"bad peers", []string{"-id", "m1", "-peers", "m1", "-pki", pki}, "not id=host:port"},
		{"stray argument", []string{"-id", "m1", "extra"}, "unexpected arguments"},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"PKI not initialized", []string{"-id", "m1", "-pki", pki, "-data", t.TempDir()}, "-init-pki"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestInitPKI(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-init-pki", "-pki", pki, "-hosts", "10.0.0.1,cp.example"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := checkSharedPKI(pki); err != nil {
		t.Fatalf("after -init-pki: %v", err)
	}
	b, err := certs.LoadPair(filepath.Join(pki, certs.ServingCertFile), filepath.Join(pki, certs.ServingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"10.0.0.1", "cp.example", "127.0.0.1"} {
		if err := b.Cert.VerifyHostname(h); err != nil {
			t.Errorf("serving certificate does not cover %s: %v", h, err)
		}
	}
	ca, err := certs.LoadCA(pki)
	if err != nil {
		t.Fatal(err)
	}
	// A second run keeps the CA (members started later trust the same
	// one) and reissues the serving certificate for a new host.
	if err := initSharedPKI(pki, []string{"10.0.0.2"}); err != nil {
		t.Fatal(err)
	}
	again, err := certs.LoadCA(pki)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.CertPEM, again.CertPEM) {
		t.Error("a second -init-pki replaced the CA")
	}
	b, err = certs.LoadPair(filepath.Join(pki, certs.ServingCertFile), filepath.Join(pki, certs.ServingKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Cert.VerifyHostname("10.0.0.2"); err != nil {
		t.Errorf("second -init-pki -hosts 10.0.0.2: %v", err)
	}
}

// TestPeerTLS checks that raft peers accept each other and refuse a client
// with another certificate from the same CA (an admin's, say).
func TestPeerTLS(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	if err := initSharedPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	server, err := peerTLS(pki, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := peerTLS(pki, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.LoadCA(pki)
	if err != nil {
		t.Fatal(err)
	}
	adminPair, err := ca.IssueClient("longshore-admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := adminPair.TLS()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"peer", peer, true},
		{"admin certificate", &tls.Config{Certificates: []tls.Certificate{admin}, RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13}, false},
		{"no certificate", &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handshake(t, server, tt.client)
			if (err == nil) != tt.ok {
				t.Fatalf("handshake error = %v, want success %v", err, tt.ok)
			}
		})
	}
}

// handshake runs a TLS handshake between server and client configurations
// over loopback and returns the server side's error (or the client's).
func handshake(t testing.TB, server, client *tls.Config) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, server)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		err = tc.Handshake()
		if err == nil {
			// TLS 1.3 checks the client's certificate after the client's
			// handshake returns: read to see the server's verdict.
			_, err = tc.Write([]byte{1})
		}
		srvErr <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client = client.Clone()
	client.ServerName = "127.0.0.1" // as the raft transport sets it: the peer's host
	tc := tls.Client(c, client)
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	cliErr := tc.Handshake()
	if cliErr == nil {
		var b [1]byte
		_, cliErr = io.ReadFull(tc, b[:])
	}
	return errors.Join(<-srvErr, cliErr)
}
