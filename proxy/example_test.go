package proxy_test

import (
	"fmt"
	"net/netip"

	"github.com/longshore/longshore/proxy"
)

// A Tracker turns object changes into a ChangeSet; Apply reports only what
// changed since the previous Apply.
func ExampleTracker() {
	tracker, state := proxy.NewTracker(nil), proxy.NewState()
	tracker.OnServiceUpdate(nil, &proxy.Service{
		Namespace: "shop", Name: "web",
		ClusterIPs: []netip.Addr{netip.MustParseAddr("198.19.0.10")},
		Ports:      []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80}},
	})
	tracker.OnEndpointsUpdate(nil, &proxy.Endpoints{
		Namespace: "shop", Name: "web",
		Subsets: []proxy.EndpointSubset{{
			Addresses: []proxy.EndpointAddress{{IP: netip.MustParseAddr("198.18.1.2"), Ready: true}},
			Ports:     []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}},
		}},
	})
	changes := tracker.Apply(state)
	fmt.Println("added:", changes.Added)
	fmt.Println("endpoints:", state.ReadyEndpoints(changes.Added[0]))
	fmt.Println("nothing new:", tracker.Apply(state).Empty())
	// Output:
	// added: [shop/web:http]
	// endpoints: [198.18.1.2:8080]
	// nothing new: true
}
