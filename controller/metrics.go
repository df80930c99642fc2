package controller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/controller/workqueue"
)

// Metrics are the Prometheus collectors of controllers and their queues,
// labelled by controller name. A Manager makes one for all its
// controllers.
type Metrics struct {
	// Queue holds the work queue collectors.
	Queue    *workqueue.Metrics
	total    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them with reg (nil
// means not registered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	q, err := workqueue.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	m := &Metrics{
		Queue: q,
		total: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "controller_reconcile_total",
			Help: "Total number of reconciliations per controller and result."}, []string{"controller", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "controller_reconcile_errors_total",
			Help: "Total number of reconciliation errors per controller."}, []string{"controller"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "controller_reconcile_time_seconds",
			Help:    "Length of time per reconciliation per controller.",
			Buckets: prometheus.ExponentialBuckets(1e-4, 4, 10)}, []string{"controller"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.total, m.errors, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
