package authn

import (
	"crypto/x509"
	"fmt"
	"net/http"
)

// X509 authenticates requests by their verified TLS client certificate:
// the user is the subject's common name, the groups its organizations, as
// Kubernetes reads them.
type X509 struct {
	// Roots is the pool of CAs that sign client certificates.
	Roots *x509.CertPool
}

// Authenticate implements Authenticator.
func (a *X509) Authenticate(r *http.Request) (*User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: a.Roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, false, fmt.Errorf("%w: client certificate: %v", ErrInvalidCredentials, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, fmt.Errorf("%w: client certificate without a common name", ErrInvalidCredentials)
	}
	return &User{Name: leaf.Subject.CommonName, Groups: append([]string(nil), leaf.Subject.Organization...)}, true, nil
}
