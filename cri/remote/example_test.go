package remote_test

import (
	"context"
	"errors"
	"fmt"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/remote"
)

// Only unix sockets are CRI endpoints; anything else is refused before
// dialing.
func ExampleNew_badEndpoint() {
	_, err := remote.New(context.Background(), "tcp://127.0.0.1:10010", nil)
	fmt.Println(errors.Is(err, cri.ErrInvalidArgument))
	// Output: true
}

// Connect to containerd's CRI and list the running pods.
func ExampleNew() {
	ctx := context.Background()
	c, err := remote.New(ctx, "unix:///run/containerd/containerd.sock", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ready := &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
	pods, err := c.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{State: ready}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pods.Items {
		fmt.Println(p.Metadata.Namespace, p.Metadata.Name)
	}
}
