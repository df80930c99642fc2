package containerdproc_test

import (
	"context"
	"fmt"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/internal/containerdproc"
)

// A test starts its own containerd with a bridge network and talks CRI to
// it. (Compiled, not run: it needs a *testing.T.)
func ExampleStartForTest() {
	var t *testing.T // the test's
	bridge := containerdproc.NewBridgeForTest(t)
	inst := containerdproc.StartForTest(t, &containerdproc.Options{CNIConfDir: bridge.ConfDir})
	c, err := remote.New(context.Background(), inst.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, _ := c.Status(context.Background(), &runtimeapi.StatusRequest{})
	fmt.Println(st.Status.Conditions)
}

// Mounts lists mount points under a directory, deepest first; a fresh
// directory has none.
func ExampleMounts() {
	fmt.Println(len(containerdproc.Mounts("/nonexistent/longshore")))
	// Output: 0
}
