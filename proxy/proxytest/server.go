package proxytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is an endpoint that answers every TCP connection and every UDP
// datagram with its name.
type Server struct {
	Name string
	Addr netip.AddrPort
}

// StartServer listens on addr (TCP and UDP, same port; port 0 picks one)
// using listen, which lets the caller create the sockets inside a network
// namespace; nil listen uses the net package directly. The server stops in
// t.Cleanup.
func StartServer(t testing.TB, name string, addr netip.AddrPort, listen func(func() error) error) *Server {
	t.Helper()
	if listen == nil {
		listen = func(f func() error) error { return f() }
	}
	var ln net.Listener
	var pc net.PacketConn
	err := listen(func() error {
		var err error
		for range 10 { // a free TCP port may be taken for UDP: retry
			ln, err = net.Listen("tcp", addr.String())
			if err != nil {
				return err
			}
			port := ln.Addr().(*net.TCPAddr).Port
			pc, err = net.ListenPacket("udp", netip.AddrPortFrom(addr.Addr(), uint16(port)).String())
			if err == nil || addr.Port() != 0 {
				return err
			}
			ln.Close()
		}
		return err
	})
	if err != nil {
		t.Fatalf("start server %s on %s: %v", name, addr, err)
	}
	s := &Server{Name: name, Addr: netip.AddrPortFrom(addr.Addr(), uint16(ln.Addr().(*net.TCPAddr).Port))}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, name+"\n")
			c.Close()
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(name+"\n"), from)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		pc.Close()
		wg.Wait()
	})
	return s
}

// Dialer connects to addr as a client of the service would.
type Dialer func(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error)

// Ask connects to addr over network ("tcp" or "udp"), and returns the name
// the endpoint answered, within timeout.
func Ask(ctx context.Context, dial Dialer, network string, addr netip.AddrPort, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dial(ctx, network, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if network == "udp" {
		if _, err := c.Write([]byte("who\n")); err != nil {
			return "", err
		}
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return "", fmt.Errorf("read from %s: %w", addr, err)
	}
	return strings.TrimSpace(string(buf[:n])), nil
}
