package podutil

import (
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

func TestPredicates(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ready := func(since time.Time) *core.Pod {
		return &core.Pod{Status: core.PodStatus{Phase: core.PodRunning, Conditions: []core.PodCondition{
			{Type: core.PodReady, Status: core.ConditionTrue, LastTransitionTime: meta.NewTime(since)}}}}
	}
	deleting := ready(now)
	ts := meta.NewTime(now)
	deleting.DeletionTimestamp = &ts
	tests := []struct {
		name                      string
		pod                       *core.Pod
		minReady                  int32
		wantReady, wantAvail, act bool
	}{
		{"not ready", &core.Pod{Status: core.PodStatus{Phase: core.PodPending}}, 0, false, false, true},
		{"ready, no minReady", ready(now), 0, true, true, true},
		{"ready too recently", ready(now.Add(-5 * time.Second)), 10, true, false, true},
		{"ready long enough", ready(now.Add(-10 * time.Second)), 10, true, true, true},
		{"deleting", deleting, 0, true, true, false},
		{"succeeded", &core.Pod{Status: core.PodStatus{Phase: core.PodSucceeded}}, 0, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsReady(tt.pod); got != tt.wantReady {
				t.Errorf("IsReady = %v", got)
			}
			if got := IsAvailable(tt.pod, tt.minReady, now); got != tt.wantAvail {
				t.Errorf("IsAvailable = %v", got)
			}
			if got := IsActive(tt.pod); got != tt.act {
				t.Errorf("IsActive = %v", got)
			}
		})
	}
}
