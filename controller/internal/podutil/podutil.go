// Package podutil holds the pod predicates the built-in controllers share.
package podutil

import (
	"time"

	"github.com/longshore/longshore/api/core"
)

// ReadyCondition returns the pod's Ready condition, or nil.
func ReadyCondition(p *core.Pod) *core.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == core.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// IsReady reports whether the pod's Ready condition is True.
func IsReady(p *core.Pod) bool {
	c := ReadyCondition(p)
	return c != nil && c.Status == core.ConditionTrue
}

// IsAvailable reports whether the pod has been ready for at least
// minReadySeconds at now.
func IsAvailable(p *core.Pod, minReadySeconds int32, now time.Time) bool {
	c := ReadyCondition(p)
	if c == nil || c.Status != core.ConditionTrue {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	d := time.Duration(minReadySeconds) * time.Second
	return !c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(d).After(now)
}

// IsActive reports whether the pod counts towards replicas: not finished
// and not being deleted.
func IsActive(p *core.Pod) bool {
	return p.Status.Phase != core.PodSucceeded && p.Status.Phase != core.PodFailed && p.DeletionTimestamp == nil
}

// IsTerminal reports whether the pod has finished (Succeeded or Failed).
func IsTerminal(p *core.Pod) bool {
	return p.Status.Phase == core.PodSucceeded || p.Status.Phase == core.PodFailed
}
