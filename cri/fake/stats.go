package fake

import (
	"context"
	"fmt"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// fakeWorkingSet is the memory every running container reports.
const fakeWorkingSet = 4 << 20

// containerStats simulates usage: CPU time grows at 1% of a core while the
// container runs; memory is fakeWorkingSet while it runs. r.mu must be held.
func (r *Runtime) containerStats(c *container) *runtimeapi.ContainerStats {
	now := r.clock.Now()
	var cpu, mem uint64
	if !c.startedAt.IsZero() {
		end := now
		if !c.finishedAt.IsZero() {
			end = c.finishedAt
		}
		if d := end.Sub(c.startedAt); d > 0 {
			cpu = uint64(d.Nanoseconds() / 100)
		}
	}
	if c.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
		mem = fakeWorkingSet
	}
	return &runtimeapi.ContainerStats{
		Attributes: &runtimeapi.ContainerAttributes{
			Id:          c.id,
			Metadata:    c.config.GetMetadata(),
			Labels:      c.config.GetLabels(),
			Annotations: c.config.GetAnnotations(),
		},
		Cpu:    &runtimeapi.CpuUsage{Timestamp: nanos(now), UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}},
		Memory: &runtimeapi.MemoryUsage{Timestamp: nanos(now), WorkingSetBytes: &runtimeapi.UInt64Value{Value: mem}},
		WritableLayer: &runtimeapi.FilesystemUsage{
			Timestamp: nanos(now),
			FsId:      &runtimeapi.FilesystemIdentifier{Mountpoint: "/fake/containers"},
			UsedBytes: &runtimeapi.UInt64Value{},
		},
	}
}

// ContainerStats returns one container's simulated usage.
func (r *Runtime) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	if err := r.enter(ctx, "ContainerStats", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupContainer(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: r.containerStats(c)}, nil
}

// ListContainerStats returns the usage of containers matching the filter.
func (r *Runtime) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	if err := r.enter(ctx, "ListContainerStats", req); err != nil {
		return nil, err
	}
	f := req.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ListContainerStatsResponse{}
	for _, c := range r.sortedContainers() {
		if matchID(f.GetId(), c.id) && matchID(f.GetPodSandboxId(), c.sandboxID) && matchLabels(f.GetLabelSelector(), c.config.GetLabels()) {
			resp.Stats = append(resp.Stats, r.containerStats(c))
		}
	}
	return resp, nil
}

// sandboxStats sums its containers' usage. r.mu must be held.
func (r *Runtime) sandboxStats(s *sandbox) *runtimeapi.PodSandboxStats {
	now := nanos(r.clock.Now())
	var cpu, mem uint64
	var ctrs []*runtimeapi.ContainerStats
	for _, c := range r.sortedContainers() {
		if c.sandboxID != s.id {
			continue
		}
		cs := r.containerStats(c)
		cpu += cs.Cpu.UsageCoreNanoSeconds.Value
		mem += cs.Memory.WorkingSetBytes.Value
		ctrs = append(ctrs, cs)
	}
	return &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{
			Id:          s.id,
			Metadata:    s.config.GetMetadata(),
			Labels:      s.config.GetLabels(),
			Annotations: s.config.GetAnnotations(),
		},
		Linux: &runtimeapi.LinuxPodSandboxStats{
			Cpu:        &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}},
			Memory:     &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: &runtimeapi.UInt64Value{Value: mem}},
			Containers: ctrs,
		},
	}
}

// PodSandboxStats returns one sandbox's simulated usage.
func (r *Runtime) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	if err := r.enter(ctx, "PodSandboxStats", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sandboxes[req.GetPodSandboxId()]
	if s == nil {
		return nil, fmt.Errorf("fake: sandbox %q: %w", req.GetPodSandboxId(), cri.ErrNotFound)
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: r.sandboxStats(s)}, nil
}

// ListPodSandboxStats returns the usage of sandboxes matching the filter.
func (r *Runtime) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	if err := r.enter(ctx, "ListPodSandboxStats", req); err != nil {
		return nil, err
	}
	f := req.GetFilter()
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ListPodSandboxStatsResponse{}
	for _, s := range r.sortedSandboxes() {
		if matchID(f.GetId(), s.id) && matchLabels(f.GetLabelSelector(), s.config.GetLabels()) {
			resp.Stats = append(resp.Stats, r.sandboxStats(s))
		}
	}
	return resp, nil
}
