package fake

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

type sandbox struct {
	id          string
	nameKey     string
	config      *runtimeapi.PodSandboxConfig
	handler     string
	state       runtimeapi.PodSandboxState
	createdAt   time.Time
	ip          netip.Addr // invalid for host network or once stopped
	hostNetwork bool
}

func (s *sandbox) status(hostIP string) *runtimeapi.PodSandboxStatus {
	st := &runtimeapi.PodSandboxStatus{
		Id:             s.id,
		Metadata:       s.config.GetMetadata(),
		State:          s.state,
		CreatedAt:      nanos(s.createdAt),
		Labels:         s.config.GetLabels(),
		Annotations:    s.config.GetAnnotations(),
		RuntimeHandler: s.handler,
		Network:        &runtimeapi.PodSandboxNetworkStatus{},
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{
			Options: s.config.GetLinux().GetSecurityContext().GetNamespaceOptions(),
		}},
	}
	switch {
	case s.hostNetwork:
		st.Network.Ip = hostIP
	case s.ip.IsValid():
		st.Network.Ip = s.ip.String()
	}
	return st
}

func (s *sandbox) api() *runtimeapi.PodSandbox {
	return &runtimeapi.PodSandbox{
		Id:             s.id,
		Metadata:       s.config.GetMetadata(),
		State:          s.state,
		CreatedAt:      nanos(s.createdAt),
		Labels:         s.config.GetLabels(),
		Annotations:    s.config.GetAnnotations(),
		RuntimeHandler: s.handler,
	}
}

func sandboxNameKey(m *runtimeapi.PodSandboxMetadata) string {
	return fmt.Sprintf("pod/%s/%s/%s/%d", m.GetNamespace(), m.GetName(), m.GetUid(), m.GetAttempt())
}

// sandboxEvent publishes a lifecycle event of s. r.mu must be held.
func (r *Runtime) sandboxEvent(s *sandbox, typ runtimeapi.ContainerEventType) {
	if r.events.Subscribers() == 0 {
		return
	}
	r.events.Publish(&runtimeapi.ContainerEventResponse{
		ContainerId:        s.id,
		ContainerEventType: typ,
		CreatedAt:          nanos(r.clock.Now()),
		PodSandboxStatus:   s.status(r.hostIP),
		ContainersStatuses: r.containerStatuses(s.id),
	})
}

// RunPodSandbox creates a ready sandbox with an IP from the pod CIDR (none
// for host network sandboxes).
func (r *Runtime) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	if err := r.enter(ctx, "RunPodSandbox", req); err != nil {
		return nil, err
	}
	cfg := req.GetConfig()
	if m := cfg.GetMetadata(); m == nil || m.GetName() == "" || m.GetNamespace() == "" || m.GetUid() == "" {
		return nil, fmt.Errorf("fake: RunPodSandbox: metadata name, namespace and uid are required: %w", cri.ErrInvalidArgument)
	}
	key := sandboxNameKey(cfg.GetMetadata())
	s := &sandbox{
		id:          newID(),
		nameKey:     key,
		config:      cfg,
		handler:     req.GetRuntimeHandler(),
		state:       runtimeapi.PodSandboxState_SANDBOX_READY,
		hostNetwork: cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() == runtimeapi.NamespaceMode_NODE,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.names[key]; ok {
		return nil, fmt.Errorf("fake: sandbox name %q is used by %s: %w", key, id, cri.ErrAlreadyExists)
	}
	if !s.hostNetwork {
		ip, err := r.ipam.allocate()
		if err != nil {
			return nil, err
		}
		s.ip = ip
	}
	s.createdAt = r.clock.Now()
	r.sandboxes[s.id] = s
	r.names[key] = s.id
	r.sandboxEvent(s, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	r.sandboxEvent(s, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	r.log.Debug("sandbox ready", "id", s.id, "name", key, "ip", s.ip)
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: s.id}, nil
}

// stopSandbox kills the sandbox's running containers and releases its IP.
// r.mu must be held.
func (r *Runtime) stopSandbox(s *sandbox) {
	if s.state == runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		return
	}
	for _, c := range r.containers {
		if c.sandboxID == s.id && c.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
			r.finish(c, exitKilled, "Error")
		}
	}
	if s.ip.IsValid() {
		r.ipam.release(s.ip)
		s.ip = netip.Addr{}
	}
	s.state = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	r.sandboxEvent(s, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
}

// StopPodSandbox kills the sandbox's containers and releases its IP.
// Stopping a stopped or missing sandbox succeeds.
func (r *Runtime) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	if err := r.enter(ctx, "StopPodSandbox", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sandboxes[req.GetPodSandboxId()]; s != nil {
		r.stopSandbox(s)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

// RemovePodSandbox stops the sandbox if needed and removes it with its
// containers. Removing a missing sandbox succeeds.
func (r *Runtime) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	if err := r.enter(ctx, "RemovePodSandbox", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sandboxes[req.GetPodSandboxId()]
	if s == nil {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	r.stopSandbox(s)
	for _, id := range sortedKeys(r.containers) {
		if c := r.containers[id]; c.sandboxID == s.id {
			r.removeContainer(c)
		}
	}
	delete(r.sandboxes, s.id)
	delete(r.names, s.nameKey)
	r.sandboxEvent(s, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// PodSandboxStatus returns the sandbox's status or ErrNotFound.
func (r *Runtime) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	if err := r.enter(ctx, "PodSandboxStatus", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sandboxes[req.GetPodSandboxId()]
	if s == nil {
		return nil, fmt.Errorf("fake: sandbox %q: %w", req.GetPodSandboxId(), cri.ErrNotFound)
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: s.status(r.hostIP), Timestamp: nanos(r.clock.Now())}
	resp.ContainersStatuses = r.containerStatuses(s.id)
	return resp, nil
}

// ListPodSandbox lists sandboxes matching the filter (ID prefix, state,
// labels), oldest first.
func (r *Runtime) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	if err := r.enter(ctx, "ListPodSandbox", req); err != nil {
		return nil, err
	}
	f := req.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ListPodSandboxResponse{}
	for _, s := range r.sortedSandboxes() {
		if !matchID(f.GetId(), s.id) || !matchLabels(f.GetLabelSelector(), s.config.GetLabels()) {
			continue
		}
		if f.GetState() != nil && f.GetState().GetState() != s.state {
			continue
		}
		resp.Items = append(resp.Items, s.api())
	}
	return resp, nil
}

// sortedSandboxes returns the sandboxes oldest first. r.mu must be held.
func (r *Runtime) sortedSandboxes() []*sandbox {
	out := make([]*sandbox, 0, len(r.sandboxes))
	for _, id := range sortedKeys(r.sandboxes) {
		out = append(out, r.sandboxes[id])
	}
	slices.SortStableFunc(out, func(a, b *sandbox) int { return a.createdAt.Compare(b.createdAt) })
	return out
}

// PortForward returns a streaming URL under Options.StreamingURL.
func (r *Runtime) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	if err := r.enter(ctx, "PortForward", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	s := r.sandboxes[req.GetPodSandboxId()]
	r.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("fake: sandbox %q: %w", req.GetPodSandboxId(), cri.ErrNotFound)
	}
	u, err := r.streamURL("portforward")
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PortForwardResponse{Url: u}, nil
}

// IPsInUse returns how many pod IPs are allocated, so tests can check that
// stopped sandboxes gave theirs back.
func (r *Runtime) IPsInUse() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ipam.inUse()
}
