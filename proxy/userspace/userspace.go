package userspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/longshore/longshore/proxy"
)

// ListenFunc maps a service frontend (a ClusterIP, external IP or node
// address with its port) to the address the backend listens on. Port 0
// picks a free port once; the backend keeps it for the life of the
// service port.
type ListenFunc func(name proxy.ServicePortName, frontend netip.AddrPort, protocol proxy.Protocol) netip.AddrPort

// Loopback is a ListenFunc for machines without root: every frontend gets
// a free port on 127.0.0.1. Find it with Backend.ListenAddr.
func Loopback(proxy.ServicePortName, netip.AddrPort, proxy.Protocol) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0)
}

// Options are the optional knobs of a Backend; the zero value works.
type Options struct {
	// Listen maps frontends to listen addresses; nil listens on the
	// frontend itself (which must then be a local address).
	Listen ListenFunc
	// NodeIPs are the node addresses on which NodePorts are served; none
	// by default.
	NodeIPs []netip.Addr
	// DialTimeout bounds each connection attempt to an endpoint; default
	// 2s. A failed attempt moves on to the next endpoint.
	DialTimeout time.Duration
	// DrainTimeout is how long connections to a removed endpoint may go
	// on before they are closed; default 30s.
	DrainTimeout time.Duration
	// UDPIdleTimeout ends a UDP client's session after this much silence;
	// default 30s.
	UDPIdleTimeout time.Duration
	// Logger receives connection errors; nil discards.
	Logger *slog.Logger
}

// ErrUnsupported is returned for service ports the userspace backend
// cannot serve (SCTP).
var ErrUnsupported = errors.New("userspace: unsupported protocol")

// Backend forwards connections in user space: a listener per service port
// frontend, round-robin over the ready endpoints. It implements
// proxy.Backend and proxy.Counter; its Sync, FullSync and Cleanup must not
// be called concurrently, the other methods may be called at any time.
type Backend struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	ports map[proxy.ServicePortName]*portProxy
}

var (
	_ proxy.Backend = (*Backend)(nil)
	_ proxy.Counter = (*Backend)(nil)
)

// New returns a Backend; opts may be nil. Nothing listens until a sync.
func New(opts *Options) *Backend {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Listen == nil {
		o.Listen = func(_ proxy.ServicePortName, f netip.AddrPort, _ proxy.Protocol) netip.AddrPort { return f }
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.UDPIdleTimeout <= 0 {
		o.UDPIdleTimeout = 30 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backend{opts: o, log: log, ports: map[proxy.ServicePortName]*portProxy{}}
}

// ListenAddr returns the address the backend listens on for a service
// port's frontend (ClusterIP:port, externalIP:port or nodeIP:nodePort).
func (b *Backend) ListenAddr(name proxy.ServicePortName, frontend netip.AddrPort) (netip.AddrPort, bool) {
	b.mu.Lock()
	p := b.ports[name]
	b.mu.Unlock()
	if p == nil {
		return netip.AddrPort{}, false
	}
	return p.listenAddr(frontend)
}

// Lookup finds the listen address for a frontend, whatever the service
// port: what a client dialing frontend over protocol would reach.
func (b *Backend) Lookup(frontend netip.AddrPort, protocol proxy.Protocol) (netip.AddrPort, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.ports {
		if p.protocol() != protocol {
			continue
		}
		if a, ok := p.listenAddr(frontend); ok {
			return a, true
		}
	}
	return netip.AddrPort{}, false
}

// Sync reconciles the service ports named in changes.
func (b *Backend) Sync(ctx context.Context, state *proxy.State, changes *proxy.ChangeSet) error {
	var errs []error
	for _, n := range changes.Touched() {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs = append(errs, b.reconcile(n, state))
	}
	return errors.Join(errs...)
}

// FullSync reconciles every service port in state and stops the others.
func (b *Backend) FullSync(ctx context.Context, state *proxy.State) error {
	b.mu.Lock()
	names := make([]proxy.ServicePortName, 0, len(b.ports)+len(state.Services))
	for n := range b.ports {
		names = append(names, n)
	}
	b.mu.Unlock()
	for n := range state.Services {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var errs []error
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs = append(errs, b.reconcile(n, state))
	}
	return errors.Join(errs...)
}

// Cleanup closes every listener and connection.
func (b *Backend) Cleanup(ctx context.Context) error {
	b.mu.Lock()
	ports := b.ports
	b.ports = map[proxy.ServicePortName]*portProxy{}
	b.mu.Unlock()
	for _, p := range ports {
		p.stop()
	}
	return nil
}

// Programmed counts listeners as rules and endpoints as elements.
func (b *Backend) Programmed() proxy.Programmed {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out proxy.Programmed
	for _, p := range b.ports {
		l, e := p.size()
		out.Rules += l
		out.Elements += e
	}
	return out
}

func (b *Backend) reconcile(n proxy.ServicePortName, state *proxy.State) error {
	b.mu.Lock()
	p := b.ports[n]
	b.mu.Unlock()
	sp := state.Services[n]
	if sp == nil || sp.Protocol == proxy.SCTP {
		if p != nil {
			p.stop()
			b.mu.Lock()
			delete(b.ports, n)
			b.mu.Unlock()
		}
		if sp != nil {
			return fmt.Errorf("service port %s: %w: %s", n, ErrUnsupported, sp.Protocol)
		}
		return nil
	}
	if p != nil && p.sp.Protocol != sp.Protocol {
		p.stop()
		p = nil
	}
	if p == nil {
		p = newPortProxy(b, n, sp)
		b.mu.Lock()
		b.ports[n] = p
		b.mu.Unlock()
	}
	if err := p.update(sp, state.ReadyEndpoints(n)); err != nil {
		return fmt.Errorf("service port %s: %w: %w", n, proxy.ErrBackend, err)
	}
	return nil
}

// frontends lists the addresses a service port is reachable at.
func (b *Backend) frontends(sp *proxy.ServicePort) []netip.AddrPort {
	var out []netip.AddrPort
	for _, ip := range slices.Concat(sp.ClusterIPs, sp.ExternalIPs) {
		out = append(out, netip.AddrPortFrom(ip, sp.Port))
	}
	if sp.NodePort != 0 {
		for _, ip := range b.opts.NodeIPs {
			out = append(out, netip.AddrPortFrom(ip, sp.NodePort))
		}
	}
	return out
}
