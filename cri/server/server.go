// Package server serves any cri.RuntimeService and cri.ImageService over the
// CRI v1 gRPC protocol, so a kubelet, crictl or cri/remote can talk to an
// implementation written in Go (Longshore's fake, its own shim, a test
// double).
//
// Errors returned by the implementation are sent with the gRPC code of the
// cri sentinel they wrap (cri.ToStatus). Calls the contract does not cover
// (checkpointing, streaming list calls, RuntimeConfig, pod resources) and
// optional abilities the implementation lacks (cri.PodSandboxMetricsLister)
// answer codes.Unimplemented.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// DefaultMaxMsgSize is the largest message the server receives or sends by
// default (16 MiB, what kubelets use).
const DefaultMaxMsgSize = 16 << 20

// Options configure a Server. The zero value (or nil) gives the defaults.
type Options struct {
	// MaxMsgSize bounds received and sent messages. Default DefaultMaxMsgSize.
	MaxMsgSize int
	// Logger receives a record per failed call. Default discards.
	Logger *slog.Logger
}

// Server serves a RuntimeService and an ImageService over CRI v1 gRPC.
type Server struct {
	rt   cri.RuntimeService
	img  cri.ImageService
	opts Options
	log  *slog.Logger
}

// New returns a Server for rt and img (either may be nil: its service is
// then not registered).
func New(rt cri.RuntimeService, img cri.ImageService, opts *Options) *Server {
	s := &Server{rt: rt, img: img}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxMsgSize <= 0 {
		s.opts.MaxMsgSize = DefaultMaxMsgSize
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Serve answers CRI calls on l until ctx is done, then stops gracefully
// (waiting at most 5 seconds for running calls) and returns nil. It returns
// the listener's error if serving fails. l is closed on return.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.rt == nil && s.img == nil {
		l.Close()
		return errors.New("cri/server: neither a runtime nor an image service to serve")
	}
	gs := grpc.NewServer(
		grpc.MaxRecvMsgSize(s.opts.MaxMsgSize),
		grpc.MaxSendMsgSize(s.opts.MaxMsgSize),
		grpc.ChainUnaryInterceptor(s.unaryErrors),
		grpc.ChainStreamInterceptor(s.streamErrors),
	)
	if s.rt != nil {
		runtimeapi.RegisterRuntimeServiceServer(gs, &runtimeServer{rt: s.rt})
	}
	if s.img != nil {
		runtimeapi.RegisterImageServiceServer(gs, &imageServer{img: s.img})
	}
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("cri/server: serve: %w", err)
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		gs.Stop()
	}
	<-errc
	return nil
}

// ListenAndServe listens on the unix socket socketPath (replacing a stale
// socket file, creating the directory) and serves until ctx is done; the
// socket file is removed on return.
func (s *Server) ListenAndServe(ctx context.Context, socketPath string) error {
	if socketPath == "" {
		return fmt.Errorf("cri/server: empty socket path: %w", cri.ErrInvalidArgument)
	}
	if err := os.MkdirAll(filepath.Dir(socketPath), 0o755); err != nil {
		return fmt.Errorf("cri/server: %w", err)
	}
	if err := os.Remove(socketPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cri/server: remove stale socket: %w", err)
	}
	l, err := net.Listen("unix", socketPath)
	if err != nil {
		return fmt.Errorf("cri/server: %w", err)
	}
	defer os.Remove(socketPath)
	return s.Serve(ctx, l)
}

// unaryErrors maps returned errors onto gRPC codes and logs failures.
func (s *Server) unaryErrors(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		s.log.Debug("cri call failed", "method", info.FullMethod, "err", err)
		return nil, cri.ToStatus(err)
	}
	return resp, nil
}

func (s *Server) streamErrors(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	err := h(srv, ss)
	if err != nil {
		s.log.Debug("cri stream failed", "method", info.FullMethod, "err", err)
		return cri.ToStatus(err)
	}
	return nil
}
