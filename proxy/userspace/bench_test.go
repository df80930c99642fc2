package userspace

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
)

// BenchmarkForward opens TCP connections through the proxy's loopback
// listener and, for comparison, straight to the endpoint; each connection
// reads the endpoint's name and closes.
func BenchmarkForward(b *testing.B) {
	srv := proxytest.StartServer(b, "ep", netip.AddrPortFrom(loopback, 0), nil)
	p := New(&Options{Listen: Loopback})
	b.Cleanup(func() { p.Cleanup(context.Background()) })
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, svc(proxy.TCP))
	tr.OnEndpointsUpdate(nil, eps(srv.Addr))
	if err := p.Sync(context.Background(), st, tr.Apply(st)); err != nil {
		b.Fatal(err)
	}
	front, _ := p.Lookup(netip.MustParseAddrPort("198.19.0.1:80"), proxy.TCP)
	for _, tc := range []struct {
		name string
		addr netip.AddrPort
	}{{"proxy", front}, {"direct", srv.Addr}} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 64)
			start := time.Now()
			for b.Loop() {
				c, err := net.DialTimeout("tcp", tc.addr.String(), 2*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Read(buf); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conns/s")
		})
	}
}
