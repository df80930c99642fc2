package nftables

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	gnft "github.com/google/nftables"

	"github.com/longshore/longshore/proxy"
)

// benchState returns n services with eps endpoints each.
func benchState(tb testing.TB, n, eps int) (*proxy.Tracker, *proxy.State) {
	tb.Helper()
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	for i := range n {
		name := fmt.Sprint("svc", i)
		tr.OnServiceUpdate(nil, &proxy.Service{Namespace: "bench", Name: name,
			ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)})},
			Ports:      []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80}}})
		e := &proxy.Endpoints{Namespace: "bench", Name: name, Subsets: []proxy.EndpointSubset{{
			Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}}}
		for j := range eps {
			k := i*eps + j + 1
			e.Subsets[0].Addresses = append(e.Subsets[0].Addresses,
				proxy.EndpointAddress{IP: netip.AddrFrom4([4]byte{198, 18 + byte(k>>16), byte(k >> 8), byte(k)}), Ready: true})
		}
		tr.OnEndpointsUpdate(nil, e)
	}
	tr.Apply(st)
	return tr, st
}

// BenchmarkBuildFullSync measures the user-space half of a full sync:
// building and encoding the batch (google/nftables encodes each message
// as it is queued), without sending it.
func BenchmarkBuildFullSync(b *testing.B) {
	for _, l := range []struct {
		name string
		l    layout
	}{{"maps", layout{maps: true}}, {"chains", layout{}}} {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("layout=%s/services=%d", l.name, n), func(b *testing.B) {
				_, st := benchState(b, n, 10)
				b.ReportAllocs()
				for b.Loop() {
					c, err := gnft.New()
					if err != nil {
						b.Fatal(err)
					}
					tb := newTable(famOf(IPv4), DefaultTable, 0)
					tb.rebuild(c, st, l.l, func(proxy.ServicePortName) int { return 0 })
				}
			})
		}
	}
}

// BenchmarkDataPlane opens connections from the node namespace to a
// service VIP (DNAT to one of three pods) and, for comparison, straight to
// a pod IP; each connection reads the pod's name and closes. Bounded by
// -benchtime (e.g. -benchtime=2000x).
func BenchmarkDataPlane(b *testing.B) {
	for _, l := range []struct {
		name string
		opts Options
	}{{"maps", Options{}}, {"chains", Options{Chains: true}}, {"flat", Options{Flat: true}}} {
		b.Run("layout="+l.name, func(b *testing.B) { benchDataPlane(b, l.opts) })
	}
}

func benchDataPlane(b *testing.B, opts Options) {
	env, topo := newEnv(b, opts)
	ctx := context.Background()
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, &proxy.Service{Namespace: "bench", Name: "web", ClusterIPs: []netip.Addr{env.ClusterIP},
		Ports: []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80}}})
	eps := &proxy.Endpoints{Namespace: "bench", Name: "web", Subsets: []proxy.EndpointSubset{{
		Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}}}
	for _, s := range env.Servers {
		eps.Subsets[0].Addresses = append(eps.Subsets[0].Addresses, proxy.EndpointAddress{IP: s.Addr.Addr(), Ready: true})
	}
	tr.OnEndpointsUpdate(nil, eps)
	tr.Apply(st)
	if err := env.Backend.FullSync(ctx, st); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { env.Backend.Cleanup(context.Background()) })
	for _, tc := range []struct {
		name string
		addr netip.AddrPort
	}{
		{"vip", netip.AddrPortFrom(env.ClusterIP, 80)},
		{"direct", env.Servers[0].Addr},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 64)
			// One thread in the node namespace dials every connection.
			err := topo.Node.Do(func() error {
				d := net.Dialer{Timeout: 2 * time.Second}
				start := time.Now()
				for b.Loop() {
					c, err := d.Dial("tcp", tc.addr.String())
					if err != nil {
						return err
					}
					c.SetDeadline(time.Now().Add(2 * time.Second))
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return err
					}
					c.Close()
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conns/s")
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
