package deepcopytest

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/longshore/longshore/api/core"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder in its own goroutine (Fatalf ends it).
func run(fn func(tb testing.TB)) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.failed
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		copyFn func(*core.Pod) *core.Pod
		fail   bool
	}{
		{"deep copy passes", (*core.Pod).DeepCopy, false},
		{"shallow copy fails", func(p *core.Pod) *core.Pod { c := *p; return &c }, true},
		{"copy sharing one map fails", func(p *core.Pod) *core.Pod {
			c := p.DeepCopy()
			c.Labels = p.Labels
			return c
		}, true},
		{"copy sharing a nested pointer fails", func(p *core.Pod) *core.Pod {
			c := p.DeepCopy()
			c.Spec.Containers[1].SecurityContext.RunAsUser = p.Spec.Containers[1].SecurityContext.RunAsUser
			return c
		}, true},
		{"lossy copy fails", func(p *core.Pod) *core.Pod {
			c := p.DeepCopy()
			c.Status.ContainerStatuses = nil
			return c
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := run(func(tb testing.TB) {
				Check(tb, func() *core.Pod { return &core.Pod{} }, tt.copyFn)
			})
			if got := len(failed) > 0; got != tt.fail {
				t.Errorf("failed=%v (%q), want %v", got, failed, tt.fail)
			}
		})
	}
}

func TestFillReachesEveryField(t *testing.T) {
	var p core.Pod
	Fill(&p, 1)
	c := p.Spec.Containers[0]
	if c.LivenessProbe.HTTPGet.Port.String() == "" || c.Resources.Limits == nil || p.Spec.Volumes[1].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds == nil {
		t.Errorf("Fill missed nested fields: %+v", c)
	}
	if p.Status.StartTime.IsZero() || p.CreationTimestamp.IsZero() {
		t.Error("Fill missed times")
	}
}
