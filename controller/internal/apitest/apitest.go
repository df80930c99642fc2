// Package apitest starts an in-process API server on a memory store for
// the tests of the controller packages.
package apitest

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

// Start runs an API server for the test's lifetime and returns a client
// of it (rate limiting off). The server is stopped in t.Cleanup.
func Start(t testing.TB) *client.Client {
	t.Helper()
	st := memory.New(nil)
	t.Cleanup(func() { st.Close() })
	s, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Namespace creates namespace name (if missing).
func Namespace(t testing.TB, c *client.Client, name string) {
	t.Helper()
	_, err := client.MustFor[*core.Namespace](c).Create(context.Background(),
		&core.Namespace{ObjectMeta: meta.ObjectMeta{Name: name}}, client.WriteOptions{})
	if err != nil && !apierror.IsAlreadyExists(err) {
		t.Fatal(err)
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
