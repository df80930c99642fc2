package containerd

import (
	"context"
	"errors"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// publish sends a container event to the GetContainerEvents callers.
func (r *Runtime) publish(c *container, typ runtimeapi.ContainerEventType) {
	if r.events.Subscribers() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := &runtimeapi.ContainerEventResponse{
		ContainerId:        c.id,
		ContainerEventType: typ,
		CreatedAt:          time.Now().UnixNano(),
	}
	if sb := r.sandboxes[c.sandboxID]; sb != nil {
		ev.PodSandboxStatus = sb.status()
	}
	r.events.Publish(ev)
}

// GetContainerEvents calls fn for each container event (created, started,
// stopped, deleted) from now on, until ctx is done or fn fails.
func (r *Runtime) GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	return r.events.Subscribe(ctx, fn)
}

func isCRINotFound(err error) bool { return errors.Is(err, cri.ErrNotFound) }
