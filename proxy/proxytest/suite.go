package proxytest

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/proxy"
)

// Env is what the conformance suite needs from a backend under test.
type Env struct {
	// Backend is a fresh backend; the suite full-syncs it first and calls
	// Cleanup at the end.
	Backend proxy.Backend
	// Servers are at least three endpoints the service may forward to.
	Servers []*Server
	// ClusterIP is the VIP the suite gives its services.
	ClusterIP netip.Addr
	// NodeIP is a local address of the node for NodePort checks; the zero
	// value skips them (backends that do not serve NodePorts).
	NodeIP netip.Addr
	// Dial connects as a client of the service: to ClusterIP:port (or
	// NodeIP:nodePort) as given in the Service.
	Dial Dialer
}

// Suite timing: every check is bounded.
const (
	askTimeout  = 3 * time.Second
	connections = 60
	servicePort = 80
	nodePort    = 30080
)

// Run runs the behavioural conformance suite: newEnv is called once per
// subtest and must register its own cleanup.
func Run(t *testing.T, newEnv func(t *testing.T) *Env) {
	tests := []struct {
		name string
		run  func(t *testing.T, c *checker)
	}{
		{"SpreadsOverEndpoints", testSpread},
		{"RemovedEndpointStopsReceiving", testRemoved},
		{"ClientIPAffinitySticks", testAffinity},
		{"AffinityLeavesRemovedEndpoint", testAffinityRemoved},
		{"NoEndpointsRefusedFast", testNoEndpoints},
		{"UDP", testUDP},
		{"NodePort", testNodePort},
		{"ServiceRemoved", testServiceRemoved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			if len(env.Servers) < 3 {
				t.Fatalf("the suite needs at least 3 servers, got %d", len(env.Servers))
			}
			c := &checker{t: t, env: env, tracker: proxy.NewTracker(nil), state: proxy.NewState()}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			t.Cleanup(cancel)
			c.ctx = ctx
			if err := env.Backend.FullSync(ctx, c.state); err != nil {
				t.Fatalf("initial FullSync: %v", err)
			}
			t.Cleanup(func() {
				if err := env.Backend.Cleanup(context.Background()); err != nil {
					t.Errorf("Cleanup: %v", err)
				}
			})
			tc.run(t, c)
		})
	}
}

// checker drives a backend through a tracker, as a Runner would.
type checker struct {
	t       *testing.T
	ctx     context.Context
	env     *Env
	tracker *proxy.Tracker
	state   *proxy.State
}

func (c *checker) service(proto proxy.Protocol, affinity bool) *proxy.Service {
	s := &proxy.Service{Namespace: "conformance", Name: "svc", ClusterIPs: []netip.Addr{c.env.ClusterIP},
		Ports: []proxy.ServicePortSpec{{Name: "p", Protocol: proto, Port: servicePort}}}
	if c.env.NodeIP.IsValid() {
		s.Ports[0].NodePort = nodePort
	}
	if affinity {
		s.SessionAffinity, s.AffinityTimeout = proxy.AffinityClientIP, time.Minute
	}
	return s
}

func (c *checker) endpoints(servers ...*Server) *proxy.Endpoints {
	e := &proxy.Endpoints{Namespace: "conformance", Name: "svc"}
	// Servers may listen on different ports: one subset per server.
	for _, s := range servers {
		e.Subsets = append(e.Subsets, proxy.EndpointSubset{
			Addresses: []proxy.EndpointAddress{{IP: s.Addr.Addr(), Ready: true, NodeName: "node"}},
			Ports: []proxy.EndpointPort{
				{Name: "p", Protocol: proxy.TCP, Port: s.Addr.Port()},
			},
		})
	}
	return e
}

// sync applies pending changes with an incremental Sync.
func (c *checker) sync() {
	c.t.Helper()
	cs := c.tracker.Apply(c.state)
	if err := c.env.Backend.Sync(c.ctx, c.state, cs); err != nil {
		c.t.Fatalf("Sync: %v", err)
	}
}

func (c *checker) vip() netip.AddrPort { return netip.AddrPortFrom(c.env.ClusterIP, servicePort) }

// count asks n times and counts the answers per server name.
func (c *checker) count(network string, addr netip.AddrPort, n int) map[string]int {
	c.t.Helper()
	got := map[string]int{}
	for range n {
		name, err := Ask(c.ctx, c.env.Dial, network, addr, askTimeout)
		if err != nil {
			c.t.Fatalf("ask %s %s: %v (answers so far %v)", network, addr, err, got)
		}
		got[name]++
	}
	return got
}

func (c *checker) wantAll(got map[string]int, servers ...*Server) {
	c.t.Helper()
	for _, s := range servers {
		if got[s.Name] == 0 {
			c.t.Errorf("endpoint %s got no connection: %v", s.Name, got)
		}
	}
	names := map[string]bool{}
	for _, s := range servers {
		names[s.Name] = true
	}
	for n := range got {
		if !names[n] {
			c.t.Errorf("answer from %q, which is not an endpoint now: %v", n, got)
		}
	}
}

func testSpread(t *testing.T, c *checker) {
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, false))
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers...))
	c.sync()
	c.wantAll(c.count("tcp", c.vip(), connections), c.env.Servers...)
}

func testRemoved(t *testing.T, c *checker) {
	s := c.env.Servers
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, false))
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(s...))
	c.sync()
	c.wantAll(c.count("tcp", c.vip(), 30), s...)
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(s[0], s[1]))
	c.sync()
	c.wantAll(c.count("tcp", c.vip(), 30), s[0], s[1])
}

func testAffinity(t *testing.T, c *checker) {
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, true))
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers...))
	c.sync()
	got := c.count("tcp", c.vip(), 20)
	if len(got) != 1 {
		t.Errorf("with ClientIP affinity one client must stick to one endpoint, got %v", got)
	}
}

// testAffinityRemoved removes the endpoint a client sticks to: the client
// must move to a live endpoint and stick there.
func testAffinityRemoved(t *testing.T, c *checker) {
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, true))
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers...))
	c.sync()
	got := c.count("tcp", c.vip(), 5)
	if len(got) != 1 {
		t.Fatalf("with ClientIP affinity one client must stick to one endpoint, got %v", got)
	}
	var rest []*Server
	for _, s := range c.env.Servers {
		if got[s.Name] == 0 {
			rest = append(rest, s)
		}
	}
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(rest...))
	c.sync()
	got = c.count("tcp", c.vip(), 10)
	if len(got) != 1 {
		t.Errorf("after its endpoint left, the client must stick to one new endpoint, got %v", got)
	}
	for name := range got {
		if !slices.ContainsFunc(rest, func(s *Server) bool { return s.Name == name }) {
			t.Errorf("answer from %q, which is no longer an endpoint: %v", name, got)
		}
	}
}

func testNoEndpoints(t *testing.T, c *checker) {
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, false))
	c.sync()
	start := time.Now()
	_, err := Ask(c.ctx, c.env.Dial, "tcp", c.vip(), askTimeout)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a service without endpoints must refuse connections, got %v after %v", err, time.Since(start))
	}
	// Endpoints arrive: served again.
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers[0]))
	c.sync()
	c.wantAll(c.count("tcp", c.vip(), 5), c.env.Servers[0])
}

func testUDP(t *testing.T, c *checker) {
	c.tracker.OnServiceUpdate(nil, c.service(proxy.UDP, false))
	e := c.endpoints(c.env.Servers...)
	for i := range e.Subsets {
		e.Subsets[i].Ports[0].Protocol = proxy.UDP
	}
	c.tracker.OnEndpointsUpdate(nil, e)
	c.sync()
	// Each ask uses a new socket (a new flow), so flows spread too.
	c.wantAll(c.count("udp", c.vip(), connections), c.env.Servers...)
}

func testNodePort(t *testing.T, c *checker) {
	if !c.env.NodeIP.IsValid() {
		t.Skip("backend does not serve NodePorts in this environment")
	}
	c.tracker.OnServiceUpdate(nil, c.service(proxy.TCP, false))
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers...))
	c.sync()
	c.wantAll(c.count("tcp", netip.AddrPortFrom(c.env.NodeIP, nodePort), connections), c.env.Servers...)
}

func testServiceRemoved(t *testing.T, c *checker) {
	svc := c.service(proxy.TCP, false)
	c.tracker.OnServiceUpdate(nil, svc)
	c.tracker.OnEndpointsUpdate(nil, c.endpoints(c.env.Servers...))
	c.sync()
	c.count("tcp", c.vip(), 3)
	c.tracker.OnServiceUpdate(svc, nil)
	c.sync()
	name, err := Ask(c.ctx, c.env.Dial, "tcp", c.vip(), 500*time.Millisecond)
	if err == nil {
		t.Fatalf("a removed service still answered (from %s)", name)
	}
	if p, ok := c.env.Backend.(proxy.Counter); ok {
		base := p.Programmed()
		c.tracker.OnServiceUpdate(nil, svc)
		c.sync()
		if p.Programmed() == base {
			t.Errorf("Programmed() did not change when a service was added: %+v", base)
		}
	}
}
