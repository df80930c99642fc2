package scheduler

import (
	"context"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

func TestFilterWithNominatedPods(t *testing.T) {
	snap := framework.NewSnapshot(nil, []*core.Node{cNode("n1")}) // 4 cpu
	fw, err := framework.New(context.Background(), plugins.NewInTreeRegistry(), &framework.DefaultConfig().Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	s := &Scheduler{nominator: newNominator()}
	withPrio := func(p *core.Pod, v int32) *core.Pod { p.Spec.Priority = &v; return p }
	nominated := withPrio(cPod("nominated", "", "3"), 10)
	s.nominator.add(nominated, "n1")
	ni, _ := snap.NodeInfos().Get("n1")
	tests := []struct {
		name string
		pod  *core.Pod
		fits bool
	}{
		{"lower priority sees the room taken", withPrio(cPod("low", "", "2"), 5), false},
		{"lower priority that fits beside it", withPrio(cPod("small", "", "1"), 5), true},
		{"higher priority ignores the nomination", withPrio(cPod("high", "", "2"), 20), true},
		{"the nominated pod itself", nominated, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := framework.NewCycleState()
			if _, st := fw.RunPreFilterPlugins(context.Background(), state, tt.pod); !st.IsSuccess() {
				t.Fatal(st)
			}
			st := s.filter(context.Background(), fw, state, tt.pod, ni)
			if st.IsSuccess() != tt.fits {
				t.Errorf("filter = %v, want fits=%v", st, tt.fits)
			}
		})
	}
	s.nominator.add(nominated, "n1") // nominated again: still one pod
	if s.nominator.empty() || s.nominator.pods.Load() != 1 {
		t.Errorf("nominated pods: %d", s.nominator.pods.Load())
	}
	s.nominator.remove(nominated)
	if !s.nominator.empty() {
		t.Error("nominator not empty after the removal")
	}
	if got := s.nominator.competing("n1", withPrio(cPod("low", "", "2"), 5)); len(got) != 0 {
		t.Errorf("removed nomination still competes: %v", got)
	}
}
