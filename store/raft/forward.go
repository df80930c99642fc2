package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// The peer service: how a follower hands writes, read-index requests and
// membership changes to the leader. Messages are opaque byte frames in
// this package's own binary encoding (command.go), carried by a codec that
// passes them through untouched.
const (
	serviceName     = "longshore.raft.Peer"
	methodApply     = "/" + serviceName + "/Apply"
	methodReadIndex = "/" + serviceName + "/ReadIndex"
	methodJoin      = "/" + serviceName + "/Join"
	methodRemove    = "/" + serviceName + "/Remove"
	methodTransfer  = "/" + serviceName + "/Transfer"
)

// frame is a raw message.
type frame struct{ b []byte }

// frameCodec is the gRPC codec of the peer service.
type frameCodec struct{}

func (frameCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("raft peer codec: cannot marshal %T", v)
	}
	return f.b, nil
}

func (frameCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("raft peer codec: cannot unmarshal into %T", v)
	}
	f.b = append([]byte(nil), data...)
	return nil
}

func (frameCodec) Name() string { return "longshore-raft-frame" }

// peerServer is what the gRPC service calls into.
type peerServer interface {
	serveApply(ctx context.Context, req []byte) ([]byte, error)
	serveReadIndex(ctx context.Context) (uint64, error)
	serveJoin(ctx context.Context, id, addr string) error
	serveRemove(ctx context.Context, id string) error
	serveTransfer(ctx context.Context) error
}

func unary(fn func(s peerServer, ctx context.Context, req []byte) ([]byte, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		in := &frame{}
		if err := dec(in); err != nil {
			return nil, err
		}
		out, err := fn(srv.(peerServer), ctx, in.b)
		if err != nil {
			return nil, err
		}
		return &frame{b: out}, nil
	}
}

var peerServiceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*peerServer)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Apply", Handler: unary(func(s peerServer, ctx context.Context, req []byte) ([]byte, error) {
			return s.serveApply(ctx, req)
		})},
		{MethodName: "ReadIndex", Handler: unary(func(s peerServer, ctx context.Context, _ []byte) ([]byte, error) {
			idx, err := s.serveReadIndex(ctx)
			if err != nil {
				return nil, err
			}
			return binary.AppendUvarint(nil, idx), nil
		})},
		{MethodName: "Join", Handler: unary(func(s peerServer, ctx context.Context, req []byte) ([]byte, error) {
			d := decoder{b: req}
			id, addr := string(d.bytes()), string(d.bytes())
			if d.err != nil {
				return nil, status.Error(codes.InvalidArgument, "malformed join request")
			}
			return nil, s.serveJoin(ctx, id, addr)
		})},
		{MethodName: "Remove", Handler: unary(func(s peerServer, ctx context.Context, req []byte) ([]byte, error) {
			return nil, s.serveRemove(ctx, string(req))
		})},
		{MethodName: "Transfer", Handler: unary(func(s peerServer, ctx context.Context, _ []byte) ([]byte, error) {
			return nil, s.serveTransfer(ctx)
		})},
	},
	Metadata: "longshore/store/raft/peer",
}

// Status codes with a meaning between peers.
var (
	// errRemoteNotLeader: the peer is not the leader and did nothing; safe
	// to retry elsewhere.
	errRemoteNotLeader = status.Error(codes.FailedPrecondition, "not the raft leader")
)

// errRetry marks a failure that certainly did not reach the leader's log,
// so the request may be sent again.
var errRetry = errors.New("retry")

// peers keeps one gRPC connection per peer address.
type peers struct {
	m     *mux
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

func (p *peers) conn(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()), // the mux connection is already TLS when TLS is on
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return p.m.dialProto(ctx, a, protoGRPC)
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(frameCodec{})),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to peer %s: %w", addr, err)
	}
	p.conns[addr] = c
	return c, nil
}

// call invokes method on the peer at addr. An error wrapping errRetry
// means the request was certainly not processed: the connection was not
// up, or the peer answered that it is not the leader.
func (p *peers) call(ctx context.Context, addr, method string, req []byte) ([]byte, error) {
	c, err := p.conn(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errRetry, err)
	}
	if !waitReady(ctx, c, time.Second) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: peer %s unreachable", errRetry, addr)
	}
	out := &frame{}
	err = c.Invoke(ctx, method, &frame{b: req}, out)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("peer %s: %w", addr, ctx.Err())
		}
		if status.Code(err) == codes.FailedPrecondition {
			return nil, fmt.Errorf("%w: %s: %w", errRetry, addr, err)
		}
		return nil, fmt.Errorf("peer %s: %w", addr, err)
	}
	return out.b, nil
}

// waitReady waits up to max for the connection to be up.
func waitReady(ctx context.Context, c *grpc.ClientConn, max time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	for {
		s := c.GetState()
		switch s {
		case connectivity.Ready:
			return true
		case connectivity.Idle:
			c.Connect()
		case connectivity.Shutdown:
			return false
		}
		if !c.WaitForStateChange(ctx, s) {
			return false
		}
	}
}

func (p *peers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, c := range p.conns {
		c.Close()
		delete(p.conns, addr)
	}
}
