package kubelet

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// eventStream is a runtime whose container event stream breaks at once,
// after delivering one event when deliver is set.
type eventStream struct {
	cri.RuntimeService
	deliver bool
	opens   atomic.Int32
}

func (s *eventStream) GetContainerEvents(ctx context.Context, _ *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	s.opens.Add(1)
	if s.deliver {
		if err := fn(&runtimeapi.ContainerEventResponse{ContainerId: "c"}); err != nil {
			return err
		}
	}
	return errors.New("stream broken")
}

// TestEventStreamBackoff checks that a stream that worked is reopened
// after the shortest delay every time (a runtime restart), while one that
// fails at once backs off.
func TestEventStreamBackoff(t *testing.T) {
	defer func(d time.Duration) { eventsRetryMin = d }(eventsRetryMin)
	eventsRetryMin = 10 * time.Millisecond
	opens := func(deliver bool) int32 {
		s := &eventStream{deliver: deliver}
		k := &Kubelet{rt: s, workers: map[string]*podWorker{}}
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		k.watchEvents(ctx)
		return s.opens.Load()
	}
	// 10 ms each time: about 40 opens in 400 ms.
	if n := opens(true); n < 20 {
		t.Errorf("a stream that delivered was reopened %d times in 400 ms, want at least 20 (delay reset to 10 ms)", n)
	}
	// 10, 20, 40, 80, 160 ms: 6 opens in 400 ms.
	if n := opens(false); n > 8 {
		t.Errorf("a stream that never delivered was reopened %d times in 400 ms, want at most 8 (doubling delay)", n)
	}
}
