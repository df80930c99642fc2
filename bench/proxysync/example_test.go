package main

import (
	"fmt"
	"time"
)

// Example_oneEndpointChangeMaps shows the nft -f input the benchmark
// times for one changed endpoint in the maps layout (the backend's
// default): service 5's first endpoint moves from its original address
// (generation 0) to a fresh one (generation 1), which rewrites two map
// elements and touches no chain.
func Example_oneEndpointChangeMaps() {
	fmt.Print(oneEndpointChangeMaps(5, 3, 0, 1))
	// Output:
	// delete element ip longshore endpoints { 6 . 0 }
	// delete element ip longshore hairpin { 198.18.0.16 . 198.18.0.16 }
	// add element ip longshore endpoints { 6 . 0 : 198.19.212.193 . 8080 }
	// add element ip longshore hairpin { 198.19.212.193 . 198.19.212.193 }
}

// Example_oneEndpointChange shows the same change in the chain-per-service
// layout (-chains): a new endpoint chain, the service chain rebuilt as a
// cascade of numgen rules (1/3, then 1/2 of the rest, then the last), and
// the old endpoint chain deleted.
func Example_oneEndpointChange() {
	defer func(old bool) { useMaps = old }(useMaps)
	useMaps = false
	fmt.Print(oneEndpointChange(5, 3, 0, 1))
	// Output:
	// add chain ip longshore ep-5-198.19.212.193
	// add rule ip longshore ep-5-198.19.212.193 ip saddr 198.19.212.193 meta mark set meta mark | 0x4000
	// add rule ip longshore ep-5-198.19.212.193 meta l4proto tcp dnat to 198.19.212.193:8080
	// flush chain ip longshore svc-5
	// add rule ip longshore svc-5 numgen random mod 3 == 0 goto ep-5-198.19.212.193
	// add rule ip longshore svc-5 numgen random mod 2 == 0 goto ep-5-198.18.0.17
	// add rule ip longshore svc-5 goto ep-5-198.18.0.18
	// delete chain ip longshore ep-5-198.18.0.16
}

// Example_median shows how the report summarizes the one-endpoint
// changes: the median of the runs (the upper one for an even count; the
// runs themselves are left in order), printed with round: durations under
// a millisecond to the microsecond, longer ones to 10µs.
func Example_median() {
	runs := []time.Duration{9 * time.Millisecond, 812345 * time.Nanosecond, 1234567 * time.Nanosecond}
	fmt.Println(round(median(runs)), round(runs[1]), runs[0])
	fmt.Println(round(median(append(runs, 2*time.Millisecond))))
	// Output:
	// 1.23ms 812µs 9ms
	// 2ms
}
