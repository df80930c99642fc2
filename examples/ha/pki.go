package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/certs"
)

// peerName is the common name of the certificates raft peers present to
// each other; a peer whose certificate is signed by the cluster CA under
// another name (an admin's client certificate, say) is refused.
const peerName = "system:longshore-raft-peer"

// initSharedPKI creates the PKI every member reads: the CA, the API
// server's serving certificate (for localhost and hosts) and the service
// account signing key. Creating it once, before any member starts, keeps
// members from racing to create different CAs in a shared directory.
func initSharedPKI(dir string, hosts []string) error {
	if _, err := certs.Ensure(dir, certs.ServingOptions{Hosts: hosts}); err != nil {
		return fmt.Errorf("create PKI: %w", err)
	}
	if _, err := authn.LoadOrCreateKey(filepath.Join(dir, "sa.key")); err != nil {
		return fmt.Errorf("create service account key: %w", err)
	}
	return nil
}

// checkSharedPKI fails with a clear message when dir was not initialized,
// rather than letting a member create a CA of its own that the others
// would not trust.
func checkSharedPKI(dir string) error {
	for _, f := range []string{certs.CACertFile, "sa.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("PKI directory %s has no %s: create it once with `ha -init-pki -pki %s` and share it with every member", dir, f, dir)
			}
			return err
		}
	}
	return nil
}

// peerTLS returns the mutual TLS configuration of raft traffic: a server
// certificate for host and a client certificate, both named peerName and
// signed by the shared CA, and a check that the other side is a peer too.
func peerTLS(pkiDir, host string) (*tls.Config, error) {
	ca, err := certs.LoadCA(pkiDir)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	var hosts []string
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		hosts = append(hosts, host)
	}
	srvPair, err := ca.IssueServing(certs.ServingOptions{CommonName: peerName, Hosts: hosts})
	if err != nil {
		return nil, fmt.Errorf("issue peer serving certificate: %w", err)
	}
	srv, err := srvPair.TLS()
	if err != nil {
		return nil, err
	}
	cliPair, err := ca.IssueClient(peerName)
	if err != nil {
		return nil, fmt.Errorf("issue peer client certificate: %w", err)
	}
	cli, err := cliPair.TLS()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{srv},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cli, nil
		},
		RootCAs:    ca.Pool(),
		ClientCAs:  ca.Pool(),
		ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS13,
		VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
			if len(chains) == 0 || len(chains[0]) == 0 || chains[0][0].Subject.CommonName != peerName {
				return fmt.Errorf("peer certificate is not a raft peer's (want CN %q)", peerName)
			}
			return nil
		},
	}, nil
}
