package userspace

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpFrontend relays datagrams: each client address gets a session, a
// socket connected to the endpoint chosen for it, whose replies go back
// through the frontend's socket.
type udpFrontend struct {
	p  *portProxy
	pc net.PacketConn

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpSession
	closed   bool
}

type udpSession struct {
	f      *udpFrontend
	client netip.AddrPort
	ep     netip.AddrPort
	conn   net.Conn
	once   sync.Once
}

func newUDPFrontend(p *portProxy, pc net.PacketConn) *udpFrontend {
	return &udpFrontend{p: p, pc: pc, sessions: map[netip.AddrPort]*udpSession{}}
}

func (f *udpFrontend) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := f.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		client, _ := netip.ParseAddrPort(from.String())
		s := f.session(client)
		if s == nil {
			continue // no endpoint could be reached: drop
		}
		s.conn.SetReadDeadline(time.Now().Add(f.p.b.opts.UDPIdleTimeout))
		if _, err := s.conn.Write(buf[:n]); err != nil {
			s.Close()
		}
	}
}

func (f *udpFrontend) session(client netip.AddrPort) *udpSession {
	f.mu.Lock()
	s := f.sessions[client]
	f.mu.Unlock()
	if s != nil {
		return s
	}
	for attempt := 0; ; attempt++ {
		ep, ok := f.p.pick(client.Addr().Unmap(), attempt)
		if !ok {
			return nil
		}
		c, err := net.DialTimeout("udp", ep.String(), f.p.b.opts.DialTimeout)
		if err != nil {
			continue
		}
		s = &udpSession{f: f, client: client, ep: ep, conn: c}
		break
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		s.conn.Close()
		return nil
	}
	f.sessions[client] = s
	f.mu.Unlock()
	if !f.p.track(s.ep, s) {
		s.Close()
		return nil
	}
	f.p.wg.Add(1)
	go func() {
		defer f.p.wg.Done()
		s.relay()
	}()
	return s
}

// relay copies the endpoint's replies to the client until the session is
// idle for UDPIdleTimeout or closed.
func (s *udpSession) relay() {
	defer s.Close()
	buf := make([]byte, 65535)
	dst := net.UDPAddrFromAddrPort(s.client)
	for {
		s.conn.SetReadDeadline(time.Now().Add(s.f.p.b.opts.UDPIdleTimeout))
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		if _, err := s.f.pc.WriteTo(buf[:n], dst); err != nil {
			return
		}
	}
}

// Close ends the session.
func (s *udpSession) Close() error {
	s.once.Do(func() {
		s.conn.Close()
		s.f.mu.Lock()
		if s.f.sessions[s.client] == s {
			delete(s.f.sessions, s.client)
		}
		s.f.mu.Unlock()
		s.f.p.untrack(s.ep, s)
	})
	return nil
}

func (f *udpFrontend) closeSessions() {
	f.mu.Lock()
	f.closed = true
	all := make([]*udpSession, 0, len(f.sessions))
	for _, s := range f.sessions {
		all = append(all, s)
	}
	f.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
}
