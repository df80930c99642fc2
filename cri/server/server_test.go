package server_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/server"
)

// serve starts srv on a socket and returns raw generated clients, so the
// codes on the wire are checked without cri/remote's mapping.
func serve(t *testing.T, srv *server.Server) (runtimeapi.RuntimeServiceClient, runtimeapi.ImageServiceClient) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "cri.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // a stale file to replace
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ListenAndServe: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("ListenAndServe did not return after cancel")
		}
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket not removed: %v", err)
		}
	})
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return runtimeapi.NewRuntimeServiceClient(conn), runtimeapi.NewImageServiceClient(conn)
}

func TestCodesOnTheWire(t *testing.T) {
	rt, err := fake.New(&fake.Options{Images: []string{"example.com/app:1"}})
	if err != nil {
		t.Fatal(err)
	}
	rc, ic := serve(t, server.New(rt, rt, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"ok", func() error {
			_, err := rc.Version(ctx, &runtimeapi.VersionRequest{}, grpc.WaitForReady(true))
			return err
		}, codes.OK},
		{"not found", func() error {
			_, err := rc.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: "x"})
			return err
		}, codes.NotFound},
		{"invalid", func() error { _, err := rc.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{}); return err }, codes.InvalidArgument},
		{"injected", func() error {
			rt.FailNext("ListImages", 1, cri.ErrResourceExhausted)
			_, err := ic.ListImages(ctx, &runtimeapi.ListImagesRequest{})
			return err
		}, codes.ResourceExhausted},
		{"plain error is unknown", func() error {
			rt.FailNext("ImageFsInfo", 1, errors.New("disk on fire"))
			_, err := ic.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
			return err
		}, codes.Unknown},
		{"optional ability missing", func() error {
			_, err := rc.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
			return err
		}, codes.Unimplemented},
		{"outside the contract", func() error {
			_, err := rc.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{})
			return err
		}, codes.Unimplemented},
		{"image call", func() error {
			_, err := ic.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/app:1"}})
			return err
		}, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status.Code(tt.call()); got != tt.want {
				t.Fatalf("code = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOnlyImageService(t *testing.T) {
	rt, err := fake.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, ic := serve(t, server.New(nil, rt, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ic.ListImages(ctx, &runtimeapi.ListImagesRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Version(ctx, &runtimeapi.VersionRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("runtime service of an image-only server: %v, want Unimplemented", err)
	}
}

func TestServeRejects(t *testing.T) {
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := server.New(nil, nil, nil).Serve(context.Background(), l); err == nil {
		t.Fatal("Serve without services succeeded")
	}
	if err := server.New(nil, nil, nil).ListenAndServe(context.Background(), ""); !errors.Is(err, cri.ErrInvalidArgument) {
		t.Fatalf("ListenAndServe(\"\") = %v", err)
	}
}
