package containerd_test

import (
	"context"
	"fmt"
	"os"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cni"
	"github.com/longshore/longshore/cri/containerd"
)

// Run a pod with one container on a containerd, with the node's CNI
// network.
func Example() {
	ctx := context.Background()
	mgr, err := cni.New(cni.Options{ConfDir: "/etc/cni/net.d"})
	if err != nil {
		fmt.Println(err)
		return
	}
	rt, err := containerd.New(ctx, "/run/containerd/containerd.sock", &containerd.Options{CNI: mgr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	// The sandbox (pause) image must be present: import it once.
	if f, err := os.Open("pause.tar"); err == nil {
		rt.ImportArchive(ctx, f)
		f.Close()
	}
	pod := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "1234"},
		Hostname:     "web",
		LogDirectory: "/var/log/pods/default_web_1234",
	}
	run, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: pod})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId:  run.GetPodSandboxId(),
		SandboxConfig: pod,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
			Image:    &runtimeapi.ImageSpec{Image: "localhost/longshore/busybox:1"},
			Command:  []string{"httpd", "-f", "-p", "8080"},
			LogPath:  "app/0.log",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.GetContainerId()}); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: run.GetPodSandboxId()})
	fmt.Println("pod IP", st.GetStatus().GetNetwork().GetIp())
}

// A Runtime with no CNI manager needs no network configuration: pods get a
// namespace with loopback only. New fails clearly when containerd is not
// there.
func ExampleNew() {
	_, err := containerd.New(context.Background(), "/nonexistent/containerd.sock", nil)
	fmt.Println(err != nil)
	// Output:
	// true
}
