package containerd

import (
	"context"
	"fmt"
	"strings"
	"time"

	cg1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	cg2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	containerd "github.com/containerd/containerd"
	"github.com/containerd/typeurl/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// ContainerStats returns a container's CPU and memory usage (from its
// cgroup, through the task's metrics) and its writable layer's usage.
func (r *Runtime) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	ctx = r.ns(ctx)
	c, err := r.getContainer(req.GetContainerId())
	if err != nil {
		return nil, fmt.Errorf("ContainerStats: %w", err)
	}
	st, err := r.stats(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("ContainerStats %s: %w", c.id, err)
	}
	return &runtimeapi.ContainerStatsResponse{Stats: st}, nil
}

// ListContainerStats returns the stats of the containers matching the
// filter.
func (r *Runtime) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	ctx = r.ns(ctx)
	f := req.GetFilter()
	cf := &runtimeapi.ContainerFilter{Id: f.GetId(), PodSandboxId: f.GetPodSandboxId(), LabelSelector: f.GetLabelSelector()}
	r.mu.RLock()
	var cs []*container
	for _, c := range r.containers {
		if c.matches(cf) {
			cs = append(cs, c)
		}
	}
	r.mu.RUnlock()
	out := make([]*runtimeapi.ContainerStats, 0, len(cs))
	for _, c := range cs {
		st, err := r.stats(ctx, c)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, st)
	}
	return &runtimeapi.ListContainerStatsResponse{Stats: out}, nil
}

func (r *Runtime) stats(ctx context.Context, c *container) (*runtimeapi.ContainerStats, error) {
	r.mu.RLock()
	task, state := c.task, c.state
	st := &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{
		Id: c.id, Metadata: c.meta, Labels: c.labels, Annotations: c.annotations,
	}}
	r.mu.RUnlock()
	now := time.Now().UnixNano()
	if task != nil && state == runtimeapi.ContainerState_CONTAINER_RUNNING {
		cpu, ws, err := taskUsage(ctx, task)
		if err != nil {
			return nil, err
		}
		st.Cpu = &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}}
		st.Memory = &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws}}
	}
	if u, err := r.client.SnapshotService(r.opts.Snapshotter).Usage(ctx, c.id); err == nil {
		st.WritableLayer = &runtimeapi.FilesystemUsage{
			Timestamp:  now,
			FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: r.opts.Snapshotter},
			UsedBytes:  &runtimeapi.UInt64Value{Value: uint64(u.Size)},
			InodesUsed: &runtimeapi.UInt64Value{Value: uint64(u.Inodes)},
		}
	}
	return st, nil
}

// taskUsage returns a task's CPU time (ns) and memory working set (bytes)
// from its cgroup metrics.
func taskUsage(ctx context.Context, task containerd.Task) (cpu, ws uint64, err error) {
	m, err := task.Metrics(ctx)
	if err != nil {
		return 0, 0, mapErr(err)
	}
	data, err := typeurl.UnmarshalAny(m.Data)
	if err != nil {
		return 0, 0, fmt.Errorf("decode metrics: %w", err)
	}
	switch v := data.(type) {
	case *cg1.Metrics:
		cpu = v.GetCPU().GetUsage().GetTotal()
		usage, inactive := v.GetMemory().GetUsage().GetUsage(), v.GetMemory().GetTotalInactiveFile()
		if usage > inactive {
			ws = usage - inactive
		}
	case *cg2.Metrics:
		cpu = v.GetCPU().GetUsageUsec() * 1000
		usage, inactive := v.GetMemory().GetUsage(), v.GetMemory().GetInactiveFile()
		if usage > inactive {
			ws = usage - inactive
		}
	default:
		return 0, 0, fmt.Errorf("unknown metrics type %T: %w", data, cri.ErrUnimplemented)
	}
	return cpu, ws, nil
}

// PodSandboxStats returns a sandbox's usage: the sum over its pause
// process and containers, with each container's stats.
func (r *Runtime) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	ctx = r.ns(ctx)
	sb, err := r.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, fmt.Errorf("PodSandboxStats: %w", err)
	}
	st, err := r.sandboxStats(ctx, sb)
	if err != nil {
		return nil, fmt.Errorf("PodSandboxStats %s: %w", sb.id, err)
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: st}, nil
}

// ListPodSandboxStats returns the usage of the sandboxes matching the
// filter.
func (r *Runtime) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	ctx = r.ns(ctx)
	f := req.GetFilter()
	r.mu.RLock()
	var sbs []*sandbox
	for _, sb := range r.sandboxes {
		if (f.GetId() == "" || strings.HasPrefix(sb.id, f.GetId())) && labelSelected(sb.labels, f.GetLabelSelector()) {
			sbs = append(sbs, sb)
		}
	}
	r.mu.RUnlock()
	out := make([]*runtimeapi.PodSandboxStats, 0, len(sbs))
	for _, sb := range sbs {
		st, err := r.sandboxStats(ctx, sb)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, st)
	}
	return &runtimeapi.ListPodSandboxStatsResponse{Stats: out}, nil
}

func (r *Runtime) sandboxStats(ctx context.Context, sb *sandbox) (*runtimeapi.PodSandboxStats, error) {
	r.mu.RLock()
	attrs := &runtimeapi.PodSandboxAttributes{Id: sb.id, Metadata: sb.meta, Labels: sb.labels, Annotations: sb.annotations}
	ready := sb.state == runtimeapi.PodSandboxState_SANDBOX_READY
	r.mu.RUnlock()
	now := time.Now().UnixNano()
	var cpu, mem uint64
	linux := &runtimeapi.LinuxPodSandboxStats{}
	if ready {
		if cont, err := r.client.LoadContainer(ctx, sb.id); err == nil {
			if task, err := cont.Task(ctx, nil); err == nil {
				if c, m, err := taskUsage(ctx, task); err == nil {
					cpu, mem = cpu+c, mem+m
				}
			}
		}
	}
	for _, c := range r.sandboxContainers(sb.id) {
		st, err := r.stats(ctx, c)
		if err != nil {
			continue
		}
		cpu += st.GetCpu().GetUsageCoreNanoSeconds().GetValue()
		mem += st.GetMemory().GetWorkingSetBytes().GetValue()
		linux.Containers = append(linux.Containers, st)
	}
	linux.Cpu = &runtimeapi.CpuUsage{Timestamp: now, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}}
	linux.Memory = &runtimeapi.MemoryUsage{Timestamp: now, WorkingSetBytes: &runtimeapi.UInt64Value{Value: mem}}
	return &runtimeapi.PodSandboxStats{Attributes: attrs, Linux: linux}, nil
}
