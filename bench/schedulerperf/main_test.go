package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

var benchScale = flag.Int("schedulerperf.scale", 10, "divide the workloads' counts by this in BenchmarkWorkloads (1: the full 5,000-node sizes)")

func TestRunSmallWorkloads(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "memory", args: []string{"-mode", "memory", "-scale", "50"},
			want: []string{"SchedulingBasic", "TopologySpreading", "PreferredTopologySpreading", "PodAntiAffinity", "PreemptionBasic", "Unschedulable", "MixedChurn"}},
		{name: "e2e", args: []string{"-mode", "e2e", "-scale", "100", "-workloads", "SchedulingBasic,PreemptionBasic"},
			want: []string{"SchedulingBasic", "PreemptionBasic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), tt.args, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no %s row in\n%s", w, out.String())
				}
			}
		})
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-mode", "warp"}, {"-workloads", "Nope"}, {"-bogus"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestWorkloadsBindEveryMeasuredPod(t *testing.T) {
	for _, w := range workloads() {
		t.Run(w.name, func(t *testing.T) {
			w := w.scaled(100)
			res, err := runWorkload(context.Background(), w, modeMemory, t.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if res.Measured != w.pods {
				t.Errorf("measured %d pods, want %d", res.Measured, w.pods)
			}
			if res.PodsPerSec <= 0 || res.P99 < res.P50 || res.PeakHeap == 0 {
				t.Errorf("implausible figures %+v", res)
			}
		})
	}
}

// BenchmarkWorkloads runs every workload once per iteration in both
// modes, at 1/-schedulerperf.scale of the suite's sizes:
//
//	go test -run '^$' -bench . -benchtime=1x ./bench/schedulerperf/ -schedulerperf.scale=1
func BenchmarkWorkloads(b *testing.B) {
	for _, w := range workloads() {
		for _, mode := range []string{modeMemory, modeE2E} {
			b.Run(fmt.Sprintf("%s/%s", w.name, mode), func(b *testing.B) {
				w := w.scaled(*benchScale)
				var res result
				for b.Loop() {
					var err error
					res, err = runWorkload(context.Background(), w, mode, b.TempDir(), slog.New(slog.DiscardHandler))
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(res.PodsPerSec, "pods/s")
				b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(res.PeakHeap>>20), "peak-MiB")
			})
		}
	}
}
