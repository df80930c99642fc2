package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
)

// Config says how to reach and authenticate to an API server.
type Config struct {
	// Host is the server's base URL, e.g. "https://127.0.0.1:6443".
	Host string
	// CAData is the PEM bundle that signs the server's certificate; empty
	// uses the system roots.
	CAData []byte
	// CertData and KeyData are a PEM client certificate and key.
	CertData, KeyData []byte
	// BearerToken authenticates with "Authorization: Bearer".
	BearerToken string
	// Insecure skips server certificate verification (tests only).
	Insecure bool
	// Namespace is the default namespace of a kubeconfig context.
	Namespace string
	// QPS and Burst limit the request rate (defaults 50 and 100; a
	// negative QPS disables limiting).
	QPS   float64
	Burst int
	// Timeout bounds each non-watch request (default 60s).
	Timeout time.Duration
	// MaxRetries bounds retries of 429 and 5xx answers (default 10).
	MaxRetries int
	// UserAgent identifies the client (default "longshore").
	UserAgent string
	// Scheme maps Go types to kinds for For and typed informers; nil is
	// api.Builtin(). Register custom resource types in a scheme of your own
	// (api.NewBuiltinScheme, then AddKinds) to get typed clients for them.
	Scheme *api.Scheme
	// Transport, if set, replaces the HTTP transport built from the TLS
	// fields (tests, custom dialers).
	Transport http.RoundTripper
	// Logger receives retry diagnostics. Default: discard.
	Logger *slog.Logger
}

// Client talks to one API server. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL
	http     *http.Client
	streamer *http.Client // no timeout, for watches and logs
	limiter  *rate.Limiter
	scheme   *api.Scheme
	log      *slog.Logger
}

// New returns a Client for cfg.
func New(cfg *Config) (*Client, error) {
	if cfg == nil || cfg.Host == "" {
		return nil, errors.New("client: Config.Host is required")
	}
	c := &Client{cfg: *cfg, scheme: api.Builtin()}
	if cfg.Scheme != nil {
		c.scheme = cfg.Scheme
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.Host, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("client: invalid host %q", cfg.Host)
	}
	c.base = u
	if c.cfg.QPS == 0 {
		c.cfg.QPS = 50
	}
	if c.cfg.Burst <= 0 {
		c.cfg.Burst = 100
	}
	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = 60 * time.Second
	}
	if c.cfg.MaxRetries == 0 {
		c.cfg.MaxRetries = 10
	}
	if c.cfg.UserAgent == "" {
		c.cfg.UserAgent = "longshore"
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.cfg.QPS > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(c.cfg.QPS), c.cfg.Burst)
	}
	rt := cfg.Transport
	if rt == nil {
		tlsCfg, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		rt = &http.Transport{
			TLSClientConfig:     tlsCfg,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	}
	c.http = &http.Client{Transport: rt, Timeout: c.cfg.Timeout}
	c.streamer = &http.Client{Transport: rt}
	return c, nil
}

func (c *Client) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: c.cfg.Insecure, MinVersion: tls.VersionTLS12}
	if len(c.cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.cfg.CAData) {
			return nil, errors.New("client: no certificate in CAData")
		}
		tc.RootCAs = pool
	}
	if len(c.cfg.CertData) > 0 || len(c.cfg.KeyData) > 0 {
		cert, err := tls.X509KeyPair(c.cfg.CertData, c.cfg.KeyData)
		if err != nil {
			return nil, fmt.Errorf("client: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Config returns a copy of the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Scheme returns the scheme the client maps Go types with.
func (c *Client) Scheme() *api.Scheme { return c.scheme }

// Request is one HTTP call to the API.
type Request struct {
	Method      string
	Path        string // absolute API path, e.g. /api/v1/namespaces/x/pods
	Query       url.Values
	Body        []byte
	ContentType string // default application/json when Body is set
	Accept      string // default application/json
}

// Response is a successful answer.
type Response struct {
	StatusCode int
	Body       []byte
	Header     http.Header
}

// Warnings returns the Warning headers of the response (e.g. unknown fields
// under fieldValidation=Warn).
func (r *Response) Warnings() []string {
	var out []string
	for _, w := range r.Header.Values("Warning") {
		// "299 - "text""
		if i := strings.Index(w, `"`); i >= 0 {
			if s, err := strconv.Unquote(w[i:]); err == nil {
				out = append(out, s)
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

func (c *Client) newHTTPRequest(ctx context.Context, r *Request) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + r.Path
	if len(r.Query) > 0 {
		u.RawQuery = r.Query.Encode()
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	accept := r.Accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if r.Body != nil {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	}
	return req, nil
}

// Do sends r, waiting for the rate limiter, and retries answers 429 and
// 5xx (honouring Retry-After) and, for reads, connection failures, with
// exponential back-off. A non-2xx answer is returned as an *apierror.Error.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, err
			}
		}
		req, err := c.newHTTPRequest(ctx, r)
		if err != nil {
			return nil, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if r.Method == http.MethodGet && attempt < c.cfg.MaxRetries {
				c.log.Debug("retrying after connection error", "path", r.Path, "err", err)
				if !sleep(ctx, jitter(backoff)) {
					return nil, ctx.Err()
				}
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			return nil, fmt.Errorf("client: %s %s: %w", r.Method, r.Path, err)
		}
		var buf bytes.Buffer
		if n := resp.ContentLength; n > 0 && n < 64<<20 {
			buf.Grow(int(n) + bytes.MinRead) // one allocation, none to grow
		}
		_, err = buf.ReadFrom(resp.Body)
		data := buf.Bytes()
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("client: reading %s %s: %w", r.Method, r.Path, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return &Response{StatusCode: resp.StatusCode, Body: data, Header: resp.Header}, nil
		}
		apiErr := decodeError(resp.StatusCode, data)
		retryable := resp.StatusCode == http.StatusTooManyRequests ||
			(resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && (r.Method == http.MethodGet || resp.Header.Get("Retry-After") != ""))
		if retryable && attempt < c.cfg.MaxRetries {
			wait := jitter(backoff)
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			c.log.Debug("retrying", "path", r.Path, "code", resp.StatusCode, "wait", wait)
			if !sleep(ctx, wait) {
				return nil, ctx.Err()
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		return nil, apiErr
	}
}

func jitter(d time.Duration) time.Duration { return d + time.Duration(rand.Int64N(int64(d)/2+1)) }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// decodeError turns an error answer into an *apierror.Error, building a
// Status from the code when the body is not one.
func decodeError(code int, data []byte) error {
	var st meta.Status
	if err := json.Unmarshal(data, &st); err == nil && st.Kind == "Status" {
		if st.Code == 0 {
			st.Code = int32(code)
		}
		return apierror.FromStatus(st)
	}
	msg := strings.TrimSpace(string(data))
	if msg == "" {
		msg = http.StatusText(code)
	}
	reason := map[int]meta.StatusReason{
		400: meta.StatusReasonBadRequest, 401: meta.StatusReasonUnauthorized, 403: meta.StatusReasonForbidden,
		404: meta.StatusReasonNotFound, 405: meta.StatusReasonMethodNotAllowed, 409: meta.StatusReasonConflict,
		410: meta.StatusReasonExpired, 413: meta.StatusReasonRequestEntityTooLarge, 415: meta.StatusReasonUnsupportedMediaType,
		422: meta.StatusReasonInvalid, 429: meta.StatusReasonTooManyRequests, 500: meta.StatusReasonInternalError,
		503: meta.StatusReasonServiceUnavailable, 504: meta.StatusReasonTimeout,
	}[code]
	return apierror.New(code, reason, msg, nil)
}

// stream opens a long-running GET (watch, logs) without the request
// timeout. The caller closes the body.
func (c *Client) openStream(ctx context.Context, r *Request) (*http.Response, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	req, err := c.newHTTPRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	resp, err := c.streamer.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", r.Method, r.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, decodeError(resp.StatusCode, data)
	}
	return resp, nil
}
