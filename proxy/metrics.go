package proxy

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the proxy's Prometheus metrics. All methods accept a nil
// *Metrics (no metrics).
type Metrics struct {
	syncDuration *prometheus.HistogramVec
	programmed   *prometheus.GaugeVec
	failures     *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg:
// longshore_proxy_sync_duration_seconds{kind}, longshore_proxy_programmed{what}
// and longshore_proxy_sync_failures_total{kind}, where kind is "full" or
// "partial" and what is "rules" or "elements".
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "longshore", Subsystem: "proxy", Name: "sync_duration_seconds",
			Help:    "Time to apply the desired state to the backend.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"kind"}),
		programmed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "longshore", Subsystem: "proxy", Name: "programmed",
			Help: "Rules and map/set elements the backend has programmed.",
		}, []string{"what"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "longshore", Subsystem: "proxy", Name: "sync_failures_total",
			Help: "Syncs that failed.",
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.syncDuration, m.programmed, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register proxy metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observe(kind string, seconds float64, err error) {
	if m == nil {
		return
	}
	m.syncDuration.WithLabelValues(kind).Observe(seconds)
	if err != nil {
		m.failures.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) setProgrammed(p Programmed) {
	if m == nil {
		return
	}
	m.programmed.WithLabelValues("rules").Set(float64(p.Rules))
	m.programmed.WithLabelValues("elements").Set(float64(p.Elements))
}
