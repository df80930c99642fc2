package plugins

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/scheduler/framework"
)

// DefaultBinder binds a pod by POSTing a Binding to the pod's binding
// subresource through the Handle's client.
type DefaultBinder struct {
	h framework.Handle
}

var _ framework.BindPlugin = (*DefaultBinder)(nil)

// NewDefaultBinder is DefaultBinder's factory.
func NewDefaultBinder(_ context.Context, _ any, h framework.Handle) (framework.Plugin, error) {
	return &DefaultBinder{h: h}, nil
}

// Name implements framework.Plugin.
func (*DefaultBinder) Name() string { return framework.DefaultBinderName }

// Bind implements framework.BindPlugin.
func (pl *DefaultBinder) Bind(ctx context.Context, _ *framework.CycleState, pod *core.Pod, nodeName string) *framework.Status {
	c := pl.h.Client()
	if c == nil {
		return framework.AsStatus(fmt.Errorf("bind pod %s: %w", framework.PodKey(pod), framework.ErrNoClient))
	}
	pods, err := client.For[*core.Pod](c)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("bind pod %s: %w", framework.PodKey(pod), err))
	}
	b := &core.Binding{
		TypeMeta:   meta.TypeMeta{APIVersion: "v1", Kind: "Binding"},
		ObjectMeta: meta.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     core.ObjectReference{Kind: "Node", Name: nodeName},
	}
	if err := pods.Namespace(pod.Namespace).CreateSubresource(ctx, pod.Name, "binding", b, client.WriteOptions{}); err != nil {
		return framework.AsStatus(fmt.Errorf("bind pod %s to %s: %w", framework.PodKey(pod), nodeName, err))
	}
	return nil
}
