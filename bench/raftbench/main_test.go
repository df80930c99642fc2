package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/testenv"
)

func smallConfig(t *testing.T, workload, backends string) config {
	return config{clients: 8, ops: 200, valueSize: 64, workload: workload, backends: backends, timeout: 2 * time.Minute, dir: t.TempDir()}
}

// row returns the fields of backend's row in a report.
func row(report, backend string) []string {
	for _, l := range strings.Split(report, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == backend {
			return f
		}
	}
	return nil
}

func TestWorkloads(t *testing.T) {
	tests := []struct {
		workload, backends string
		etcd               bool
	}{
		{"put", "raft", false},
		{"mixed", "raft", false},
		{"put", "raft,etcd", true},
	}
	for _, tt := range tests {
		t.Run(tt.workload+"/"+tt.backends, func(t *testing.T) {
			if tt.etcd {
				testenv.Need(t, "etcd")
			}
			var out strings.Builder
			if err := run(smallConfig(t, tt.workload, tt.backends), &out); err != nil {
				t.Fatal(err)
			}
			for _, b := range strings.Split(tt.backends, ",") {
				f := row(out.String(), b)
				if f == nil || f[1] != "200" || f[2] != "0" {
					t.Fatalf("%s: row %q, want 200 ops and 0 errors in:\n%s", b, f, out.String())
				}
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config)
	}{
		{"workload", func(c *config) { c.workload = "scan" }},
		{"clients", func(c *config) { c.clients = 0 }},
		{"ops", func(c *config) { c.ops = 0 }},
		{"value", func(c *config) { c.valueSize = 0 }},
		{"backend", func(c *config) { c.backends = "mysql" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig(t, "put", "raft")
			tt.edit(&c)
			if err := run(c, &strings.Builder{}); err == nil {
				t.Fatal("run accepted a bad config")
			}
		})
	}
}

// countTarget records creates; it fails the create of key fail.
type countTarget struct {
	mu   sync.Mutex
	keys map[string]int
	fail string
}

func (c *countTarget) create(_ context.Context, _ int, key string, _ []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if key == c.fail {
		return errors.New("injected")
	}
	c.keys[key]++
	return nil
}
func (c *countTarget) put(context.Context, int, string, []byte) error { return nil }
func (c *countTarget) get(context.Context, int, string) error         { return nil }
func (c *countTarget) close()                                         {}

func TestPreload(t *testing.T) {
	tests := []struct {
		name    string
		clients int
		fail    string
	}{
		{"one client", 1, ""},
		{"many clients", 16, ""},
		{"error", 16, "/bench/m/0500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := &countTarget{keys: map[string]int{}, fail: tt.fail}
			err := preload(context.Background(), tt.clients, 1000, ct, []byte("v"))
			if tt.fail != "" {
				if err == nil {
					t.Fatal("preload hid a failed create")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ct.keys) != 1000 {
				t.Fatalf("%d keys created, want 1000", len(ct.keys))
			}
			for k, n := range ct.keys {
				if n != 1 {
					t.Fatalf("%s created %d times", k, n)
				}
			}
		})
	}
}
