package raft

import (
	"fmt"

	hraft "github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's Prometheus collectors, labelled with its ID.
type metrics struct {
	reg           prometheus.Registerer
	leaderChanges prometheus.Counter
	applyLatency  prometheus.Histogram
	commitLag     prometheus.GaugeFunc
	isLeader      prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, n *Node) (*metrics, error) {
	labels := prometheus.Labels{"node": n.cfg.NodeID}
	m := &metrics{
		reg: reg,
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "longshore", Subsystem: "raft", Name: "leader_changes_total",
			Help: "Leader changes seen by this node.", ConstLabels: labels,
		}),
		applyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "longshore", Subsystem: "raft", Name: "apply_duration_seconds",
			Help:        "Time from proposing a write on the leader to its being committed and applied.",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitLag: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "longshore", Subsystem: "raft", Name: "commit_lag_entries",
			Help: "Raft commit index minus the index applied by the local replica.", ConstLabels: labels,
		}, func() float64 {
			c, a := n.r.CommitIndex(), n.fsm.applied.Load()
			if c < a {
				return 0
			}
			return float64(c - a)
		}),
		isLeader: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "longshore", Subsystem: "raft", Name: "is_leader",
			Help: "1 when this node is the raft leader, else 0.", ConstLabels: labels,
		}, func() float64 {
			if n.r.State() == hraft.Leader {
				return 1
			}
			return 0
		}),
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.leaderChanges, m.applyLatency, m.commitLag, m.isLeader} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, fmt.Errorf("register raft metrics: %w", err)
		}
		done = append(done, c)
	}
	return m, nil
}

func (m *metrics) unregister() {
	for _, c := range []prometheus.Collector{m.leaderChanges, m.applyLatency, m.commitLag, m.isLeader} {
		m.reg.Unregister(c)
	}
}
