package fake

import (
	"context"
	"fmt"

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

// publish sends ev to every subscriber without blocking; a subscriber whose
// buffer is full is dropped. r.mu must be held.
func (r *Runtime) publish(ev *runtimeapi.ContainerEventResponse) {
	for s := range r.subs {
		select {
		case s.ch <- ev:
		default:
			close(s.dropped)
			delete(r.subs, s)
		}
	}
}

// GetContainerEvents calls fn for every sandbox and container lifecycle event
// (created, started, stopped, deleted) from now on, until ctx is done or fn
// fails.
func (r *Runtime) GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	if err := r.enter(ctx, "GetContainerEvents", req); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("fake: GetContainerEvents: nil callback: %w", cri.ErrInvalidArgument)
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
			// Deliver what was buffered, then report the drop.
			for {
				select {
				case ev := <-s.ch:
					if err := fn(ev); err != nil {
						return err
					}
				default:
					return fmt.Errorf("fake: event subscriber fell %d events behind: %w", subscriberBuffer, cri.ErrUnavailable)
				}
			}
		}
	}
}

// subscribers returns the number of active GetContainerEvents calls.
func (r *Runtime) subscribers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.subs)
}
