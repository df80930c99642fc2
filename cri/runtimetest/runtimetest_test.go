package runtimetest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/runtimetest"
)

// brokenEnv selects, in the child process, which bug to plant.
const brokenEnv = "LONGSHORE_RUNTIMETEST_BROKEN"

// broken is the fake with one planted bug.
type broken struct {
	*fake.Runtime
	bug string
}

func (b *broken) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	if b.bug == "state-filter" && req.GetFilter() != nil {
		req.Filter.State = nil // ignores the state filter
	}
	return b.Runtime.ListContainers(ctx, req)
}

func (b *broken) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	resp, err := b.Runtime.ExecSync(ctx, req)
	if b.bug == "exec-exit" && resp != nil {
		resp.ExitCode = 0 // loses the exit code
	}
	return resp, err
}

func (b *broken) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	if b.bug == "leak-ip" {
		return &runtimeapi.StopPodSandboxResponse{}, nil // never stops, keeps IPs
	}
	return b.Runtime.StopPodSandbox(ctx, req)
}

func (b *broken) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	if b.bug == "leak-ip" {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	return b.Runtime.RemovePodSandbox(ctx, req)
}

// TestBrokenRuntimeChild runs the suite on a broken fake; it only does so
// in the child process started by TestSuiteCatchesBugs.
func TestBrokenRuntimeChild(t *testing.T) {
	bug := os.Getenv(brokenEnv)
	if bug == "" {
		t.Skip("runs only as the child of TestSuiteCatchesBugs")
	}
	var last *fake.Runtime
	runtimetest.Run(t, func(t testing.TB) (cri.RuntimeService, cri.ImageService) {
		rt, err := fake.New(&fake.Options{Images: []string{"localhost/x/busybox:1"}})
		if err != nil {
			t.Fatal(err)
		}
		last = rt
		return &broken{Runtime: rt, bug: bug}, rt
	}, &runtimetest.Options{Image: "localhost/x/busybox:1", Networking: true, Leaks: func(testing.TB) []string {
		if last.IPsInUse() > 0 {
			return []string{"IPs in use"}
		}
		return nil
	}})
}

// TestSuiteCatchesBugs checks that the suite fails runtimes with planted
// bugs, in the check expected to catch each.
func TestSuiteCatchesBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in child processes")
	}
	tests := []struct{ bug, failingCheck string }{
		{"state-filter", "--- FAIL: TestBrokenRuntimeChild/Filters"},
		{"exec-exit", "--- FAIL: TestBrokenRuntimeChild/ExecSync"},
		{"leak-ip", "--- FAIL: TestBrokenRuntimeChild/Cleanup"},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenRuntimeChild$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tt.bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("suite passed a runtime with bug %q:\n%s", tt.bug, out)
			}
			if !strings.Contains(string(out), tt.failingCheck) {
				t.Fatalf("bug %q not caught by %q:\n%s", tt.bug, tt.failingCheck, out)
			}
		})
	}
}
