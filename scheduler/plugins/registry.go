package plugins

import "github.com/longshore/longshore/scheduler/framework"

// NewInTreeRegistry returns the factories of every plugin of this
// package, under Kubernetes' names. Merge your own into it with
// Registry.Merge.
func NewInTreeRegistry() framework.Registry {
	return framework.Registry{
		framework.PrioritySortName:                    NewPrioritySort,
		framework.SchedulingGatesName:                 NewSchedulingGates,
		framework.NodeUnschedulableName:               NewNodeUnschedulable,
		framework.NodeNameName:                        NewNodeName,
		framework.TaintTolerationName:                 NewTaintToleration,
		framework.NodeAffinityName:                    NewNodeAffinity,
		framework.NodePortsName:                       NewNodePorts,
		framework.NodeResourcesFitName:                NewNodeResourcesFit,
		framework.NodeResourcesBalancedAllocationName: NewNodeResourcesBalancedAllocation,
		framework.ImageLocalityName:                   NewImageLocality,
		framework.InterPodAffinityName:                NewInterPodAffinity,
		framework.PodTopologySpreadName:               NewPodTopologySpread,
		framework.VolumeBindingName:                   NewVolumeBinding,
		framework.DefaultPreemptionName:               NewDefaultPreemption,
		framework.DefaultBinderName:                   NewDefaultBinder,
	}
}
