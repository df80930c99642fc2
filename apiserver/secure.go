package apiserver

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/longshore/longshore/api/authentication"
	"net/http"
	"path/filepath"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/apiserver/client"
)

// SecureOptions configure NewSecure.
type SecureOptions struct {
	// PKIDir holds the CA, the serving certificate and the service account
	// signing key; missing files are created on first start.
	PKIDir string
	// Hosts are extra names and addresses for the serving certificate.
	Hosts []string
	// TokenFile, if set, is a static token file (token,user,uid,"groups").
	TokenFile string
}

// Secure is the security set-up of a server: its PKI, TLS configuration
// and service account token issuer.
type Secure struct {
	Bundle          *certs.Bundle
	TLS             *tls.Config
	ServiceAccounts *authn.ServiceAccounts
}

// NewSecure returns a server with HTTPS and authentication wired the way
// Kubernetes does it: client certificates signed by the cluster CA, bearer
// tokens from a token file, and service account tokens signed by the
// server (valid only while their ServiceAccount, and pod if bound, exist).
// Authorization defaults to RBAC.
func NewSecure(cfg Config, opts SecureOptions) (*Server, *Secure, error) {
	if opts.PKIDir == "" {
		return nil, nil, errors.New("apiserver: SecureOptions.PKIDir is required")
	}
	bundle, err := certs.Ensure(opts.PKIDir, certs.ServingOptions{Hosts: opts.Hosts})
	if err != nil {
		return nil, nil, err
	}
	key, err := authn.LoadOrCreateKey(filepath.Join(opts.PKIDir, "sa.key"))
	if err != nil {
		return nil, nil, err
	}
	var srv *Server
	sa := authn.NewServiceAccounts(key, authn.ServiceAccountOptions{
		Lookup: func(ctx context.Context, ns, name, uid string, pod *authn.Ref) error {
			return srv.checkServiceAccount(ctx, ns, name, uid, pod)
		},
	})
	// The TLS configuration below verifies client certificates against the
	// same CA, so the authenticator can trust the handshake's result.
	chain := authn.Union{authn.HandshakeVerified(bundle.CA.Pool())}
	if opts.TokenFile != "" {
		tokens, err := authn.LoadTokenFile(opts.TokenFile)
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, tokens)
	}
	chain = append(chain, sa)
	cfg.Authenticator = chain
	if cfg.RootCAData == nil {
		cfg.RootCAData = bundle.CA.CertPEM
	}
	if cfg.Authorization == "" && cfg.Authorizer == nil {
		cfg.Authorization = "RBAC"
	}
	if cfg.KubeletTLS == nil {
		apiClient, err := bundle.CA.IssueClient(UserKubeletClient, "system:masters")
		if err != nil {
			return nil, nil, err
		}
		kc, err := apiClient.TLS()
		if err != nil {
			return nil, nil, err
		}
		cfg.KubeletTLS = &tls.Config{Certificates: []tls.Certificate{kc}, RootCAs: bundle.CA.Pool(), MinVersion: tls.VersionTLS12}
	}
	srv, err = New(cfg)
	if err != nil {
		return nil, nil, err
	}
	srv.tokens = sa
	serving, err := bundle.Serving.TLS()
	if err != nil {
		return nil, nil, err
	}
	tlsCfg := &tls.Config{
		Certificates: []tls.Certificate{serving},
		ClientCAs:    bundle.CA.Pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	return srv, &Secure{Bundle: bundle, TLS: tlsCfg, ServiceAccounts: sa}, nil
}

// UserKubeletClient is the identity the API server uses towards kubelets.
const UserKubeletClient = "system:apiserver-kubelet-client"

// ClientConfig returns a client configuration for host authenticated by a
// new certificate for user and groups, signed by the cluster CA.
func (sec *Secure) ClientConfig(host, user string, groups ...string) (*client.Config, error) {
	pair, err := sec.Bundle.CA.IssueClient(user, groups...)
	if err != nil {
		return nil, err
	}
	return &client.Config{Host: host, CAData: sec.Bundle.CA.CertPEM, CertData: pair.CertPEM, KeyData: pair.KeyPEM}, nil
}

// WriteKubeconfig writes a kubeconfig for user at path (the admin one is
// user "longshore-admin" in group system:masters).
func (sec *Secure) WriteKubeconfig(path, host, user string, groups ...string) error {
	cfg, err := sec.ClientConfig(host, user, groups...)
	if err != nil {
		return err
	}
	cfg.Namespace = "default"
	return client.NewKubeconfig("longshore", cfg).Write(path)
}

// checkServiceAccount verifies that a token's service account (and pod)
// still exist with the UIDs it was issued for.
func (s *Server) checkServiceAccount(ctx context.Context, ns, name, uid string, pod *authn.Ref) error {
	if s == nil {
		return errors.New("server not started")
	}
	e, err := s.getObject(ctx, meta.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, ns, name)
	if err != nil {
		return fmt.Errorf("service account %s/%s: %w", ns, name, err)
	}
	sa, err := objectOf[meta.Object](e)
	if err != nil {
		return err
	}
	if uid != "" && sa.GetObjectMeta().UID != uid {
		return fmt.Errorf("service account %s/%s was recreated", ns, name)
	}
	if pod != nil {
		pe, err := s.getObject(ctx, meta.GroupVersionResource{Version: "v1", Resource: "pods"}, ns, pod.Name)
		if err != nil {
			return fmt.Errorf("pod %s/%s: %w", ns, pod.Name, err)
		}
		p, err := objectOf[meta.Object](pe)
		if err != nil {
			return err
		}
		if p.GetObjectMeta().UID != pod.UID {
			return fmt.Errorf("pod %s/%s was recreated", ns, pod.Name)
		}
	}
	return nil
}

// handleTokenRequest issues a service account token (what the kubelet asks
// for to fill projected token volumes).
func (s *Server) handleTokenRequest(w http.ResponseWriter, r *http.Request, info *RequestInfo) error {
	if s.tokens == nil {
		return apierror.NewServiceUnavailable("service account tokens are not configured on this server")
	}
	if info.Verb != "create" {
		return apierror.NewMethodNotAllowed("only POST is supported on serviceaccounts/token")
	}
	body, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	var tr authentication.TokenRequest
	if err := json.Unmarshal(body, &tr); err != nil {
		return apierror.NewBadRequest(fmt.Sprintf("invalid TokenRequest: %v", err))
	}
	e, err := s.getObject(r.Context(), meta.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, info.Namespace, info.Name)
	if err != nil {
		return err
	}
	ttl := time.Hour
	if tr.Spec.ExpirationSeconds != nil {
		if *tr.Spec.ExpirationSeconds < 600 || *tr.Spec.ExpirationSeconds > 1<<32 {
			return apierror.NewInvalid("TokenRequest", "authentication.k8s.io", info.Name, []meta.StatusCause{{
				Type: meta.CauseTypeFieldValueInvalid, Field: "spec.expirationSeconds", Message: "may not specify a duration less than 10 minutes or longer than 2^32 seconds"}})
		}
		ttl = time.Duration(*tr.Spec.ExpirationSeconds) * time.Second
	}
	sa, err := objectOf[meta.Object](e)
	if err != nil {
		return err
	}
	req := authn.TokenRequest{Namespace: info.Namespace, Name: info.Name, UID: sa.GetObjectMeta().UID, Audiences: tr.Spec.Audiences, TTL: ttl}
	if b := tr.Spec.BoundObjectRef; b != nil {
		if b.Kind != "Pod" {
			return apierror.NewBadRequest("only pods can be bound to a token")
		}
		pe, err := s.getObject(r.Context(), meta.GroupVersionResource{Version: "v1", Resource: "pods"}, info.Namespace, b.Name)
		if err != nil {
			return err
		}
		pod, err := objectOf[*core.Pod](pe)
		if err != nil {
			return err
		}
		if b.UID != "" && b.UID != pod.UID {
			return apierror.NewConflict(apierror.GroupResource{Resource: "pods"}, b.Name, errors.New("the UID in the bound object reference does not match"))
		}
		req.Pod = &authn.Ref{Name: pod.Name, UID: pod.UID}
	}
	tok, exp, err := s.tokens.Issue(req)
	if err != nil {
		return apierror.NewInternal(err)
	}
	tr.TypeMeta = authentication.NewTokenRequest().TypeMeta
	tr.Name, tr.Namespace = info.Name, info.Namespace
	tr.Status.Token, tr.Status.ExpirationTimestamp = tok, meta.NewTime(exp.UTC().Truncate(time.Second))
	writeJSON(w, r, http.StatusCreated, tr)
	return nil
}
