package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// APIVersion is the CRI API version this package speaks ("v1"), as a runtime
// reports it in VersionResponse.RuntimeApiVersion.
const APIVersion = "v1"

// RuntimeVersioner reports the runtime's name and versions.
type RuntimeVersioner interface {
	// Version returns the runtime name, runtime version and CRI API version.
	Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error)
}

// PodSandboxManager manages pod sandboxes: the shared namespaces, network and
// infrastructure of a pod.
type PodSandboxManager interface {
	// RunPodSandbox creates and starts a sandbox; when it returns without
	// error the sandbox is ready (its network set up).
	RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error)
	// StopPodSandbox stops every container of the sandbox and tears down its
	// network. Stopping a stopped sandbox succeeds. Stopping a missing one
	// succeeds or fails with ErrNotFound (containerd does the latter);
	// callers treat both as stopped.
	StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error)
	// RemovePodSandbox removes the sandbox and its containers, stopping them
	// first if needed. It is idempotent: removing a missing sandbox succeeds.
	RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error)
	// PodSandboxStatus returns the sandbox's state and network status, or an
	// error wrapping ErrNotFound.
	PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error)
	// ListPodSandbox lists the sandboxes matching the request's filter (all
	// when the filter is nil).
	ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error)
}

// ContainerManager manages the containers inside sandboxes.
type ContainerManager interface {
	// CreateContainer creates a container in a ready sandbox; it is not
	// started.
	CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error)
	// StartContainer starts a created container.
	StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error)
	// StopContainer sends the stop signal and, after req.Timeout seconds,
	// SIGKILL. Stopping an exited container succeeds.
	StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error)
	// RemoveContainer removes a container, stopping it first if it runs.
	// Removing a missing container succeeds.
	RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error)
	// ListContainers lists the containers matching the request's filter.
	ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error)
	// ContainerStatus returns a container's state, exit code and times, or an
	// error wrapping ErrNotFound.
	ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error)
	// UpdateContainerResources changes a running container's resources.
	UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error)
	// ReopenContainerLog makes the runtime reopen the container's log file
	// (after the caller rotated it).
	ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error)
	// ExecSync runs a command in a running container and returns its output
	// and exit code. A non-zero exit code is not an error.
	ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error)
	// Exec prepares a streaming exec and returns the URL to connect to.
	Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error)
	// Attach prepares a streaming attach and returns the URL to connect to.
	Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error)
}

// PortForwarder prepares port forwarding into a sandbox.
type PortForwarder interface {
	// PortForward returns the streaming URL for forwarding to the sandbox.
	PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error)
}

// ContainerStatsManager reports resource usage of containers and sandboxes.
type ContainerStatsManager interface {
	// ContainerStats returns one container's usage.
	ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error)
	// ListContainerStats returns the usage of the containers matching the
	// filter.
	ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error)
	// PodSandboxStats returns one sandbox's usage.
	PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error)
	// ListPodSandboxStats returns the usage of the sandboxes matching the
	// filter.
	ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error)
}

// RuntimeStatusManager reports the runtime's health and takes its
// configuration updates.
type RuntimeStatusManager interface {
	// UpdateRuntimeConfig passes configuration (today the pod CIDR) to the
	// runtime.
	UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error)
	// Status reports the RuntimeReady and NetworkReady conditions.
	Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error)
}

// ContainerEventsFunc receives one container event. Returning an error ends
// the event stream with that error.
type ContainerEventsFunc func(*runtimeapi.ContainerEventResponse) error

// ContainerEventer streams container lifecycle events.
type ContainerEventer interface {
	// GetContainerEvents calls fn for each container event, in order, until
	// ctx is done (then it returns ctx.Err()), fn returns an error (returned
	// as is), or the stream breaks. fn is called from one goroutine at a
	// time and must not block for long: a runtime may drop a subscriber that
	// falls too far behind, ending the call with an error wrapping
	// ErrUnavailable.
	GetContainerEvents(ctx context.Context, req *runtimeapi.GetEventsRequest, fn ContainerEventsFunc) error
}

// RuntimeService is the CRI runtime service: everything a node agent needs
// to run pods, composed of the small interfaces above. Implementations must
// be safe for concurrent use.
type RuntimeService interface {
	RuntimeVersioner
	PodSandboxManager
	ContainerManager
	PortForwarder
	ContainerStatsManager
	RuntimeStatusManager
	ContainerEventer
}

// PodSandboxMetricsLister is an optional ability of a RuntimeService: callers
// find it by type assertion. Servers answer codes.Unimplemented for runtimes
// without it.
type PodSandboxMetricsLister interface {
	// ListMetricDescriptors describes the metrics ListPodSandboxMetrics
	// returns.
	ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error)
	// ListPodSandboxMetrics returns the metrics of every sandbox.
	ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error)
}

// ImageService is the CRI image service. Implementations must be safe for
// concurrent use.
type ImageService interface {
	// ListImages lists the images matching the filter.
	ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error)
	// ImageStatus returns an image's status; a missing image is a response
	// with a nil Image, not an error (as in CRI).
	ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error)
	// PullImage makes the image present and returns its reference (an image
	// ID or digest). Pulling a present image succeeds.
	PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error)
	// RemoveImage removes an image. Removing a missing image succeeds.
	RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error)
	// ImageFsInfo reports the usage of the filesystems holding images.
	ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error)
}
