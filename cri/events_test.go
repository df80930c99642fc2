package cri

import (
	"context"
	"errors"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestEventBroadcaster(t *testing.T) {
	var b EventBroadcaster
	if err := b.Subscribe(context.Background(), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("nil callback: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- b.Subscribe(ctx, func(ev *runtimeapi.ContainerEventResponse) error { got <- ev.ContainerId; return nil })
	}()
	for b.Subscribers() == 0 {
		time.Sleep(time.Millisecond)
	}
	b.Publish(&runtimeapi.ContainerEventResponse{ContainerId: "a"})
	b.Publish(&runtimeapi.ContainerEventResponse{ContainerId: "b"})
	if x, y := <-got, <-got; x != "a" || y != "b" {
		t.Fatalf("order: %s %s", x, y)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || b.Subscribers() != 0 {
		t.Fatalf("after cancel: %v, %d subscribers", err, b.Subscribers())
	}
	// A subscriber that falls behind is dropped after draining its buffer.
	block := make(chan struct{})
	n := 0
	go func() {
		done <- b.Subscribe(context.Background(), func(*runtimeapi.ContainerEventResponse) error { <-block; n++; return nil })
	}()
	for b.Subscribers() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range EventBuffer + 5 {
		b.Publish(&runtimeapi.ContainerEventResponse{})
	}
	close(block)
	if err := <-done; !errors.Is(err, ErrUnavailable) || n < EventBuffer {
		t.Fatalf("slow subscriber: %v after %d events", err, n)
	}
}
