// Package scheduling holds scheduling.k8s.io/v1: PriorityClass, which maps
// a pod's priorityClassName to the integer priority the scheduler and the
// kubelet's eviction order use.
package scheduling

//go:generate go run github.com/longshore/longshore/internal/deepcopygen

import (
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

// GroupName is the API group of this package.
const GroupName = "scheduling.k8s.io"

// SchemeGroupVersion is the group version of this package's kinds.
var SchemeGroupVersion = meta.GroupVersion{Group: GroupName, Version: "v1"}

// Built-in priority classes, as Kubernetes creates them.
const (
	SystemClusterCritical      = "system-cluster-critical"
	SystemNodeCritical         = "system-node-critical"
	SystemClusterCriticalValue = 2000000000
	SystemNodeCriticalValue    = 2000001000
	// HighestUserDefinable is the largest value a user-created class may
	// have; higher values are reserved for system classes.
	HighestUserDefinable = 1000000000
)

// PriorityClass names a pod priority.
type PriorityClass struct {
	meta.TypeMeta    `json:",inline"`
	meta.ObjectMeta  `json:"metadata,omitempty"`
	Value            int32                  `json:"value"`
	GlobalDefault    bool                   `json:"globalDefault,omitempty"`
	Description      string                 `json:"description,omitempty"`
	PreemptionPolicy *core.PreemptionPolicy `json:"preemptionPolicy,omitempty"`
}

// PriorityClassList is a list of PriorityClasses.
type PriorityClassList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []PriorityClass `json:"items"`
}

// Kinds lists this package's kinds for the api scheme.
func Kinds() []meta.KindInfo {
	return []meta.KindInfo{{
		Kind: "PriorityClass", Resource: "priorityclasses", Namespaced: false, ShortNames: []string{"pc"},
		New:     func() meta.Object { return &PriorityClass{} },
		NewList: func() meta.ListObject { return &PriorityClassList{} },
		Default: meta.DefaultFunc(SetDefaultsPriorityClass),
	}}
}

// SetDefaultsPriorityClass sets preemptionPolicy to PreemptLowerPriority.
func SetDefaultsPriorityClass(pc *PriorityClass) {
	if pc.PreemptionPolicy == nil {
		p := core.PreemptLowerPriority
		pc.PreemptionPolicy = &p
	}
}

// SystemClasses returns the classes the API server creates at start.
func SystemClasses() []*PriorityClass {
	mk := func(name string, v int32, desc string) *PriorityClass {
		pc := &PriorityClass{ObjectMeta: meta.ObjectMeta{Name: name}, Value: v, Description: desc}
		SetDefaultsPriorityClass(pc)
		return pc
	}
	return []*PriorityClass{
		mk(SystemNodeCritical, SystemNodeCriticalValue, "Used for system critical pods that must not be moved from their current node."),
		mk(SystemClusterCritical, SystemClusterCriticalValue, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	}
}
