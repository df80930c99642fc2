package scheduler

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/scheduler/framework"
)

// The results of a scheduling attempt, the values of the "result" label.
const (
	ResultScheduled     = "scheduled"
	ResultUnschedulable = "unschedulable"
	ResultError         = "error"
)

// metrics are the scheduler's Prometheus collectors, named as
// kube-scheduler names its own.
type metrics struct {
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	e2e             *prometheus.HistogramVec
	pending         []prometheus.Collector
	plugin          *prometheus.HistogramVec
	// observers caches the plugin histogram's children: looking one up by
	// label values hashes them, and sampled cycles observe once per node.
	observers sync.Map // pluginKey -> prometheus.Observer
}

type pluginKey struct {
	point, plugin string
	code          framework.Code
}

func newMetrics(reg prometheus.Registerer, q *Queue) (*metrics, error) {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scheduler_schedule_attempts_total",
			Help: "Number of attempts to schedule pods, by the result and the profile."}, []string{"result", "profile"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "scheduler_scheduling_attempt_duration_seconds",
			Help:    "Scheduling attempt latency in seconds (scheduling algorithm + binding), by result and profile.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 20)}, []string{"result", "profile"}),
		e2e: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "scheduler_pod_scheduling_duration_seconds",
			Help:    "E2e latency for a pod being scheduled, from the first time it was queued to its binding, by the number of attempts.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 20)}, []string{"attempts"}),
		plugin: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "scheduler_plugin_execution_duration_seconds",
			Help:    "Duration for running a plugin at a specific extension point (a sample of the cycles).",
			Buckets: prometheus.ExponentialBuckets(0.00001, 1.5, 20)}, []string{"plugin", "extension_point", "status"}),
	}
	for i, queue := range []string{"active", "backoff", "unschedulable"} {
		m.pending = append(m.pending, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scheduler_pending_pods",
			Help:        "Number of pending pods, by the queue type: active, backoff or unschedulable.",
			ConstLabels: prometheus.Labels{"queue": queue}}, func() float64 {
			a, b, u := q.Len()
			return float64([]int{a, b, u}[i])
		}))
	}
	if reg == nil {
		return m, nil
	}
	cs := append([]prometheus.Collector{m.attempts, m.attemptDuration, m.e2e, m.plugin}, m.pending...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("scheduler: register metrics: %w", err)
		}
	}
	return m, nil
}

// attempt counts one scheduling attempt that ended in result.
func (m *metrics) attempt(result, profile string, start time.Time) {
	m.attempts.WithLabelValues(result, profile).Inc()
	m.attemptDuration.WithLabelValues(result, profile).Observe(time.Since(start).Seconds())
}

// bound records the e2e latency of a pod that was bound.
func (m *metrics) bound(qpi *framework.QueuedPodInfo) {
	if qpi.InitialAttemptTimestamp.IsZero() {
		return
	}
	attempts := "1"
	switch {
	case qpi.Attempts >= 16:
		attempts = "16+"
	case qpi.Attempts > 1:
		attempts = fmt.Sprint(qpi.Attempts)
	}
	m.e2e.WithLabelValues(attempts).Observe(time.Since(qpi.InitialAttemptTimestamp).Seconds())
}

// observePlugin is the framework's ObservePlugin hook.
func (m *metrics) observePlugin(point, plugin string, code framework.Code, d time.Duration) {
	k := pluginKey{point, plugin, code}
	o, ok := m.observers.Load(k)
	if !ok {
		o, _ = m.observers.LoadOrStore(k, m.plugin.WithLabelValues(plugin, point, code.String()))
	}
	o.(prometheus.Observer).Observe(d.Seconds())
}
