package cri

import (
	"context"
	"fmt"
	"sync"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// EventBuffer is how many events a GetContainerEvents caller may fall
// behind before an EventBroadcaster drops it.
const EventBuffer = 1024

// EventBroadcaster fans container events out to GetContainerEvents
// callers, for RuntimeService implementations. Publish never blocks: a
// subscriber that falls EventBuffer events behind is dropped, and its
// Subscribe call returns an error wrapping ErrUnavailable after delivering
// what it had buffered (the kubelet then relists). The zero value is ready
// to use; it is safe for concurrent use.
type EventBroadcaster struct {
	mu   sync.Mutex
	subs map[*eventSubscriber]struct{}
}

type eventSubscriber struct {
	ch      chan *runtimeapi.ContainerEventResponse
	dropped chan struct{}
}

// Subscribers returns the number of active subscribers; runtimes skip
// building events nobody listens to.
func (b *EventBroadcaster) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Publish sends ev to every subscriber without blocking.
func (b *EventBroadcaster) Publish(ev *runtimeapi.ContainerEventResponse) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- ev:
		default:
			close(s.dropped)
			delete(b.subs, s)
		}
	}
}

// Subscribe calls fn for each published event, in order, until ctx is done
// (returning ctx.Err()), fn fails (returning its error) or the subscriber is
// dropped for falling behind.
func (b *EventBroadcaster) Subscribe(ctx context.Context, fn ContainerEventsFunc) error {
	if fn == nil {
		return fmt.Errorf("GetContainerEvents: nil callback: %w", ErrInvalidArgument)
	}
	s := &eventSubscriber{ch: make(chan *runtimeapi.ContainerEventResponse, EventBuffer), dropped: make(chan struct{})}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*eventSubscriber]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
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
					return fmt.Errorf("GetContainerEvents: subscriber fell %d events behind: %w", EventBuffer, ErrUnavailable)
				}
			}
		}
	}
}
