package main

import (
	"fmt"
	"os"
	"time"
)

// Example_key shows the benchmark's keys: the prefix, then the index
// zero-padded so that every key is exactly -key-size bytes (so the etcd and
// store runs write the same bytes).
func Example_key() {
	for _, k := range []string{key("/p/", 7, 16), key("/k/", 999, 16), key("/w/", 12345, 32)} {
		fmt.Println(k, len(k))
	}
	// Output:
	// /p/0000000000007 16
	// /k/0000000000999 16
	// /w/00000000000000000000000012345 32
}

// Example_run shows that run rejects a bad command line before it creates
// a directory or starts a backend.
func Example_run() {
	good := config{clients: 4, ops: 10, keySize: 32, valueSize: 64, workload: "put",
		watchers: 1, rate: 10, timeout: time.Second, backends: "bolt", conns: 1}
	for _, edit := range []func(*config){
		func(c *config) { c.keySize = 8 },
		func(c *config) { c.valueSize = 8 << 20 },
		func(c *config) { c.workload = "scan" },
	} {
		c := good
		edit(&c)
		fmt.Println(run(c, os.Stdout))
	}
	// Output:
	// -clients, -ops, -watchers, -rate and -conns must be positive; -key-size and -value-size at least 16
	// -key-size or -value-size over the store limits
	// unknown workload "scan"
}

// Example_report shows the side-by-side report of a put run: throughput,
// percentiles of the latencies (sorted by report) and, with two backends,
// the first's figures over the second's.
func Example_report() {
	ms := func(ds ...int) []time.Duration {
		var out []time.Duration
		for _, d := range ds {
			out = append(out, time.Duration(d)*time.Millisecond)
		}
		return out
	}
	c := config{clients: 2, ops: 4, keySize: 32, valueSize: 256, workload: "put"}
	report(os.Stdout, c, []result{
		{name: label("bolt"), ops: 4, elapsed: time.Second, lat: ms(4, 1, 2, 3)},
		{name: label("etcd"), ops: 4, elapsed: 2 * time.Second, lat: ms(8, 2, 6, 4)},
	})
	// Output:
	// workload=put clients=2 ops=4 key=32B value=256B
	//              backend  ops  ops/s  p50  p99  max
	//   store/bolt (fsync)    4      4  3ms  4ms  4ms
	//     etcd 3.4 (fsync)    4      2  6ms  8ms  8ms
	// ratio store/bolt (fsync) / etcd 3.4 (fsync): throughput 2.00x, p50 0.50x, p99 0.50x
}
