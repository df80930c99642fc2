package fake_test

import (
	"context"
	"fmt"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri/fake"
)

// A container running "sleep 30" exits when the test's clock has advanced
// 30 seconds.
func Example() {
	ctx := context.Background()
	clock := fake.NewManualClock(time.Unix(0, 0))
	rt, err := fake.New(&fake.Options{Clock: clock, PodCIDR: "198.18.0.0/24", Images: []string{"example.com/app:1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	pod, _ := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "1"},
	}})
	st, _ := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.PodSandboxId})
	fmt.Println("pod IP:", st.Status.Network.Ip)

	c, _ := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
		Image:    &runtimeapi.ImageSpec{Image: "example.com/app:1"},
		Command:  []string{"sh", "-c", "sleep 30; exit 2"},
	}})
	rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId})
	show := func() {
		s, _ := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ContainerId})
		fmt.Println(s.Status.State, s.Status.ExitCode)
	}
	show()
	clock.Advance(30 * time.Second)
	show()
	// Output:
	// pod IP: 198.18.0.2
	// CONTAINER_RUNNING 0
	// CONTAINER_EXITED 2
}

// Make the next two RunPodSandbox calls fail, as a flaky runtime would.
func ExampleRuntime_FailNext() {
	rt, _ := fake.New(nil)
	rt.FailNext("RunPodSandbox", 2, nil)
	req := &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "1"},
	}}
	for range 3 {
		_, err := rt.RunPodSandbox(context.Background(), req)
		fmt.Println(err)
	}
	// Output:
	// fake: injected failure of RunPodSandbox: cri: unavailable
	// fake: injected failure of RunPodSandbox: cri: unavailable
	// <nil>
}
