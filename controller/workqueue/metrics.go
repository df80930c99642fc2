package workqueue

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus collectors of work queues, labelled by queue
// name. One Metrics serves every queue of a process.
type Metrics struct {
	depth   *prometheus.GaugeVec
	adds    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	work    *prometheus.HistogramVec
	retries *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (nil
// means not registered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := prometheus.ExponentialBuckets(1e-6, 10, 10)
	m := &Metrics{
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "workqueue_depth",
			Help: "Current depth of the work queue."}, []string{"name"}),
		adds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "workqueue_adds_total",
			Help: "Total number of adds handled by the work queue."}, []string{"name"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "workqueue_queue_duration_seconds",
			Help: "How long an item stays in the work queue before being requested.", Buckets: buckets}, []string{"name"}),
		work: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "workqueue_work_duration_seconds",
			Help: "How long processing an item from the work queue takes.", Buckets: buckets}, []string{"name"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "workqueue_retries_total",
			Help: "Total number of retries handled by the work queue."}, []string{"name"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.depth, m.adds, m.latency, m.work, m.retries} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
