// Package apitest keeps the controller packages' tests on the shared
// in-process API server of apiserver/apiservertest.
package apitest

import (
	"testing"
	"time"

	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

// Start runs an API server for the test's lifetime and returns its client.
func Start(t testing.TB) *client.Client { return apiservertest.Start(t) }

// Namespace creates namespace name if it is missing.
func Namespace(t testing.TB, c *client.Client, name string) { apiservertest.Namespace(t, c, name) }

// Eventually polls cond until it returns nil or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	apiservertest.Eventually(t, timeout, cond)
}
