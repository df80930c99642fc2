package raft

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	hraft "github.com/hashicorp/raft"
)

// Both protocols share one listener: each connection starts with one byte
// that says which service it is for. One address per node means the raft
// leader's address (which raft reports) is also where its forwarding
// service listens, so no second address has to be gossiped.
const (
	protoRaft byte = 'R'
	protoGRPC byte = 'G'
)

// Dialer opens a connection to a peer's address. It is the seam for
// custom networks and for fault injection in tests.
type Dialer func(ctx context.Context, address string) (net.Conn, error)

// mux accepts connections on one listener and hands each to the raft
// transport or to the gRPC server according to its first byte.
type mux struct {
	ln     net.Listener
	tls    *tls.Config
	dial   Dialer
	raftLn *chanListener
	grpcLn *chanListener
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newMux(ln net.Listener, tlsConf *tls.Config, dial Dialer) *mux {
	if dial == nil {
		d := &net.Dialer{}
		dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	m := &mux{ln: ln, tls: tlsConf, dial: dial, done: make(chan struct{})}
	m.raftLn = newChanListener(ln.Addr(), m.done)
	m.grpcLn = newChanListener(ln.Addr(), m.done)
	m.wg.Add(1)
	go m.serve()
	return m
}

func (m *mux) serve() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m.wg.Add(1)
		go m.route(c)
	}
}

// route reads the protocol byte (after the TLS handshake, when TLS is on)
// and passes the connection on.
func (m *mux) route(c net.Conn) {
	defer m.wg.Done()
	if m.tls != nil {
		c = tls.Server(c, m.tls)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var dst *chanListener
	switch b[0] {
	case protoRaft:
		dst = m.raftLn
	case protoGRPC:
		dst = m.grpcLn
	default:
		c.Close()
		return
	}
	select {
	case dst.ch <- c:
	case <-m.done:
		c.Close()
	case <-dst.closed:
		c.Close()
	}
}

// dialProto connects to address for one protocol.
func (m *mux) dialProto(ctx context.Context, address string, proto byte) (net.Conn, error) {
	c, err := m.dial(ctx, address)
	if err != nil {
		return nil, err
	}
	if m.tls != nil {
		conf := m.tls.Clone()
		if conf.ServerName == "" {
			host, _, _ := net.SplitHostPort(address)
			conf.ServerName = host
		}
		tc := tls.Client(c, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", address, err)
		}
		c = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetWriteDeadline(dl)
	}
	if _, err := c.Write([]byte{proto}); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

func (m *mux) close() {
	m.once.Do(func() {
		close(m.done)
		m.ln.Close()
	})
	m.wg.Wait()
}

// chanListener is a net.Listener fed by the mux. Closing it stops its
// Accept; the mux itself closes the real listener.
type chanListener struct {
	addr   net.Addr
	ch     chan net.Conn
	done   chan struct{} // the mux's
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr net.Addr, done chan struct{}) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: done, closed: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// streamLayer is the raft side of the mux.
type streamLayer struct {
	*chanListener
	m         *mux
	advertise net.Addr
	inbound   connSet
}

// Accept hands the raft transport the next inbound connection, tracked so
// that closeInbound can wait for the transport's handler to let go of it.
func (s *streamLayer) Accept() (net.Conn, error) {
	for {
		c, err := s.chanListener.Accept()
		if err != nil {
			return nil, err
		}
		if tc := s.inbound.add(c); tc != nil {
			return tc, nil
		}
	}
}

// closeInbound closes the inbound raft connections and waits, up to max,
// until the transport's handler of each has returned (a handler closes its
// connection when it returns). A handler may still be running raft code
// that writes the log store (a heartbeat from a newer term saves it), so
// the store must stay open until then.
func (s *streamLayer) closeInbound(max time.Duration) bool {
	return s.inbound.closeAll(max)
}

// connSet tracks open connections.
type connSet struct {
	mu     sync.Mutex
	conns  map[*inboundConn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// inboundConn leaves its set when closed.
type inboundConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (c *inboundConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
		c.set.wg.Done()
	})
	return err
}

// add tracks c; after closeAll it closes c and returns nil.
func (s *connSet) add(c net.Conn) *inboundConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil
	}
	if s.conns == nil {
		s.conns = map[*inboundConn]struct{}{}
	}
	tc := &inboundConn{Conn: c, set: s}
	s.conns[tc] = struct{}{}
	s.wg.Add(1)
	return tc
}

// closeAll closes every tracked connection's underlying conn and waits up
// to max for each to be closed through its inboundConn. It reports whether
// they all were.
func (s *connSet) closeAll(max time.Duration) bool {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Conn.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

var _ hraft.StreamLayer = (*streamLayer)(nil)

func (s *streamLayer) Dial(address hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.m.dialProto(ctx, string(address), protoRaft)
}

func (s *streamLayer) Addr() net.Addr { return s.advertise }
