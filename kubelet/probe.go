package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// probeKind is one of the three probes of a container.
type probeKind int

const (
	probeStartup probeKind = iota
	probeLiveness
	probeReadiness
)

func (p probeKind) String() string {
	return [...]string{"startup", "liveness", "readiness"}[p]
}

// probeResult is what the probes of one running container found.
type probeResult struct {
	started, ready bool
	livenessFailed bool
	startupFailed  bool
	failMessage    string
	cancel         context.CancelFunc
	podUID         string
}

// probeManager runs a goroutine per probe of each running container that
// has probes (containers without probes cost nothing) and keeps the
// results the pod workers read.
type probeManager struct {
	k  *Kubelet
	mu sync.Mutex
	by map[string]*probeResult // by container ID
}

func newProbeManager(k *Kubelet) *probeManager {
	return &probeManager{k: k, by: map[string]*probeResult{}}
}

// ensure starts the probe workers of a running container once.
func (m *probeManager) ensure(ctx context.Context, pod *core.Pod, c *core.Container, id string) *probeResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.by[id]; ok {
		return r
	}
	r := &probeResult{started: c.StartupProbe == nil, ready: c.ReadinessProbe == nil, podUID: pod.UID}
	m.by[id] = r
	if c.StartupProbe == nil && c.LivenessProbe == nil && c.ReadinessProbe == nil {
		return r
	}
	ctx, r.cancel = context.WithCancel(ctx)
	for kind, p := range map[probeKind]*core.Probe{probeStartup: c.StartupProbe, probeLiveness: c.LivenessProbe, probeReadiness: c.ReadinessProbe} {
		if p != nil {
			go m.run(ctx, pod, c, id, kind, withProbeDefaults(p))
		}
	}
	return r
}

// withProbeDefaults fills Kubernetes' probe defaults: period 10 s,
// timeout 1 s, success threshold 1, failure threshold 3.
func withProbeDefaults(p *core.Probe) core.Probe {
	q := *p
	if q.PeriodSeconds <= 0 {
		q.PeriodSeconds = 10
	}
	if q.TimeoutSeconds <= 0 {
		q.TimeoutSeconds = 1
	}
	if q.SuccessThreshold <= 0 {
		q.SuccessThreshold = 1
	}
	if q.FailureThreshold <= 0 {
		q.FailureThreshold = 3
	}
	return q
}

// state reports whether the container has started (its startup probe
// passed) and is ready (its readiness probe passes). It starts the
// container's probes on first sight.
func (m *probeManager) state(pod *core.Pod, c *core.Container, id string) (started, ready bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.by[id]
	if !ok {
		return c.StartupProbe == nil, c.StartupProbe == nil && c.ReadinessProbe == nil
	}
	return r.started, r.started && r.ready
}

// shouldKill reports whether a liveness or startup probe failed, and the
// grace period to kill the container with.
func (m *probeManager) shouldKill(pod *core.Pod, c *core.Container, id string) (string, int64, bool) {
	m.mu.Lock()
	r, ok := m.by[id]
	m.mu.Unlock()
	if !ok || !(r.livenessFailed || r.startupFailed) {
		return "", 0, false
	}
	grace := gracePeriod(pod)
	p := c.LivenessProbe
	if r.startupFailed {
		p = c.StartupProbe
	}
	if p != nil && p.TerminationGracePeriodSeconds != nil {
		grace = *p.TerminationGracePeriodSeconds
	}
	return r.failMessage, grace, true
}

func (m *probeManager) removeContainer(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.by[id]; ok {
		if r.cancel != nil {
			r.cancel()
		}
		delete(m.by, id)
	}
}

func (m *probeManager) removePod(uid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, r := range m.by {
		if r.podUID == uid {
			if r.cancel != nil {
				r.cancel()
			}
			delete(m.by, id)
		}
	}
}

// run probes one container on the probe's period until ctx ends or the
// probe's work is done (a startup probe that passed, a liveness probe that
// failed for good).
func (m *probeManager) run(ctx context.Context, pod *core.Pod, c *core.Container, id string, kind probeKind, p core.Probe) {
	if !sleepFor(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return
	}
	period := time.Duration(p.PeriodSeconds) * time.Second
	var successes, failures int32
	for {
		m.mu.Lock()
		r, ok := m.by[id]
		started := ok && r.started
		m.mu.Unlock()
		if !ok {
			return
		}
		if kind == probeStartup || started {
			err := m.probe(ctx, pod, c, id, p)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				successes, failures = successes+1, 0
			} else {
				successes, failures = 0, failures+1
			}
			changed, done := m.record(r, kind, p, successes, failures, err)
			if changed {
				m.k.wakePod(pod.UID)
			}
			if done {
				return
			}
		}
		if !sleepFor(ctx, period) {
			return
		}
	}
}

// record applies the thresholds; it returns whether the result changed
// and whether this probe has nothing more to do.
func (m *probeManager) record(r *probeResult, kind probeKind, p core.Probe, successes, failures int32, err error) (changed, done bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch kind {
	case probeStartup:
		if successes >= 1 && !r.started {
			r.started = true
			return true, true
		}
		if failures >= p.FailureThreshold {
			r.startupFailed, r.failMessage = true, fmt.Sprintf("Startup probe failed: %v", err)
			return true, true
		}
	case probeLiveness:
		if failures >= p.FailureThreshold {
			r.livenessFailed, r.failMessage = true, fmt.Sprintf("Liveness probe failed: %v", err)
			return true, true
		}
	case probeReadiness:
		if successes >= p.SuccessThreshold && !r.ready {
			r.ready = true
			return true, false
		}
		if failures >= p.FailureThreshold && r.ready {
			r.ready = false
			return true, false
		}
	}
	return false, false
}

// probe runs one probe action against the container: exec through the
// runtime, HTTP GET or TCP connect from the node to the pod's IP.
func (m *probeManager) probe(ctx context.Context, pod *core.Pod, c *core.Container, id string, p core.Probe) error {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	switch {
	case p.Exec != nil:
		resp, err := m.k.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: p.Exec.Command, Timeout: int64(p.TimeoutSeconds)})
		if err != nil {
			return err
		}
		if resp.ExitCode != 0 {
			return fmt.Errorf("command %v exited with %d: %s", p.Exec.Command, resp.ExitCode, resp.Stdout)
		}
		return nil
	case p.HTTPGet != nil:
		u, err := httpURL(pod, c, p.HTTPGet, m.k.podIP(pod))
		if err != nil {
			return err
		}
		return httpCheck(ctx, m.k.podHTTP, u, p.HTTPGet.HTTPHeaders, timeout)
	case p.TCPSocket != nil:
		addr, err := tcpAddr(pod, c, p.TCPSocket, m.k.podIP(pod))
		if err != nil {
			return err
		}
		return m.k.tcpCheck(ctx, addr, timeout)
	}
	return fmt.Errorf("probe has no supported action (gRPC probes are not implemented)")
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
