package userspace_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/userspace"
)

// Without root, service frontends are mapped to loopback ports.
func Example() {
	// An endpoint on loopback.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		c, _ := ln.Accept()
		io.WriteString(c, "hello from the endpoint")
		c.Close()
	}()
	ep := netip.MustParseAddrPort(ln.Addr().String())

	tracker, state := proxy.NewTracker(nil), proxy.NewState()
	tracker.OnServiceUpdate(nil, &proxy.Service{Namespace: "default", Name: "greeter",
		ClusterIPs: []netip.Addr{netip.MustParseAddr("198.19.0.10")},
		Ports:      []proxy.ServicePortSpec{{Name: "tcp", Protocol: proxy.TCP, Port: 80}}})
	tracker.OnEndpointsUpdate(nil, &proxy.Endpoints{Namespace: "default", Name: "greeter",
		Subsets: []proxy.EndpointSubset{{
			Addresses: []proxy.EndpointAddress{{IP: ep.Addr(), Ready: true}},
			Ports:     []proxy.EndpointPort{{Name: "tcp", Protocol: proxy.TCP, Port: ep.Port()}}}}})

	b := userspace.New(&userspace.Options{Listen: userspace.Loopback})
	defer b.Cleanup(context.Background())
	if err := b.FullSync(context.Background(), state); err != nil {
		fmt.Println(err)
		return
	}
	if err := b.Sync(context.Background(), state, tracker.Apply(state)); err != nil {
		fmt.Println(err)
		return
	}
	addr, _ := b.Lookup(netip.MustParseAddrPort("198.19.0.10:80"), proxy.TCP)
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	reply, _ := io.ReadAll(c)
	fmt.Println(string(reply))
	// Output: hello from the endpoint
}
