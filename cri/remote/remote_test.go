package remote_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/cri/runtimetest"
	"github.com/longshore/longshore/cri/server"
)

const testImage = "localhost/longshore/busybox:test"

// serveFake serves a fresh fake on a unix socket in a temp dir and returns
// the fake and a client connected to it.
func serveFake(t testing.TB) (*fake.Runtime, *remote.Client) {
	t.Helper()
	rt, err := fake.New(&fake.Options{Images: []string{testImage}, PodCIDR: "198.18.9.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.New(rt, rt, nil).ListenAndServe(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	var c *remote.Client
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err = remote.New(context.Background(), "unix://"+sock, nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("remote.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return rt, c
}

// TestConformanceThroughGRPC runs the suite against the fake served by
// cri/server and reached through cri/remote: both ends of the plumbing.
func TestConformanceThroughGRPC(t *testing.T) {
	var last *fake.Runtime
	runtimetest.Run(t, func(t testing.TB) (cri.RuntimeService, cri.ImageService) {
		rt, c := serveFake(t)
		last = rt
		return c, c
	}, &runtimetest.Options{
		Image:      testImage,
		PullImage:  "localhost/longshore/pulled:1",
		Networking: true,
		PodCIDR:    "198.18.9.0/24",
		Events:     true,
		Leaks: func(t testing.TB) []string {
			if last.IPsInUse() != 0 {
				return []string{"pod IPs still allocated"}
			}
			return nil
		},
	})
}

func TestErrorsCrossTheWire(t *testing.T) {
	rt, c := serveFake(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		inject error
		call   func() error
		want   error
		code   codes.Code
	}{
		{"not found", nil, func() error {
			_, err := c.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "nope"})
			return err
		}, cri.ErrNotFound, codes.NotFound},
		{"injected unavailable", cri.ErrUnavailable, func() error {
			_, err := c.Status(ctx, &runtimeapi.StatusRequest{})
			return err
		}, cri.ErrUnavailable, codes.Unavailable},
		{"injected already exists", cri.ErrAlreadyExists, func() error {
			_, err := c.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{})
			return err
		}, cri.ErrAlreadyExists, codes.AlreadyExists},
		{"invalid", nil, func() error {
			_, err := c.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{})
			return err
		}, cri.ErrInvalidArgument, codes.InvalidArgument},
		{"optional call not implemented", nil, func() error {
			_, err := c.ListMetricDescriptors(ctx, &runtimeapi.ListMetricDescriptorsRequest{})
			return err
		}, cri.ErrUnimplemented, codes.Unimplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.inject != nil {
				method := map[string]string{"injected unavailable": "Status", "injected already exists": "RunPodSandbox"}[tt.name]
				if err := rt.FailNext(method, 1, tt.inject); err != nil {
					t.Fatal(err)
				}
			}
			err := tt.call()
			if !errors.Is(err, tt.want) || status.Code(err) != tt.code {
				t.Fatalf("err = %v (code %v), want %v with code %v", err, status.Code(err), tt.want, tt.code)
			}
		})
	}
}

func TestDeadlineMapsToErrDeadline(t *testing.T) {
	_, c := serveFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if _, err := c.Status(ctx, &runtimeapi.StatusRequest{}); !errors.Is(err, cri.ErrDeadline) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call with an expired context: %v, want ErrDeadline and context.DeadlineExceeded", err)
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	// A gRPC server without the CRI services: Version is unimplemented.
	sock := filepath.Join(dir, "other.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	tests := []struct {
		name, endpoint string
		want           error
	}{
		{"tcp", "tcp://127.0.0.1:1", cri.ErrInvalidArgument},
		{"relative", "run/cri.sock", cri.ErrInvalidArgument},
		{"no socket", filepath.Join(dir, "missing.sock"), cri.ErrUnavailable},
		{"not CRI", "unix://" + sock, remote.ErrNotCRIv1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := remote.New(ctx, tt.endpoint, nil)
			if err == nil {
				c.Close()
				t.Fatalf("New(%q) succeeded", tt.endpoint)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("New(%q) = %v, want %v", tt.endpoint, err, tt.want)
			}
		})
	}
}

func TestEventsStream(t *testing.T) {
	rt, c := serveFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan *runtimeapi.ContainerEventResponse, 16)
	errc := make(chan error, 1)
	go func() {
		errc <- c.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{}, func(ev *runtimeapi.ContainerEventResponse) error {
			got <- ev
			return nil
		})
	}()
	// Run sandboxes until the stream delivers (the subscription is async).
	var id string
	for i := 0; id == "" && i < 100; i++ {
		resp, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
			Metadata: &runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "ns", Uid: "u", Attempt: uint32(i)}}})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-got:
			id = ev.GetContainerId()
			if ev.GetPodSandboxStatus().GetId() != id {
				t.Fatalf("sandbox event carries status of %q, want %q", ev.GetPodSandboxStatus().GetId(), id)
			}
		case <-time.After(50 * time.Millisecond):
		}
		_ = resp
	}
	if id == "" {
		t.Fatal("no event arrived")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("GetContainerEvents = %v, want context.Canceled", err)
	}
}
