package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri"
)

// nsStreams wraps the CRI runtime of a containerd that runs in the node's
// network namespace. Its streaming server (exec, attach, port-forward)
// listens on the loopback of that namespace, which the kubelet, in the
// host's namespace, cannot reach; nsStreams rewrites the streaming URLs to
// a relay on the host's loopback that forwards each connection to the same
// address inside the namespace.
type nsStreams struct {
	cri.RuntimeService
	relay *streamRelay
}

// Exec returns the runtime's exec URL, rewritten to the relay.
func (s *nsStreams) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	resp, err := s.RuntimeService.Exec(ctx, req)
	if err != nil {
		return nil, err
	}
	u, err := s.relay.rewrite(ctx, resp.Url)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ExecResponse{Url: u}, nil
}

// Attach returns the runtime's attach URL, rewritten to the relay.
func (s *nsStreams) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	resp, err := s.RuntimeService.Attach(ctx, req)
	if err != nil {
		return nil, err
	}
	u, err := s.relay.rewrite(ctx, resp.Url)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.AttachResponse{Url: u}, nil
}

// PortForward returns the runtime's port-forward URL, rewritten to the
// relay.
func (s *nsStreams) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	resp, err := s.RuntimeService.PortForward(ctx, req)
	if err != nil {
		return nil, err
	}
	u, err := s.relay.rewrite(ctx, resp.Url)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PortForwardResponse{Url: u}, nil
}

// streamRelay keeps one loopback listener per streaming server address
// inside the namespace, each forwarding to that address from inside it.
type streamRelay struct {
	nsPath string
	log    *slog.Logger
	ctx    context.Context // the cluster's: the listeners close with it

	mu     sync.Mutex
	relays map[string]string // address in the namespace -> host loopback address
	wg     sync.WaitGroup
}

func newStreamRelay(ctx context.Context, nsPath string, log *slog.Logger) *streamRelay {
	return &streamRelay{nsPath: nsPath, log: log, ctx: ctx, relays: map[string]string{}}
}

// rewrite points raw (a streaming URL on the namespace's loopback) at the
// relay for its address, starting the relay on first use.
func (r *streamRelay) rewrite(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("streaming URL %q: %w", raw, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	target := u.Host
	local, ok := r.relays[target]
	if !ok {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("stream relay: %w", err)
		}
		local = ln.Addr().String()
		r.relays[target] = local
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			<-r.ctx.Done()
			ln.Close()
		}()
		go func() {
			defer r.wg.Done()
			r.serve(ln, target)
		}()
	}
	u.Host = local
	return u.String(), nil
}

// serve accepts until ln closes, forwarding each connection to target in
// the namespace.
func (r *streamRelay) serve(ln net.Listener, target string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go r.forward(conn, target)
	}
}

func (r *streamRelay) forward(conn net.Conn, target string) {
	defer conn.Close()
	var up net.Conn
	err := netns.Do(r.nsPath, func() error {
		d := net.Dialer{Timeout: 10 * time.Second}
		var err error
		up, err = d.DialContext(r.ctx, "tcp", target)
		return err
	})
	if err != nil {
		r.log.Warn("stream relay: dial in the node namespace", "target", target, "err", err)
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, conn)
	go pipe(conn, up)
	select {
	case <-done:
		<-done
	case <-r.ctx.Done():
	}
}

// wait waits for the listeners to close after the cluster's context ends.
func (r *streamRelay) wait() { r.wg.Wait() }
