package proxy_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
	"github.com/longshore/longshore/store/memory"
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

// A Controller wires a backend to the API server: Services and Endpoints
// created through the API reach the backend (here a fake that records the
// state it is given).
func ExampleController() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// An in-process API server on an in-memory store.
	st := memory.New(nil)
	defer st.Close()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	srv.Start(ctx)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL})

	backend := proxytest.NewFakeBackend()
	ctl, err := proxy.NewController(c, backend, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ctl.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }() // before the server closes

	client.MustFor[*core.Service](c).Namespace("default").Create(ctx, &core.Service{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: core.ServiceSpec{ClusterIP: "198.19.0.10",
			Ports: []core.ServicePort{{Name: "http", Protocol: core.ProtocolTCP, Port: 80}}},
	}, client.WriteOptions{})
	client.MustFor[*core.Endpoints](c).Namespace("default").Create(ctx, &core.Endpoints{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []core.EndpointSubset{{
			Addresses: []core.EndpointAddress{{IP: "198.18.1.2"}},
			Ports:     []core.EndpointPort{{Name: "http", Protocol: core.ProtocolTCP, Port: 8080}},
		}},
	}, client.WriteOptions{})

	web := proxy.ServicePortName{Namespace: "default", Name: "web", Port: "http"}
	for ctx.Err() == nil {
		calls := backend.Calls()
		if n := len(calls); n > 0 && len(calls[n-1].Endpoints[web]) > 0 && calls[n-1].Ports[web].Port != 0 {
			last := calls[n-1]
			fmt.Println(web, last.Ports[web].ClusterIPs, last.Ports[web].Port, "->", last.Endpoints[web])
			return
		}
		select {
		case <-backend.Called():
		case <-ctx.Done():
		}
	}
	fmt.Println("no sync:", ctx.Err())
	// Output: default/web:http [198.19.0.10] 80 -> [198.18.1.2:8080]
}
