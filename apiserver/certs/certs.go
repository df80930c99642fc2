// Package certs creates and loads the API server's PKI: a certificate
// authority, the serving certificate, and client certificates (the admin's,
// the kubelets', the controllers'), stored as PEM files in one directory.
//
// On first start the API server calls Ensure: files that exist are loaded and
// checked, missing ones are created. Keys are ECDSA P-256. A client
// certificate's subject carries the user (CommonName) and groups
// (Organization), as Kubernetes' x509 authenticator reads them.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File names inside the PKI directory.
const (
	CACertFile      = "ca.crt"
	CAKeyFile       = "ca.key"
	ServingCertFile = "apiserver.crt"
	ServingKeyFile  = "apiserver.key"
)

// Validity periods of what Ensure creates.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	LeafValidity = 365 * 24 * time.Hour
)

// ErrInvalid is returned for unusable PKI material: unreadable PEM, a key
// that does not match its certificate, a certificate not signed by the CA.
var ErrInvalid = errors.New("certs: invalid PKI material")

// CA is a certificate authority able to sign leaf certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
}

// Pair is a leaf certificate with its key, in PEM and parsed forms.
type Pair struct {
	CertPEM, KeyPEM []byte
	Cert            *x509.Certificate
}

// TLS returns the pair as a tls.Certificate.
func (p *Pair) TLS() (tls.Certificate, error) {
	c, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return c, nil
}

// Pool returns a cert pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// NewCA creates a self-signed CA with the given common name.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA: %w", err)
	}
	return &CA{Cert: cert, Key: key, CertPEM: encodeCert(der)}, nil
}

// ServingOptions describe a serving certificate.
type ServingOptions struct {
	// CommonName defaults to "longshore-apiserver".
	CommonName string
	// Hosts are DNS names and IP addresses to put in the SANs. localhost,
	// 127.0.0.1 and ::1 are always added.
	Hosts []string
}

// IssueServing signs a server certificate for the given hosts.
func (ca *CA) IssueServing(opts ServingOptions) (*Pair, error) {
	cn := opts.CommonName
	if cn == "" {
		cn = "longshore-apiserver"
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, opts.Hosts...) {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if h != "" && !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl)
}

// IssueClient signs a client certificate for user, member of groups.
func (ca *CA) IssueClient(user string, groups ...string) (*Pair, error) {
	if user == "" {
		return nil, fmt.Errorf("%w: empty user name", ErrInvalid)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: groups},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.issue(tmpl)
}

func (ca *CA) issue(tmpl *x509.Certificate) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(LeafValidity)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return &Pair{
		CertPEM: encodeCert(der),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		Cert:    cert,
	}, nil
}

// Bundle is the PKI the API server runs with.
type Bundle struct {
	Dir     string
	CA      *CA
	Serving *Pair
}

// Ensure loads the CA and serving certificate from dir, creating whichever
// is missing (and dir itself). An existing serving certificate that lacks one
// of opts.Hosts, or expires within 30 days, is reissued. Files are written
// with mode 0600 (keys) and 0644 (certificates).
func Ensure(dir string, opts ServingOptions) (*Bundle, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki dir: %w", err)
	}
	ca, err := LoadCA(dir)
	if errors.Is(err, os.ErrNotExist) {
		if ca, err = NewCA("longshore-ca"); err != nil {
			return nil, err
		}
		if err := ca.Write(dir); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	serving, err := LoadPair(filepath.Join(dir, ServingCertFile), filepath.Join(dir, ServingKeyFile))
	if err == nil {
		err = ca.Verify(serving, x509.ExtKeyUsageServerAuth)
	}
	if err == nil && !covers(serving.Cert, opts.Hosts) {
		err = fmt.Errorf("%w: serving certificate lacks a requested host", ErrInvalid)
	}
	if err == nil && time.Until(serving.Cert.NotAfter) < 30*24*time.Hour {
		err = fmt.Errorf("%w: serving certificate expires soon", ErrInvalid)
	}
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrInvalid) {
			return nil, err
		}
		if serving, err = ca.IssueServing(opts); err != nil {
			return nil, err
		}
		if err := serving.Write(filepath.Join(dir, ServingCertFile), filepath.Join(dir, ServingKeyFile)); err != nil {
			return nil, err
		}
	}
	return &Bundle{Dir: dir, CA: ca, Serving: serving}, nil
}

// Verify checks that p was signed by ca for the given usage and is valid now.
func (ca *CA) Verify(p *Pair, usage x509.ExtKeyUsage) error {
	_, err := p.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// Write stores the CA certificate and key in dir.
func (ca *CA) Write(dir string) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return fmt.Errorf("marshal CA key: %w", err)
	}
	if err := writeFile(filepath.Join(dir, CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, CACertFile), ca.CertPEM, 0o644)
}

// Write stores the pair at the given paths.
func (p *Pair) Write(certPath, keyPath string) error {
	if err := writeFile(keyPath, p.KeyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(certPath, p.CertPEM, 0o644)
}

// LoadCA reads the CA from dir. A missing file gives an error wrapping
// os.ErrNotExist.
func LoadCA(dir string) (*CA, error) {
	p, err := LoadPair(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	if !p.Cert.IsCA {
		return nil, fmt.Errorf("%w: %s is not a CA certificate", ErrInvalid, filepath.Join(dir, CACertFile))
	}
	tc, err := p.TLS()
	if err != nil {
		return nil, err
	}
	signer, ok := tc.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: CA key cannot sign", ErrInvalid)
	}
	return &CA{Cert: p.Cert, Key: signer, CertPEM: p.CertPEM}, nil
}

// LoadPair reads a certificate and its key and checks that they match.
func LoadPair(certPath, keyPath string) (*Pair, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	p := &Pair{CertPEM: certPEM, KeyPEM: keyPEM}
	tc, err := p.TLS()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	if p.Cert, err = x509.ParseCertificate(tc.Certificate[0]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, certPath, err)
	}
	return p, nil
}

// ParseCertsPEM parses every certificate in a PEM bundle.
func ParseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no certificate in PEM data", ErrInvalid)
	}
	return out, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on Linux; a time-based serial keeps
		// certificates distinct if it ever does.
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}
