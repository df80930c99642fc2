package fake

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// GetContainerEvents calls fn for every sandbox and container lifecycle event
// (created, started, stopped, deleted) from now on, until ctx is done or fn
// fails.
func (r *Runtime) GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	if err := r.enter(ctx, "GetContainerEvents", req); err != nil {
		return err
	}
	return r.events.Subscribe(ctx, fn)
}

// subscribers returns the number of active GetContainerEvents calls.
func (r *Runtime) subscribers() int { return r.events.Subscribers() }
