package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
)

// waitCalls waits (bounded) until the fake backend has n calls.
func waitCalls(t *testing.T, f *proxytest.FakeBackend, n int) []proxytest.Call {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if c := f.Calls(); len(c) >= n {
			return c
		}
		select {
		case <-f.Called():
		case <-deadline:
			t.Fatalf("backend got %d calls, want %d: %+v", len(f.Calls()), n, f.Calls())
		}
	}
}

func startRunner(t *testing.T, tr *proxy.Tracker, b proxy.Backend, o *proxy.RunnerOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proxy.NewRunner(tr, b, o).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

func TestRunnerFullSyncThenCoalescedSyncs(t *testing.T) {
	tr, fake := proxy.NewTracker(nil), proxytest.NewFakeBackend()
	tr.OnServiceUpdate(nil, svc("a", "http"))
	startRunner(t, tr, fake, &proxy.RunnerOptions{MinSyncInterval: 300 * time.Millisecond})
	calls := waitCalls(t, fake, 1)
	if calls[0].Method != "FullSync" || calls[0].Services != 1 {
		t.Fatalf("first call %+v, want a FullSync with 1 service", calls[0])
	}
	// A burst inside the minimum interval becomes one Sync.
	for _, n := range []string{"b", "c", "d"} {
		tr.OnServiceUpdate(nil, svc(n, "http"))
	}
	calls = waitCalls(t, fake, 2)
	time.Sleep(400 * time.Millisecond)
	calls = fake.Calls()
	if len(calls) != 2 || calls[1].Method != "Sync" || len(calls[1].Changes.Added) != 3 {
		t.Fatalf("burst gave calls %+v, want one Sync adding 3 ports", calls)
	}
}

func TestRunnerRetriesWithFullSync(t *testing.T) {
	tr, fake := proxy.NewTracker(nil), proxytest.NewFakeBackend()
	fake.FailNext(nil, errors.New("netlink: busy"))
	reg := prometheus.NewRegistry()
	m, err := proxy.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	startRunner(t, tr, fake, &proxy.RunnerOptions{MinSyncInterval: time.Millisecond, RetryInterval: 50 * time.Millisecond, Metrics: m})
	waitCalls(t, fake, 1)
	tr.OnServiceUpdate(nil, svc("a", "http"))
	calls := waitCalls(t, fake, 3)
	if calls[1].Method != "Sync" || calls[2].Method != "FullSync" || calls[2].Services != 1 {
		t.Fatalf("calls %+v, want FullSync, a failing Sync, then a FullSync retry", calls)
	}
	// The metrics are recorded just after the backend returns: poll.
	var failures float64
	var histograms int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && histograms < 3; time.Sleep(10 * time.Millisecond) {
		failures, histograms = gather(t, reg)
	}
	if failures != 1 || histograms < 3 {
		t.Errorf("metrics: %v failures (want 1), %d sync observations (want >= 3)", failures, histograms)
	}
}

func gather(t *testing.T, reg *prometheus.Registry) (failures float64, histograms int) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch {
		case strings.HasSuffix(mf.GetName(), "sync_failures_total"):
			for _, m := range mf.GetMetric() {
				failures += m.GetCounter().GetValue()
			}
		case strings.HasSuffix(mf.GetName(), "sync_duration_seconds"):
			for _, m := range mf.GetMetric() {
				histograms += int(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return failures, histograms
}

func TestRunnerPeriodicFullSync(t *testing.T) {
	tr, fake := proxy.NewTracker(nil), proxytest.NewFakeBackend()
	startRunner(t, tr, fake, &proxy.RunnerOptions{FullSyncInterval: 100 * time.Millisecond})
	calls := waitCalls(t, fake, 3)
	for _, c := range calls {
		if c.Method != "FullSync" {
			t.Fatalf("idle runner made %+v, want only periodic FullSyncs", calls)
		}
	}
}

func TestMetricsRegisterTwiceFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := proxy.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice on one registry must fail")
	}
}
