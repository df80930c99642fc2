package main

import (
	"os"
	"time"
)

// Example_report shows the report apibench prints: one row per workload
// with its throughput, latency percentiles, the project's goal and
// Kubernetes' SLO for the call, then what those limits are.
func Example_report() {
	ms := time.Millisecond
	report(os.Stdout, []row{
		{name: "paced merge patches", ops: 4, elapsed: 2 * ms, lat: []time.Duration{40 * ms, 10 * ms, 20 * ms, 30 * ms},
			goal: 25 * ms, slo: sloMutating, note: "4 clients"},
		{name: "memory", note: "heap in use 1.0 MB"},
	})
	// Output:
	// workload             ops  errors  ops/s  p50      p99      max      goal p99  met  k8s SLO    met  notes
	// paced merge patches  4    0       2000   20.00ms  40.00ms  40.00ms  25.00ms   NO   1000.00ms  yes  4 clients
	// memory                                                                                             heap in use 1.0 MB
	// k8s SLO: Kubernetes' published API call latency SLOs (sig-scalability), p99: mutating calls <= 1s;
	// get/list of one namespace <= 5s (cluster-wide 30s). Watch latency has no published SLO.
	// goal p99: this project's goals (paced writes <= 25ms, list of 10,000 <= 150ms, watch delivery <= 50ms).
}
