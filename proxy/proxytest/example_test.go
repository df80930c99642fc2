package proxytest_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
)

// FakeBackend records what a driver asks of a backend.
func ExampleFakeBackend() {
	fake := proxytest.NewFakeBackend()
	tracker, state := proxy.NewTracker(nil), proxy.NewState()
	tracker.OnServiceUpdate(nil, &proxy.Service{Namespace: "ns", Name: "a",
		ClusterIPs: []netip.Addr{netip.MustParseAddr("198.19.0.1")},
		Ports:      []proxy.ServicePortSpec{{Protocol: proxy.TCP, Port: 80}}})
	fake.FullSync(context.Background(), state)
	fake.Sync(context.Background(), state, tracker.Apply(state))
	for _, c := range fake.Calls() {
		fmt.Println(c.Method, c.Services)
	}
	// Output:
	// FullSync 0
	// Sync 1
}
