package userspace

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/longshore/longshore/proxy"
)

// portProxy serves one service port: its frontends, endpoint choice,
// affinity and the connections it forwards.
type portProxy struct {
	b    *Backend
	name proxy.ServicePortName
	wg   sync.WaitGroup

	mu       sync.Mutex
	sp       *proxy.ServicePort
	eps      []proxy.Endpoint
	next     int
	affinity map[netip.Addr]affinityEntry
	fronts   map[netip.AddrPort]*frontend
	conns    map[netip.AddrPort]map[io.Closer]struct{}
	drains   map[netip.AddrPort]*time.Timer
	stopped  bool
}

type affinityEntry struct {
	ep   netip.AddrPort
	last time.Time
}

// frontend is one listening address; the socket is closed (and the port
// kept) while the service port has no endpoints, so that clients are
// refused at once.
type frontend struct {
	addr netip.AddrPort // resolved listen address
	ln   net.Listener
	pc   net.PacketConn
	udp  *udpFrontend
}

func newPortProxy(b *Backend, n proxy.ServicePortName, sp *proxy.ServicePort) *portProxy {
	return &portProxy{b: b, name: n, sp: sp, affinity: map[netip.Addr]affinityEntry{},
		fronts: map[netip.AddrPort]*frontend{}, conns: map[netip.AddrPort]map[io.Closer]struct{}{},
		drains: map[netip.AddrPort]*time.Timer{}}
}

func (p *portProxy) protocol() proxy.Protocol {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sp.Protocol
}

func (p *portProxy) listenAddr(frontend netip.AddrPort) (netip.AddrPort, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.fronts[frontend]
	if !ok {
		return netip.AddrPort{}, false
	}
	return f.addr, true
}

func (p *portProxy) size() (listeners, endpoints int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.fronts {
		if f.ln != nil || f.pc != nil {
			listeners++
		}
	}
	return listeners, len(p.eps)
}

// update applies a new spec and endpoint list.
func (p *portProxy) update(sp *proxy.ServicePort, eps []proxy.Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sp = sp
	for _, old := range p.eps {
		if !slices.ContainsFunc(eps, func(e proxy.Endpoint) bool { return e.AddrPort() == old.AddrPort() }) {
			p.drainLocked(old.AddrPort())
		}
	}
	for _, e := range eps {
		if t := p.drains[e.AddrPort()]; t != nil {
			t.Stop() // back before its connections were cut
			delete(p.drains, e.AddrPort())
		}
	}
	p.eps = eps
	if sp.SessionAffinity != proxy.AffinityClientIP {
		clear(p.affinity)
	}

	want := p.b.frontends(sp)
	for key, f := range p.fronts {
		if !slices.Contains(want, key) {
			f.close(p)
			delete(p.fronts, key)
		}
	}
	var errs []error
	for _, key := range want {
		f := p.fronts[key]
		if f == nil {
			f = &frontend{addr: p.b.opts.Listen(p.name, key, sp.Protocol)}
			p.fronts[key] = f
		}
		switch {
		case len(eps) > 0 && !f.open():
			errs = append(errs, p.openLocked(f))
		case len(eps) == 0 && f.addr.Port() == 0:
			// Reserve a port now, so that clients are refused at a stable
			// address while there are no endpoints.
			err := p.openLocked(f)
			f.close(p)
			errs = append(errs, err)
		case len(eps) == 0:
			f.close(p)
		}
	}
	return errors.Join(errs...)
}

func (f *frontend) open() bool { return f.ln != nil || f.pc != nil }

// close closes the socket; the UDP sessions end on their own goroutine,
// since ending one takes the proxy's lock, which the caller holds.
func (f *frontend) close(p *portProxy) {
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
	}
	if f.pc != nil {
		f.pc.Close()
		f.pc = nil
	}
	if f.udp != nil {
		u := f.udp
		f.udp = nil
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			u.closeSessions()
		}()
	}
}

func (p *portProxy) openLocked(f *frontend) error {
	if p.stopped {
		return nil
	}
	switch p.sp.Protocol {
	case proxy.UDP:
		pc, err := net.ListenPacket("udp", f.addr.String())
		if err != nil {
			return fmt.Errorf("listen udp %s: %w", f.addr, err)
		}
		f.pc = pc
		f.addr = netip.AddrPortFrom(f.addr.Addr(), uint16(pc.LocalAddr().(*net.UDPAddr).Port))
		f.udp = newUDPFrontend(p, pc)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			f.udp.serve()
		}()
	default:
		ln, err := net.Listen("tcp", f.addr.String())
		if err != nil {
			return fmt.Errorf("listen tcp %s: %w", f.addr, err)
		}
		f.ln = ln
		f.addr = netip.AddrPortFrom(f.addr.Addr(), uint16(ln.Addr().(*net.TCPAddr).Port))
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serveTCP(ln)
		}()
	}
	return nil
}

// drainLocked lets the connections to a removed endpoint run for
// DrainTimeout, then closes them.
func (p *portProxy) drainLocked(ep netip.AddrPort) {
	for ip, a := range p.affinity {
		if a.ep == ep {
			delete(p.affinity, ip)
		}
	}
	if len(p.conns[ep]) == 0 || p.drains[ep] != nil {
		return
	}
	p.drains[ep] = time.AfterFunc(p.b.opts.DrainTimeout, func() {
		p.mu.Lock()
		if p.isEndpoint(ep) {
			p.mu.Unlock()
			return
		}
		conns := p.conns[ep]
		delete(p.conns, ep)
		delete(p.drains, ep)
		p.mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
}

// isEndpoint reports whether ep is a current endpoint.
func (p *portProxy) isEndpoint(ep netip.AddrPort) bool {
	return slices.ContainsFunc(p.eps, func(e proxy.Endpoint) bool { return e.AddrPort() == ep })
}

// pick chooses the endpoint for a client's attempt (attempt 0 honours
// affinity; later attempts, after a failed dial, go round-robin).
func (p *portProxy) pick(client netip.Addr, attempt int) (netip.AddrPort, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.eps) == 0 || attempt >= len(p.eps) {
		return netip.AddrPort{}, false
	}
	aff := p.sp.SessionAffinity == proxy.AffinityClientIP
	now := time.Now()
	if aff && attempt == 0 {
		if a, ok := p.affinity[client]; ok && now.Sub(a.last) < p.sp.AffinityTimeout && p.isEndpoint(a.ep) {
			p.affinity[client] = affinityEntry{a.ep, now}
			return a.ep, true
		}
	}
	ep := p.eps[p.next%len(p.eps)].AddrPort()
	p.next++
	if aff {
		p.affinity[client] = affinityEntry{ep, now}
	}
	return ep, true
}

// track registers a connection to ep, so that it can be drained and
// stopped; it returns false (and the caller closes c) if ep is gone or
// the proxy stopped.
func (p *portProxy) track(ep netip.AddrPort, c io.Closer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || !p.isEndpoint(ep) {
		return false
	}
	if p.conns[ep] == nil {
		p.conns[ep] = map[io.Closer]struct{}{}
	}
	p.conns[ep][c] = struct{}{}
	return true
}

func (p *portProxy) untrack(ep netip.AddrPort, c io.Closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns[ep], c)
}

// stop closes the frontends and every connection, and waits for the
// goroutines.
func (p *portProxy) stop() {
	p.mu.Lock()
	p.stopped = true
	for _, f := range p.fronts {
		f.close(p)
	}
	for _, t := range p.drains {
		t.Stop()
	}
	var all []io.Closer
	for _, cs := range p.conns {
		for c := range cs {
			all = append(all, c)
		}
	}
	p.conns = map[netip.AddrPort]map[io.Closer]struct{}{}
	p.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
	p.wg.Wait()
}
