package main

import (
	"context"
	"fmt"
	"log/slog"
)

// Example runs the SchedulingBasic workload at a hundredth of its size
// (50 nodes, 100 measured pods) against the in-memory scheduler.
func Example() {
	for _, w := range workloads() {
		if w.name != "SchedulingBasic" {
			continue
		}
		w = w.scaled(100)
		res, err := runWorkload(context.Background(), w, modeMemory, "", slog.New(slog.DiscardHandler))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s on %d nodes: %d pods bound\n", res.Workload, w.nodes, res.Measured)
	}
	// Output: SchedulingBasic on 50 nodes: 100 pods bound
}
