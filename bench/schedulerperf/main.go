// Command schedulerperf runs the workloads of kube-scheduler's
// scheduler_perf suite (test/integration/scheduler_perf in Kubernetes,
// at their 5,000-node sizes) against Longshore's scheduler and prints,
// per workload, pods/s (measured pods over the time from the first one's
// creation to the last one's binding), p50/p99 per-pod scheduling latency
// (creation to binding, so queueing time counts) and peak heap in use,
// next to kube-scheduler's published CI floor and Longshore's goal.
//
// Usage:
//
//	schedulerperf                                # every workload, both modes
//	schedulerperf -mode memory -workloads SchedulingBasic,Unschedulable
//	schedulerperf -scale 10                      # a tenth of every count
//	schedulerperf -cpuprofile cpu.out -workloads TopologySpreading
//
// Modes:
//
//   - memory: the scheduler runtime is fed directly (scheduler.NewLocal):
//     nodes and pods are reported with AddNode/AddPod, the bind plugin
//     reports the bound pod back; no API server, no HTTP.
//   - e2e: an API server in process on store/bolt (fsync on) in a
//     temporary directory, served on a loopback port; nodes and pods are
//     created through the API (4 concurrent clients), the scheduler
//     watches them through informers and binds through pods/binding, and
//     a separate informer observes the bindings.
//
// Node and pod shapes are scheduler_perf's: nodes of 4 CPU, 32 GiB and
// 110 pods; pods requesting 100m CPU and 500 MiB (preemption: 900m
// low-priority victims, 3 CPU high-priority preemptors; unschedulable
// background pods: 9 CPU). Every workload is bounded by its time limit
// (5 minutes), and the churn loop by a count. The figures of a full run
// are in the scheduler package's doc, under Performance.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "schedulerperf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("schedulerperf", flag.ContinueOnError)
	mode := fs.String("mode", "memory,e2e", "modes to run: memory, e2e, or both comma-separated")
	names := fs.String("workloads", "", "comma-separated workloads (default all)")
	scale := fs.Int("scale", 1, "divide every node and pod count by this")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run here")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the run here")
	verbose := fs.Bool("v", false, "log the scheduler's warnings")
	debug := fs.Bool("debug", false, "log the scheduler's debug messages (every failed attempt)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	switch {
	case *debug:
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	case *verbose:
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var selected []workload
	for _, w := range workloads() {
		if *names == "" || slices.Contains(strings.Split(*names, ","), w.name) {
			selected = append(selected, w.scaled(*scale))
		}
	}
	if len(selected) == 0 {
		return fmt.Errorf("no workload matches %q", *names)
	}
	modes := strings.Split(*mode, ",")
	for _, m := range modes {
		if m != modeMemory && m != modeE2E {
			return fmt.Errorf("unknown mode %q", m)
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	fmt.Fprintf(out, "schedulerperf: %d CPUs, GOMAXPROCS %d, %s, scale 1/%d\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), *scale)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tmode\tnodes\tpods\tpods/s\tp50\tp99\tpeak heap\tCPU s\tpods/CPU-s\tattempts ok/unsched/err\tkube floor\tgoal\t")
	var failed []string
	for _, w := range selected {
		for _, m := range modes {
			dir, err := os.MkdirTemp("", "schedulerperf-")
			if err != nil {
				return err
			}
			res, err := runWorkload(ctx, w, m, dir, log)
			os.RemoveAll(dir)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s/%s: %v", w.name, m, err))
			}
			perCPU := 0.0
			if res.CPU > 0 {
				perCPU = float64(res.Measured) / res.CPU.Seconds()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%s\t%s\t%d MiB\t%.2f\t%.0f\t%.0f/%.0f/%.0f\t%s\t%s\t\n", w.name, m, w.nodes, res.Measured, res.PodsPerSec,
				res.P50.Round(time.Millisecond), res.P99.Round(time.Millisecond), res.PeakHeap>>20, res.CPU.Seconds(), perCPU,
				res.Attempts["scheduled"], res.Attempts["unschedulable"], res.Attempts["error"], orDash(w.floor), orDash(w.goalFor(m)))
			fmt.Fprintf(os.Stderr, "%s/%s: %.0f pods/s\n", w.name, m, res.PodsPerSec)
		}
	}
	tw.Flush()
	if len(failed) > 0 {
		return fmt.Errorf("%d runs failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return nil
}

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}
