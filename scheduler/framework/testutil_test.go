package framework

import (
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

func rl(kv ...string) core.ResourceList {
	out := core.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[core.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func container(req core.ResourceList) core.Container {
	return core.Container{Name: "c", Resources: core.ResourceRequirements{Requests: req}}
}

func testPod(name, node string, containers ...core.Container) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name + "-uid"}, Spec: core.PodSpec{NodeName: node, Containers: containers}}
}

func testNode(name string, alloc core.ResourceList) *core.Node {
	return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name}, Status: core.NodeStatus{Allocatable: alloc}}
}
