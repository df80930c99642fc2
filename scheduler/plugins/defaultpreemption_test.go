package plugins

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

// fakeWriter records the pod writes of preemption.
type fakeWriter struct {
	mu        sync.Mutex
	deleted   []string
	nominated map[string]string
	err       error
}

func (w *fakeWriter) DeletePod(_ context.Context, p *core.Pod) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.deleted = append(w.deleted, p.Name)
	return nil
}

func (w *fakeWriter) SetNominatedNodeName(_ context.Context, p *core.Pod, node string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nominated == nil {
		w.nominated = map[string]string{}
	}
	w.nominated[p.Name] = node
	return nil
}

func started(d time.Duration) podOpt {
	return func(p *core.Pod) {
		ts := meta.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(d))
		p.Status.StartTime = &ts
	}
}

func TestDefaultPreemption(t *testing.T) {
	nodes := func() []*core.Node {
		return []*core.Node{mkNode("n1", alloc("cpu", "2", "memory", "4Gi", "pods", "10")), mkNode("n2", alloc("cpu", "2", "memory", "4Gi", "pods", "10"))}
	}
	never := core.PreemptNever
	tests := []struct {
		name      string
		existing  []*core.Pod
		pod       *core.Pod
		node      string
		deleted   []string
		errSubstr string
	}{
		{
			name: "latest started victim wins the tie",
			existing: []*core.Pod{
				mkPod("low1", onNode("n1"), priority(1), req("cpu", "1"), started(0)),
				mkPod("low2", onNode("n1"), priority(1), req("cpu", "1"), started(10*time.Minute)),
				mkPod("mid", onNode("n2"), priority(5), req("cpu", "1"), started(0)),
				mkPod("low3", onNode("n2"), priority(1), req("cpu", "1"), started(5*time.Minute)),
			},
			pod: mkPod("p", priority(10), req("cpu", "1")), node: "n1", deleted: []string{"low2"},
		},
		{
			name: "lowest highest-priority victim",
			existing: []*core.Pod{
				mkPod("a", onNode("n1"), priority(3), req("cpu", "2")),
				mkPod("b", onNode("n2"), priority(2), req("cpu", "1")),
				mkPod("c", onNode("n2"), priority(2), req("cpu", "1")),
			},
			pod: mkPod("p", priority(10), req("cpu", "2")), node: "n2", deleted: []string{"b", "c"},
		},
		{
			name: "fewest victims at equal priority sum",
			existing: []*core.Pod{
				mkPod("a", onNode("n1"), priority(0), req("cpu", "2")),
				mkPod("b", onNode("n2"), priority(0), req("cpu", "1")),
				mkPod("c", onNode("n2"), priority(0), req("cpu", "1")),
			},
			pod: mkPod("p", priority(10), req("cpu", "2")), node: "n1", deleted: []string{"a"},
		},
		{
			name:     "higher-priority pods are never victims",
			existing: []*core.Pod{mkPod("a", onNode("n1"), priority(20), req("cpu", "2")), mkPod("b", onNode("n2"), priority(20), req("cpu", "2"))},
			pod:      mkPod("p", priority(10), req("cpu", "1")), errSubstr: "No preemption victims found",
		},
		{
			name:     "preemptionPolicy Never",
			existing: []*core.Pod{mkPod("a", onNode("n1"), priority(0), req("cpu", "2")), mkPod("b", onNode("n2"), priority(0), req("cpu", "2"))},
			pod:      mkPod("p", priority(10), req("cpu", "1"), func(p *core.Pod) { p.Spec.PreemptionPolicy = &never }), errSubstr: "preemptionPolicy=Never",
		},
		{
			name:     "too big even on an empty node",
			existing: []*core.Pod{mkPod("a", onNode("n1"), priority(0), req("cpu", "1"))},
			pod:      mkPod("p", priority(10), req("cpu", "3")), errSubstr: "No preemption victims found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := framework.NewSnapshot(tt.existing, nodes())
			w := &fakeWriter{}
			fw := newFramework(t, snap, &framework.Options{PodWriter: w}, nil, framework.NodeResourcesFitName, framework.DefaultPreemptionName)
			m, state := filterResult(t, fw, snap, tt.pod)
			for n, s := range m {
				if s.IsSuccess() {
					t.Fatalf("pod fits %s without preemption", n)
				}
			}
			res, st := fw.RunPostFilterPlugins(context.Background(), state, tt.pod, m)
			if tt.errSubstr != "" {
				if st.IsSuccess() || !strings.Contains(st.Message(), tt.errSubstr) || len(w.deleted) > 0 {
					t.Fatalf("status %v, deleted %v; want failure containing %q", st, w.deleted, tt.errSubstr)
				}
				return
			}
			if !st.IsSuccess() {
				t.Fatal(st)
			}
			slices.Sort(w.deleted)
			if res.NominatedNodeName != tt.node || !slices.Equal(w.deleted, tt.deleted) || w.nominated["p"] != tt.node {
				t.Errorf("nominated %q (recorded %q), deleted %v; want %q, %v", res.NominatedNodeName, w.nominated["p"], w.deleted, tt.node, tt.deleted)
			}
		})
	}
}

func TestDefaultPreemptionSkipsUnresolvableNodes(t *testing.T) {
	snap := framework.NewSnapshot([]*core.Pod{mkPod("a", onNode("n1"), priority(0), req("cpu", "2"))},
		[]*core.Node{mkNode("n1", alloc("cpu", "2", "pods", "10"), taints(core.Taint{Key: "k", Effect: core.TaintEffectNoSchedule}))})
	w := &fakeWriter{}
	fw := newFramework(t, snap, &framework.Options{PodWriter: w}, nil, framework.TaintTolerationName, framework.NodeResourcesFitName, framework.DefaultPreemptionName)
	pod := mkPod("p", priority(10), req("cpu", "1"))
	m, state := filterResult(t, fw, snap, pod)
	if m["n1"].Code() != framework.UnschedulableAndUnresolvable {
		t.Fatalf("n1: %v", m["n1"])
	}
	if _, st := fw.RunPostFilterPlugins(context.Background(), state, pod, m); st.IsSuccess() || len(w.deleted) != 0 {
		t.Errorf("preempted on an unresolvable node: %v %v", st, w.deleted)
	}
}

func TestDefaultPreemptionWriteError(t *testing.T) {
	snap := framework.NewSnapshot([]*core.Pod{mkPod("a", onNode("n1"), priority(0), req("cpu", "2"))}, []*core.Node{mkNode("n1", alloc("cpu", "2", "pods", "10"))})
	w := &fakeWriter{err: errors.New("api down")}
	fw := newFramework(t, snap, &framework.Options{PodWriter: w}, nil, framework.NodeResourcesFitName, framework.DefaultPreemptionName)
	pod := mkPod("p", priority(10), req("cpu", "1"))
	m, state := filterResult(t, fw, snap, pod)
	if _, st := fw.RunPostFilterPlugins(context.Background(), state, pod, m); st.Code() != framework.Error || !strings.Contains(st.Message(), "api down") {
		t.Errorf("status %v", st)
	}
}

func TestDefaultPreemptionArgs(t *testing.T) {
	for _, a := range []string{`{"minCandidateNodesPercentage":101}`, `{"minCandidateNodesAbsolute":-1}`, `{"minCandidateNodesPercentage":0,"minCandidateNodesAbsolute":0}`} {
		if _, err := NewDefaultPreemption(context.Background(), framework.RawArgs(a), nil); !errors.Is(err, framework.ErrInvalidArgs) {
			t.Errorf("%s: %v", a, err)
		}
	}
}
