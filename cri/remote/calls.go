package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// Version calls the runtime's Version.
func (c *Client) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "Version", c.rt.Version, req)
}

// PodSandboxStatus calls the runtime's PodSandboxStatus.
func (c *Client) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "PodSandboxStatus", c.rt.PodSandboxStatus, req)
}

// ListPodSandbox calls the runtime's ListPodSandbox.
func (c *Client) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListPodSandbox", c.rt.ListPodSandbox, req)
}

// ListContainers calls the runtime's ListContainers.
func (c *Client) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListContainers", c.rt.ListContainers, req)
}

// ContainerStatus calls the runtime's ContainerStatus.
func (c *Client) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ContainerStatus", c.rt.ContainerStatus, req)
}

// ContainerStats calls the runtime's ContainerStats.
func (c *Client) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ContainerStats", c.rt.ContainerStats, req)
}

// ListContainerStats calls the runtime's ListContainerStats.
func (c *Client) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListContainerStats", c.rt.ListContainerStats, req)
}

// PodSandboxStats calls the runtime's PodSandboxStats.
func (c *Client) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "PodSandboxStats", c.rt.PodSandboxStats, req)
}

// ListPodSandboxStats calls the runtime's ListPodSandboxStats.
func (c *Client) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListPodSandboxStats", c.rt.ListPodSandboxStats, req)
}

// Status calls the runtime's Status.
func (c *Client) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "Status", c.rt.Status, req)
}

// ListMetricDescriptors calls the runtime's ListMetricDescriptors.
func (c *Client) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListMetricDescriptors", c.rt.ListMetricDescriptors, req)
}

// ListPodSandboxMetrics calls the runtime's ListPodSandboxMetrics.
func (c *Client) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListPodSandboxMetrics", c.rt.ListPodSandboxMetrics, req)
}

// RunPodSandbox calls the runtime's RunPodSandbox.
func (c *Client) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	return call(ctx, c, c.opts.Timeout, "RunPodSandbox", c.rt.RunPodSandbox, req)
}

// StopPodSandbox calls the runtime's StopPodSandbox.
func (c *Client) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	return call(ctx, c, c.opts.Timeout, "StopPodSandbox", c.rt.StopPodSandbox, req)
}

// RemovePodSandbox calls the runtime's RemovePodSandbox.
func (c *Client) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	return call(ctx, c, c.opts.Timeout, "RemovePodSandbox", c.rt.RemovePodSandbox, req)
}

// CreateContainer calls the runtime's CreateContainer.
func (c *Client) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	return call(ctx, c, c.opts.Timeout, "CreateContainer", c.rt.CreateContainer, req)
}

// StartContainer calls the runtime's StartContainer.
func (c *Client) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	return call(ctx, c, c.opts.Timeout, "StartContainer", c.rt.StartContainer, req)
}

// RemoveContainer calls the runtime's RemoveContainer.
func (c *Client) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	return call(ctx, c, c.opts.Timeout, "RemoveContainer", c.rt.RemoveContainer, req)
}

// UpdateContainerResources calls the runtime's UpdateContainerResources.
func (c *Client) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	return call(ctx, c, c.opts.Timeout, "UpdateContainerResources", c.rt.UpdateContainerResources, req)
}

// ReopenContainerLog calls the runtime's ReopenContainerLog.
func (c *Client) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	return call(ctx, c, c.opts.Timeout, "ReopenContainerLog", c.rt.ReopenContainerLog, req)
}

// Exec calls the runtime's Exec.
func (c *Client) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return call(ctx, c, c.opts.Timeout, "Exec", c.rt.Exec, req)
}

// Attach calls the runtime's Attach.
func (c *Client) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return call(ctx, c, c.opts.Timeout, "Attach", c.rt.Attach, req)
}

// PortForward calls the runtime's PortForward.
func (c *Client) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return call(ctx, c, c.opts.Timeout, "PortForward", c.rt.PortForward, req)
}

// UpdateRuntimeConfig calls the runtime's UpdateRuntimeConfig.
func (c *Client) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	return call(ctx, c, c.opts.Timeout, "UpdateRuntimeConfig", c.rt.UpdateRuntimeConfig, req)
}

// ListImages calls the runtime's ListImages.
func (c *Client) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ListImages", c.img.ListImages, req)
}

// ImageStatus calls the runtime's ImageStatus.
func (c *Client) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ImageStatus", c.img.ImageStatus, req)
}

// ImageFsInfo calls the runtime's ImageFsInfo.
func (c *Client) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	return call(ctx, c, c.opts.StatusTimeout, "ImageFsInfo", c.img.ImageFsInfo, req)
}

// PullImage calls the runtime's PullImage.
func (c *Client) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	return call(ctx, c, c.opts.Timeout, "PullImage", c.img.PullImage, req)
}

// RemoveImage calls the runtime's RemoveImage.
func (c *Client) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	return call(ctx, c, c.opts.Timeout, "RemoveImage", c.img.RemoveImage, req)
}

// StopContainer calls the runtime's StopContainer, allowing req.Timeout
// seconds of grace on top of Options.Timeout.
func (c *Client) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	d := c.opts.Timeout + time.Duration(req.GetTimeout())*time.Second
	return call(ctx, c, d, "StopContainer", c.rt.StopContainer, req)
}

// ExecSync calls the runtime's ExecSync. With a req.Timeout the call may
// take that long plus Options.StatusTimeout; without, Options.Timeout.
func (c *Client) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	d := c.opts.Timeout
	if req.GetTimeout() > 0 {
		d = time.Duration(req.GetTimeout())*time.Second + c.opts.StatusTimeout
	}
	return call(ctx, c, d, "ExecSync", c.rt.ExecSync, req)
}

// GetContainerEvents streams the runtime's container events into fn until
// ctx is done (returning ctx.Err()), fn fails, or the stream breaks.
func (c *Client) GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn cri.ContainerEventsFunc) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rt.GetContainerEvents(ctx, req)
	if err != nil {
		return fmt.Errorf("GetContainerEvents: %w", cri.FromStatus(err))
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("GetContainerEvents: stream ended by the runtime: %w", cri.ErrUnavailable)
			}
			return fmt.Errorf("GetContainerEvents: %w", cri.FromStatus(err))
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
}
