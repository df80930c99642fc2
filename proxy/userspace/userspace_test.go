package userspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// dialer reaches a frontend through the backend's loopback mapping.
func dialer(b *Backend) proxytest.Dialer {
	return func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
		proto := proxy.TCP
		if network == "udp" {
			proto = proxy.UDP
		}
		la, ok := b.Lookup(addr, proto)
		if !ok {
			return nil, fmt.Errorf("no listener for %s %s", network, addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, la.String())
	}
}

func newEnv(t *testing.T, opts *Options) *proxytest.Env {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	opts.Listen = Loopback
	opts.NodeIPs = []netip.Addr{loopback}
	b := New(opts)
	t.Cleanup(func() { b.Cleanup(context.Background()) })
	var servers []*proxytest.Server
	for i := range 3 {
		servers = append(servers, proxytest.StartServer(t, fmt.Sprintf("ep%d", i), netip.AddrPortFrom(loopback, 0), nil))
	}
	return &proxytest.Env{
		Backend:   b,
		Servers:   servers,
		ClusterIP: netip.MustParseAddr("198.19.0.10"),
		NodeIP:    loopback,
		Dial:      dialer(b),
	}
}

func TestConformance(t *testing.T) {
	proxytest.Run(t, func(t *testing.T) *proxytest.Env { return newEnv(t, nil) })
}

// apply applies pending tracker changes.
func apply(t *testing.T, b *Backend, tr *proxy.Tracker, st *proxy.State) {
	t.Helper()
	if err := b.Sync(context.Background(), st, tr.Apply(st)); err != nil {
		t.Fatal(err)
	}
}

func svc(proto proxy.Protocol) *proxy.Service {
	return &proxy.Service{Namespace: "ns", Name: "s", ClusterIPs: []netip.Addr{netip.MustParseAddr("198.19.0.1")},
		Ports: []proxy.ServicePortSpec{{Name: "p", Protocol: proto, Port: 80}}}
}

func eps(servers ...netip.AddrPort) *proxy.Endpoints {
	e := &proxy.Endpoints{Namespace: "ns", Name: "s"}
	for _, s := range servers {
		e.Subsets = append(e.Subsets, proxy.EndpointSubset{
			Addresses: []proxy.EndpointAddress{{IP: s.Addr(), Ready: true}},
			Ports:     []proxy.EndpointPort{{Name: "p", Protocol: proxy.TCP, Port: s.Port()}},
		})
	}
	return e
}

// echoServer echoes every connection until it closes.
func echoServer(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestDrainingClosesAfterTimeout(t *testing.T) {
	tests := []struct {
		name   string
		readd  bool
		closed bool
	}{
		{"removed endpoint is cut after the drain timeout", false, true},
		{"endpoint back in time keeps its connections", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(&Options{Listen: Loopback, DrainTimeout: 200 * time.Millisecond})
			t.Cleanup(func() { b.Cleanup(context.Background()) })
			tr, st := proxy.NewTracker(nil), proxy.NewState()
			echo, other := echoServer(t), echoServer(t)
			tr.OnServiceUpdate(nil, svc(proxy.TCP))
			tr.OnEndpointsUpdate(nil, eps(echo))
			apply(t, b, tr, st)
			la, ok := b.Lookup(netip.MustParseAddrPort("198.19.0.1:80"), proxy.TCP)
			if !ok {
				t.Fatal("no listener")
			}
			c, err := net.DialTimeout("tcp", la.String(), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 5)
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
				t.Fatalf("echo through the proxy: %q, %v", buf, err)
			}
			tr.OnEndpointsUpdate(nil, eps(other))
			apply(t, b, tr, st)
			// Still open during the drain.
			if _, err := c.Write([]byte("again")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatalf("connection cut before the drain timeout: %v", err)
			}
			if tc.readd {
				tr.OnEndpointsUpdate(nil, eps(echo, other))
				apply(t, b, tr, st)
			}
			time.Sleep(400 * time.Millisecond) // past the drain timeout
			if !tc.closed {
				if _, err := c.Write([]byte("third")); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					t.Fatalf("an endpoint back in time lost its connection: %v", err)
				}
				return
			}
			// The cut may come late on a loaded machine: poll, bounded.
			for deadline := time.Now().Add(5 * time.Second); ; {
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				_, err := c.Read(buf)
				var ne net.Error
				if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
					return // closed by the drain
				}
				if time.Now().After(deadline) {
					t.Fatalf("connection to a removed endpoint still open 5s after the drain timeout (last read: %v)", err)
				}
			}
		})
	}
}

func TestSCTPUnsupported(t *testing.T) {
	b := New(&Options{Listen: Loopback})
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, svc(proxy.SCTP))
	if err := b.Sync(context.Background(), st, tr.Apply(st)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("SCTP service: %v, want ErrUnsupported", err)
	}
}

func TestFullSyncStopsUnknownAndCleanup(t *testing.T) {
	b := New(&Options{Listen: Loopback})
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, svc(proxy.TCP))
	tr.OnEndpointsUpdate(nil, eps(echoServer(t)))
	apply(t, b, tr, st)
	if p := b.Programmed(); p.Rules != 1 || p.Elements != 1 {
		t.Fatalf("Programmed() = %+v, want 1 listener and 1 endpoint", p)
	}
	if err := b.FullSync(context.Background(), proxy.NewState()); err != nil {
		t.Fatal(err)
	}
	if p := b.Programmed(); p != (proxy.Programmed{}) {
		t.Errorf("after a full sync to an empty state Programmed() = %+v", p)
	}
	apply(t, b, tr, st) // nothing pending: no change
	tr.OnServiceUpdate(nil, svc(proxy.TCP))
	apply(t, b, tr, st)
	if err := b.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Lookup(netip.MustParseAddrPort("198.19.0.1:80"), proxy.TCP); ok {
		t.Error("a listener survived Cleanup")
	}
}

func TestListenFailureIsBackendError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := netip.MustParseAddrPort(taken.Addr().String())
	b := New(&Options{Listen: func(proxy.ServicePortName, netip.AddrPort, proxy.Protocol) netip.AddrPort { return busy }})
	t.Cleanup(func() { b.Cleanup(context.Background()) })
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, svc(proxy.TCP))
	tr.OnEndpointsUpdate(nil, eps(echoServer(t)))
	if err := b.Sync(context.Background(), st, tr.Apply(st)); !errors.Is(err, proxy.ErrBackend) {
		t.Fatalf("listening on a taken port: %v, want ErrBackend", err)
	}
}
