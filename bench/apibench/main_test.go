package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the server process of -server-process,
// as the apibench binary is.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := runChild(spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "server process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func smallConfig(t testing.TB) config {
	t.Helper()
	return config{
		workloads: strings.Join(allWorkloads, ","), clients: 4, pods: 60, updates: 40,
		rate: 100, duration: 300 * time.Millisecond, lists: 3, pageSize: 25,
		watchers: 10, watchConns: 2, watchRate: 50, watchWrites: 15, watchPods: 3,
		dir: t.TempDir(), timeout: time.Minute,
	}
}

// TestWorkloads runs every workload small, over HTTPS and plain HTTP, with
// the server in process and in a process of its own, and checks the
// operation counts in the report.
func TestWorkloads(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		plain, serverProcess bool
	}{{"https", false, false}, {"http", true, false}, {"https-server-process", false, true}, {"http-server-process", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(t)
			c.plainHTTP, c.serverProcess = tc.plain, tc.serverProcess
			c.memprofile = t.TempDir() + "/heap.pprof"
			var out strings.Builder
			if err := run(context.Background(), c, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			want := map[string]string{
				"create pod":                         "60",
				"update (GET+PUT)":                   "40",
				"update (merge patch)":               "40",
				"paced merge patches":                "30",
				"list 60 pods (cache)":               "3",
				"list page limit=25 (store)":         "3", // 60 pods in pages of 25
				"watch delivery (10 watchers, pods)": "150",
			}
			for wl, n := range want {
				if got := column(out.String(), wl, 0); got != n {
					t.Errorf("%s: ops %q, want %q in:\n%s", wl, got, n, out.String())
				}
				if got := column(out.String(), wl, 1); got != "0" {
					t.Errorf("%s: errors %q, want 0", wl, got)
				}
			}
			if !strings.Contains(out.String(), "B per pod") {
				t.Errorf("no memory figure in:\n%s", out.String())
			}
			where := "in this process with its clients"
			if tc.serverProcess {
				where = "in a process of its own"
			}
			if !strings.Contains(out.String(), where) {
				t.Errorf("report does not say the server ran %s:\n%s", where, out.String())
			}
			if fi, err := os.Stat(c.memprofile); err != nil || fi.Size() == 0 {
				t.Errorf("heap profile: %v", err)
			}
		})
	}
}

// column returns field i after the workload name in the report row of wl.
func column(report, wl string, i int) string {
	for _, l := range strings.Split(report, "\n") {
		if rest, ok := strings.CutPrefix(l, wl+"  "); ok {
			f := strings.Fields(rest)
			if i < len(f) {
				return f[i]
			}
		}
	}
	return ""
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config)
	}{
		{"workload", func(c *config) { c.workloads = "create,scan" }},
		{"clients", func(c *config) { c.clients = 0 }},
		{"pods", func(c *config) { c.pods = -1 }},
		{"rate", func(c *config) { c.rate = 0 }},
		{"watchers", func(c *config) { c.watchers = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(t)
			tc.edit(&c)
			if err := run(context.Background(), c, &strings.Builder{}); err == nil {
				t.Fatal("run accepted a bad configuration")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	lat := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {99, 10}, {100, 10}, {10, 1}}
	for _, tc := range tests {
		if got := pct(lat, tc.p); got != tc.want {
			t.Errorf("pct(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if pct(nil, 50) != 0 {
		t.Error("pct of nothing is not 0")
	}
}
