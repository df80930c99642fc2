package main

import (
	"fmt"
	"os"
	"time"
)

// Example_validate shows the flag checks run makes before it starts any
// backend: each bad setting is named with its flag and the range it wants.
func Example_validate() {
	good := config{clients: 64, ops: 20000, valueSize: 64, workload: "put", backends: "raft,etcd"}
	fmt.Println(good.validate())
	for _, edit := range []func(*config){
		func(c *config) { c.clients = 0 },
		func(c *config) { c.valueSize = 10 << 20 },
		func(c *config) { c.workload = "scan" },
		func(c *config) { c.backends = "raft,zookeeper" },
	} {
		c := good
		edit(&c)
		fmt.Println(c.validate())
	}
	// Output:
	// <nil>
	// -clients 0: want 1..10000
	// -value 10485760: want 1..1572864
	// -workload "scan": want put or mixed
	// -backends: unknown backend "zookeeper"
}

// Example_report shows the report for two measured backends: throughput
// from ops and elapsed time, and latency percentiles read from the sorted
// latencies (p50 of 1ms..100ms is the 51st, p99 the 100th).
func Example_report() {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	fast := make([]time.Duration, 100)
	for i := range fast {
		fast[i] = time.Duration(i+1) * 100 * time.Microsecond
	}
	c := config{clients: 8, valueSize: 64, workload: "put"}
	report(os.Stdout, c, []result{
		{name: "raft", ops: 100, elapsed: 2 * time.Second, lat: lat},
		{name: "etcd", ops: 100, errs: 3, elapsed: 500 * time.Millisecond, lat: fast},
	})
	fmt.Println(percentile(nil, 0.99))
	// Output:
	// workload put, 8 clients, 64-byte values
	//   backend  ops  errors  seconds  ops/s    p50    p99
	//      raft  100       0     2.00     50   51ms  100ms
	//      etcd  100       3     0.50    200  5.1ms   10ms
	// 0s
}
