package plugins

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// Reasons given by the simple plugins, as Kubernetes words them.
const (
	ReasonNodeUnschedulable = "node(s) were unschedulable"
	ReasonNodeName          = "node(s) didn't match the requested node name"
	ReasonNodeNotFound      = "node(s) not found"
)

// PrioritySort orders the queue by pod priority, then by the time the pod
// entered the queue.
type PrioritySort struct{}

var _ framework.QueueSortPlugin = PrioritySort{}

// NewPrioritySort is PrioritySort's factory.
func NewPrioritySort(context.Context, any, framework.Handle) (framework.Plugin, error) {
	return PrioritySort{}, nil
}

// Name implements framework.Plugin.
func (PrioritySort) Name() string { return framework.PrioritySortName }

// Less implements framework.QueueSortPlugin.
func (PrioritySort) Less(a, b *framework.QueuedPodInfo) bool {
	pa, pb := podPriority(a.Pod), podPriority(b.Pod)
	return pa > pb || (pa == pb && a.Timestamp.Before(b.Timestamp))
}

// SchedulingGates keeps pods with spec.schedulingGates out of the active
// queue.
type SchedulingGates struct{}

var _ framework.PreEnqueuePlugin = SchedulingGates{}

// NewSchedulingGates is SchedulingGates' factory.
func NewSchedulingGates(context.Context, any, framework.Handle) (framework.Plugin, error) {
	return SchedulingGates{}, nil
}

// Name implements framework.Plugin.
func (SchedulingGates) Name() string { return framework.SchedulingGatesName }

// PreEnqueue implements framework.PreEnqueuePlugin.
func (SchedulingGates) PreEnqueue(_ context.Context, pod *core.Pod) *framework.Status {
	if len(pod.Spec.SchedulingGates) == 0 {
		return nil
	}
	gates := make([]string, len(pod.Spec.SchedulingGates))
	for i, g := range pod.Spec.SchedulingGates {
		gates[i] = g.Name
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("waiting for scheduling gates: %v", gates))
}

// NodeUnschedulable filters out nodes with spec.unschedulable, unless the
// pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
type NodeUnschedulable struct{}

var _ framework.FilterPlugin = NodeUnschedulable{}

// NewNodeUnschedulable is NodeUnschedulable's factory.
func NewNodeUnschedulable(context.Context, any, framework.Handle) (framework.Plugin, error) {
	return NodeUnschedulable{}, nil
}

// Name implements framework.Plugin.
func (NodeUnschedulable) Name() string { return framework.NodeUnschedulableName }

// Filter implements framework.FilterPlugin.
func (NodeUnschedulable) Filter(_ context.Context, _ *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeNotFound)
	}
	if !node.Spec.Unschedulable {
		return nil
	}
	taint := core.Taint{Key: core.TaintNodeUnschedulable, Effect: core.TaintEffectNoSchedule}
	if toleratesAny(pod.Spec.Tolerations, &taint) {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeUnschedulable)
}

// NodeName filters out every node but the one named in spec.nodeName,
// when set.
type NodeName struct{}

var _ framework.FilterPlugin = NodeName{}

// NewNodeName is NodeName's factory.
func NewNodeName(context.Context, any, framework.Handle) (framework.Plugin, error) {
	return NodeName{}, nil
}

// Name implements framework.Plugin.
func (NodeName) Name() string { return framework.NodeNameName }

// Filter implements framework.FilterPlugin.
func (NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	if ni.Node() == nil {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeNotFound)
	}
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != ni.NodeName() {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeName)
	}
	return nil
}
