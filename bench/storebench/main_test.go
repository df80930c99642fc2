package main

import (
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/testenv"
)

func smallConfig(workload, backends string) config {
	return config{
		clients: 4, ops: 200, keySize: 32, valueSize: 64, workload: workload,
		watchers: 10, rate: 2000, timeout: time.Minute, backends: backends, conns: 2,
	}
}

func TestWorkloadsAgainstBolt(t *testing.T) {
	for _, w := range []string{"put", "get", "mixed", "watch"} {
		t.Run(w, func(t *testing.T) {
			c := smallConfig(w, "bolt")
			c.dir = t.TempDir()
			var out strings.Builder
			if err := run(c, &out); err != nil {
				t.Fatal(err)
			}
			want := "200"
			if w == "watch" {
				want = "2000" // 10 watchers x 200 writes
			}
			if got := count(out.String(), "store/bolt"); got != want {
				t.Fatalf("count %q, want %q in:\n%s", got, want, out.String())
			}
		})
	}
}

// count returns the operations column of backend's row in a report.
func count(report, backend string) string {
	for _, l := range strings.Split(report, "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && f[0] == backend {
			return f[2] // name, "(fsync)", count
		}
	}
	return ""
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config)
	}{
		{"workload", func(c *config) { c.workload = "scan" }},
		{"clients", func(c *config) { c.clients = 0 }},
		{"key size", func(c *config) { c.keySize = 1 << 20 }},
		{"backend", func(c *config) { c.backends = "mysql" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig("put", "bolt")
			c.dir = t.TempDir()
			tc.edit(&c)
			if err := run(c, &strings.Builder{}); err == nil {
				t.Fatal("run accepted a bad configuration")
			}
		})
	}
}

// TestAgainstEtcd runs the side-by-side comparison on a tiny workload.
func TestAgainstEtcd(t *testing.T) {
	testenv.Need(t, "etcd")
	for _, w := range []string{"put", "watch"} {
		t.Run(w, func(t *testing.T) {
			c := smallConfig(w, "bolt,etcd")
			c.dir = t.TempDir()
			var out strings.Builder
			if err := run(c, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "etcd 3.4 (fsync)") || !strings.Contains(out.String(), "ratio") {
				t.Fatalf("report:\n%s", out.String())
			}
			t.Logf("\n%s", out.String())
		})
	}
}
