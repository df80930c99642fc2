// Package apiservertest starts an in-process Longshore API server, on an
// in-memory store, for tests and runnable examples: the one way every
// package's tests get a real server to talk to.
package apiservertest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/store/memory"
)

// Server is a running in-process API server.
type Server struct {
	// API is the server itself.
	API *apiserver.Server
	// URL is its base URL (plain HTTP on loopback).
	URL string
	// Client talks to it as an administrator, without rate limits.
	Client *client.Client

	cancel context.CancelFunc
	http   *httptest.Server
	closer func() error
}

// New starts a server with cfg (nil: defaults; an unset Store is an
// in-memory one, closed with the server). Close stops it.
func New(cfg *apiserver.Config) (*Server, error) {
	var c apiserver.Config
	if cfg != nil {
		c = *cfg
	}
	closer := func() error { return nil }
	if c.Store == nil {
		st := memory.New(nil)
		c.Store, closer = st, st.Close
	}
	api, err := apiserver.New(c)
	if err != nil {
		closer()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := api.Start(ctx); err != nil {
		cancel()
		closer()
		return nil, err
	}
	hs := httptest.NewServer(api)
	cl, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		hs.Close()
		cancel()
		closer()
		return nil, err
	}
	return &Server{API: api, URL: hs.URL, Client: cl, cancel: cancel, http: hs, closer: closer}, nil
}

// Close stops the server and releases its store.
func (s *Server) Close() {
	s.http.Close()
	s.cancel()
	s.closer()
}

// Start runs a default server for the test's lifetime and returns its
// client; the server stops in t.Cleanup.
func Start(t testing.TB) *client.Client {
	t.Helper()
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s.Client
}

// Namespace creates namespace name if it is missing.
func Namespace(t testing.TB, c *client.Client, name string) {
	t.Helper()
	_, err := client.MustFor[*core.Namespace](c).Create(context.Background(),
		&core.Namespace{ObjectMeta: meta.ObjectMeta{Name: name}}, client.WriteOptions{})
	if err != nil && !apierror.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// Poll calls cond every 10 ms until it returns true or timeout passes, and
// reports whether it did; for examples, which have no testing.TB.
func Poll(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Eventually polls cond every 10 ms until it returns nil, failing the test
// with cond's last error after timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
