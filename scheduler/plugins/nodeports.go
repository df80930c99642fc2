package plugins

import (
	"context"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// ReasonNodePorts is NodePorts' rejection reason.
const ReasonNodePorts = "node(s) didn't have free ports for the requested pod ports"

// NodePorts filters out nodes where a host port the pod asks for is
// already used (0.0.0.0 conflicting with every address).
type NodePorts struct{}

var (
	_ framework.PreFilterPlugin = NodePorts{}
	_ framework.FilterPlugin    = NodePorts{}
)

// NewNodePorts is NodePorts' factory.
func NewNodePorts(context.Context, any, framework.Handle) (framework.Plugin, error) {
	return NodePorts{}, nil
}

// Name implements framework.Plugin.
func (NodePorts) Name() string { return framework.NodePortsName }

const nodePortsKey framework.StateKey = "PreFilter" + framework.StateKey(framework.NodePortsName)

type nodePortsState []core.ContainerPort

func (s nodePortsState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin; pods without host ports
// skip the Filter.
func (NodePorts) PreFilter(_ context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	var ports nodePortsState
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				ports = append(ports, p)
			}
		}
	}
	if len(ports) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(nodePortsKey, ports)
	return nil, nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (NodePorts) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin.
func (NodePorts) Filter(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) *framework.Status {
	ports, err := framework.ReadAs[nodePortsState](state, nodePortsKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	for _, p := range ports {
		if ni.UsedPorts.CheckConflict(p.HostIP, p.Protocol, p.HostPort) {
			return framework.NewStatus(framework.Unschedulable, ReasonNodePorts)
		}
	}
	return nil
}
