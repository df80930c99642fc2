package userspace

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
)

func (p *portProxy) serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forwardTCP(c)
		}()
	}
}

// pair closes both sides of a forwarded connection once.
type pair struct {
	once         sync.Once
	client, back net.Conn
}

// Close closes both connections (once).
func (c *pair) Close() error {
	c.once.Do(func() {
		c.client.Close()
		c.back.Close()
	})
	return nil
}

func (p *portProxy) forwardTCP(client net.Conn) {
	src, _ := netip.ParseAddrPort(client.RemoteAddr().String())
	var back net.Conn
	var ep netip.AddrPort
	for attempt := 0; ; attempt++ {
		var ok bool
		ep, ok = p.pick(src.Addr().Unmap(), attempt)
		if !ok {
			client.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.b.opts.DialTimeout)
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ep.String())
		cancel()
		if err == nil {
			back = c
			break
		}
		p.b.log.Debug("endpoint dial failed", "service", p.name, "endpoint", ep, "err", err)
	}
	conn := &pair{client: client, back: back}
	if !p.track(ep, conn) {
		conn.Close()
		return
	}
	defer p.untrack(ep, conn)
	defer conn.Close()
	done := make(chan struct{}, 2)
	copyHalf := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go copyHalf(back, client)
	go copyHalf(client, back)
	<-done
	<-done
}
