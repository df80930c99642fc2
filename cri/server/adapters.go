package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// runtimeServer adapts a cri.RuntimeService to the generated gRPC server
// interface. Calls outside the contract fall through to the embedded
// Unimplemented server.
type runtimeServer struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	rt cri.RuntimeService
}

// imageServer adapts a cri.ImageService.
type imageServer struct {
	runtimeapi.UnimplementedImageServiceServer
	img cri.ImageService
}

// GetContainerEvents streams the runtime's events to the client until it
// goes away.
func (s *runtimeServer) GetContainerEvents(req *runtimeapi.GetEventsRequest, stream grpc.ServerStreamingServer[runtimeapi.ContainerEventResponse]) error {
	return s.rt.GetContainerEvents(stream.Context(), req, stream.Send)
}

// ListMetricDescriptors answers when the runtime is a
// cri.PodSandboxMetricsLister.
func (s *runtimeServer) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	m, ok := s.rt.(cri.PodSandboxMetricsLister)
	if !ok {
		return nil, fmt.Errorf("ListMetricDescriptors: %w", cri.ErrUnimplemented)
	}
	return m.ListMetricDescriptors(ctx, req)
}

// ListPodSandboxMetrics answers when the runtime is a
// cri.PodSandboxMetricsLister.
func (s *runtimeServer) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	m, ok := s.rt.(cri.PodSandboxMetricsLister)
	if !ok {
		return nil, fmt.Errorf("ListPodSandboxMetrics: %w", cri.ErrUnimplemented)
	}
	return m.ListPodSandboxMetrics(ctx, req)
}

// Version forwards to the runtime.
func (s *runtimeServer) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return s.rt.Version(ctx, req)
}

// RunPodSandbox forwards to the runtime.
func (s *runtimeServer) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	return s.rt.RunPodSandbox(ctx, req)
}

// StopPodSandbox forwards to the runtime.
func (s *runtimeServer) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	return s.rt.StopPodSandbox(ctx, req)
}

// RemovePodSandbox forwards to the runtime.
func (s *runtimeServer) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	return s.rt.RemovePodSandbox(ctx, req)
}

// PodSandboxStatus forwards to the runtime.
func (s *runtimeServer) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	return s.rt.PodSandboxStatus(ctx, req)
}

// ListPodSandbox forwards to the runtime.
func (s *runtimeServer) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return s.rt.ListPodSandbox(ctx, req)
}

// CreateContainer forwards to the runtime.
func (s *runtimeServer) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	return s.rt.CreateContainer(ctx, req)
}

// StartContainer forwards to the runtime.
func (s *runtimeServer) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	return s.rt.StartContainer(ctx, req)
}

// StopContainer forwards to the runtime.
func (s *runtimeServer) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	return s.rt.StopContainer(ctx, req)
}

// RemoveContainer forwards to the runtime.
func (s *runtimeServer) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	return s.rt.RemoveContainer(ctx, req)
}

// ListContainers forwards to the runtime.
func (s *runtimeServer) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	return s.rt.ListContainers(ctx, req)
}

// ContainerStatus forwards to the runtime.
func (s *runtimeServer) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	return s.rt.ContainerStatus(ctx, req)
}

// UpdateContainerResources forwards to the runtime.
func (s *runtimeServer) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	return s.rt.UpdateContainerResources(ctx, req)
}

// ReopenContainerLog forwards to the runtime.
func (s *runtimeServer) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	return s.rt.ReopenContainerLog(ctx, req)
}

// ExecSync forwards to the runtime.
func (s *runtimeServer) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	return s.rt.ExecSync(ctx, req)
}

// Exec forwards to the runtime.
func (s *runtimeServer) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return s.rt.Exec(ctx, req)
}

// Attach forwards to the runtime.
func (s *runtimeServer) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return s.rt.Attach(ctx, req)
}

// PortForward forwards to the runtime.
func (s *runtimeServer) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return s.rt.PortForward(ctx, req)
}

// ContainerStats forwards to the runtime.
func (s *runtimeServer) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	return s.rt.ContainerStats(ctx, req)
}

// ListContainerStats forwards to the runtime.
func (s *runtimeServer) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	return s.rt.ListContainerStats(ctx, req)
}

// PodSandboxStats forwards to the runtime.
func (s *runtimeServer) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	return s.rt.PodSandboxStats(ctx, req)
}

// ListPodSandboxStats forwards to the runtime.
func (s *runtimeServer) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	return s.rt.ListPodSandboxStats(ctx, req)
}

// UpdateRuntimeConfig forwards to the runtime.
func (s *runtimeServer) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	return s.rt.UpdateRuntimeConfig(ctx, req)
}

// Status forwards to the runtime.
func (s *runtimeServer) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	return s.rt.Status(ctx, req)
}

// ListImages forwards to the image service.
func (s *imageServer) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	return s.img.ListImages(ctx, req)
}

// ImageStatus forwards to the image service.
func (s *imageServer) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	return s.img.ImageStatus(ctx, req)
}

// PullImage forwards to the image service.
func (s *imageServer) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	return s.img.PullImage(ctx, req)
}

// RemoveImage forwards to the image service.
func (s *imageServer) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	return s.img.RemoveImage(ctx, req)
}

// ImageFsInfo forwards to the image service.
func (s *imageServer) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	return s.img.ImageFsInfo(ctx, req)
}
