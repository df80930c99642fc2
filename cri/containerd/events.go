package containerd

import (
	"context"
	"errors"
	"fmt"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// subscriberBuffer is how many events a GetContainerEvents caller may fall
// behind before it is dropped.
const subscriberBuffer = 1024

type subscriber struct {
	ch      chan *runtimeapi.ContainerEventResponse
	dropped chan struct{}
}

// publish sends a container event to every subscriber without blocking; a
// subscriber whose buffer is full is dropped.
func (r *Runtime) publish(c *container, typ runtimeapi.ContainerEventType) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.subs) == 0 {
		return
	}
	ev := &runtimeapi.ContainerEventResponse{
		ContainerId:        c.id,
		ContainerEventType: typ,
		CreatedAt:          time.Now().UnixNano(),
	}
	if sb := r.sandboxes[c.sandboxID]; sb != nil {
		ev.PodSandboxStatus = sb.status()
	}
	for s := range r.subs {
		select {
		case s.ch <- ev:
		default:
			close(s.dropped)
			delete(r.subs, s)
		}
	}
}

// GetContainerEvents calls fn for each container event (created, started,
// stopped, deleted) from now on, until ctx is done or fn fails.
func (r *Runtime) GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	if fn == nil {
		return fmt.Errorf("GetContainerEvents: nil callback: %w", cri.ErrInvalidArgument)
	}
	s := &subscriber{ch: make(chan *runtimeapi.ContainerEventResponse, subscriberBuffer), dropped: make(chan struct{})}
	r.mu.Lock()
	r.subs[s] = struct{}{}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.subs, s)
		r.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-s.ch:
			if err := fn(ev); err != nil {
				return err
			}
		case <-s.dropped:
			for {
				select {
				case ev := <-s.ch:
					if err := fn(ev); err != nil {
						return err
					}
				default:
					return fmt.Errorf("GetContainerEvents: subscriber fell %d events behind: %w", subscriberBuffer, cri.ErrUnavailable)
				}
			}
		}
	}
}

func isCRINotFound(err error) bool { return errors.Is(err, cri.ErrNotFound) }
