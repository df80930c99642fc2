package podutil_test

import (
	"fmt"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/controller/internal/podutil"
)

// ExampleIsAvailable shows minReadySeconds: a pod ready for 5 s is
// available to a Deployment that asks for 0 or 5 s, not for 10 s.
func ExampleIsAvailable() {
	readySince := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p := &core.Pod{Status: core.PodStatus{Phase: core.PodRunning, Conditions: []core.PodCondition{{
		Type: core.PodReady, Status: core.ConditionTrue, LastTransitionTime: meta.NewTime(readySince),
	}}}}
	now := readySince.Add(5 * time.Second)
	for _, minReady := range []int32{0, 5, 10} {
		fmt.Println(minReady, podutil.IsAvailable(p, minReady, now))
	}
	fmt.Println("ready:", podutil.IsReady(p), "active:", podutil.IsActive(p))

	p.Status.Phase = core.PodFailed
	fmt.Println("failed pod active:", podutil.IsActive(p), "terminal:", podutil.IsTerminal(p))
	// Output:
	// 0 true
	// 5 true
	// 10 false
	// ready: true active: true
	// failed pod active: false terminal: true
}
