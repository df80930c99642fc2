package proxy_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
	"github.com/longshore/longshore/store/memory"
)

// startAPI runs an in-process API server on an in-memory store and
// returns a client of it.
func startAPI(t testing.TB) *client.Client {
	t.Helper()
	st := memory.New(nil)
	t.Cleanup(func() { st.Close() })
	s, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startController runs a Controller on fake until the test ends.
func startController(t *testing.T, c *client.Client, fake *proxytest.FakeBackend) {
	t.Helper()
	ctl, err := proxy.NewController(c, fake, &proxy.ControllerOptions{
		Runner: &proxy.RunnerOptions{MinSyncInterval: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

// waitState waits (bounded) until the backend's last call satisfies ok.
func waitState(t *testing.T, fake *proxytest.FakeBackend, what string, ok func(proxytest.Call) bool) proxytest.Call {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if calls := fake.Calls(); len(calls) > 0 && ok(calls[len(calls)-1]) {
			return calls[len(calls)-1]
		}
		select {
		case <-fake.Called():
		case <-deadline:
			calls := fake.Calls()
			var last proxytest.Call
			if len(calls) > 0 {
				last = calls[len(calls)-1]
			}
			t.Fatalf("backend never reached %s; last call %s with ports %v endpoints %v", what, last.Method, last.Ports, last.Endpoints)
		}
	}
}

func ctlService(name, ip string, nodePort int32) *core.Service {
	s := &core.Service{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
		Spec: core.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip},
			Ports: []core.ServicePort{{Name: "http", Protocol: core.ProtocolTCP, Port: 80}}}}
	if nodePort != 0 {
		s.Spec.Type = core.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = nodePort
	}
	return s
}

func ctlEndpoints(name string, ips ...string) *core.Endpoints {
	e := &core.Endpoints{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"}}
	ss := core.EndpointSubset{Ports: []core.EndpointPort{{Name: "http", Protocol: core.ProtocolTCP, Port: 8080}}}
	for _, ip := range ips {
		ss.Addresses = append(ss.Addresses, core.EndpointAddress{IP: ip})
	}
	e.Subsets = []core.EndpointSubset{ss}
	return e
}

func endpointsAre(c proxytest.Call, name proxy.ServicePortName, ips ...string) bool {
	var got []string
	for _, e := range c.Endpoints[name] {
		if e.Ready && e.Port == 8080 {
			got = append(got, e.IP.String())
		}
	}
	slices.Sort(got)
	want := slices.Clone(ips)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func TestControllerFollowsTheAPI(t *testing.T) {
	c := startAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	services := client.MustFor[*core.Service](c).Namespace("default")
	endpoints := client.MustFor[*core.Endpoints](c).Namespace("default")
	// One service exists before the proxy starts: the first full sync must
	// already hold it (the controller waits for the informers).
	if _, err := services.Create(ctx, ctlService("pre", "198.19.0.9", 0), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	fake := proxytest.NewFakeBackend()
	startController(t, c, fake)
	pre := proxy.ServicePortName{Namespace: "default", Name: "pre", Port: "http"}
	web := proxy.ServicePortName{Namespace: "default", Name: "web", Port: "http"}
	first := waitState(t, fake, "a first full sync", func(c proxytest.Call) bool { return c.Method == "FullSync" })
	if _, ok := first.Ports[pre]; !ok {
		t.Fatalf("first full sync lacks the service created before start: %v", first.Ports)
	}

	steps := []struct {
		name   string
		action func() error
		ok     func(proxytest.Call) bool
	}{{
		name: "service and endpoints created",
		action: func() error {
			if _, err := services.Create(ctx, ctlService("web", "198.19.0.10", 30080), client.WriteOptions{}); err != nil {
				return err
			}
			_, err := endpoints.Create(ctx, ctlEndpoints("web", "198.18.1.2", "198.18.2.2"), client.WriteOptions{})
			return err
		},
		ok: func(c proxytest.Call) bool {
			sp, ok := c.Ports[web]
			return ok && sp.Port == 80 && sp.NodePort == 30080 && sp.Protocol == proxy.TCP &&
				slices.Equal(sp.ClusterIPs, []netip.Addr{netip.MustParseAddr("198.19.0.10")}) &&
				endpointsAre(c, web, "198.18.1.2", "198.18.2.2")
		},
	}, {
		name: "endpoint replaced",
		action: func() error {
			e, err := endpoints.Get(ctx, "web")
			if err != nil {
				return err
			}
			e = e.DeepCopyObject().(*core.Endpoints)
			e.Subsets[0].Addresses = []core.EndpointAddress{{IP: "198.18.1.2"}, {IP: "198.18.3.2"}}
			_, err = endpoints.Update(ctx, e, client.WriteOptions{})
			return err
		},
		ok: func(c proxytest.Call) bool {
			return c.Method == "Sync" && endpointsAre(c, web, "198.18.1.2", "198.18.3.2") &&
				slices.Equal(c.Changes.Endpoints, []proxy.ServicePortName{web})
		},
	}, {
		name: "service port changed",
		action: func() error {
			s, err := services.Get(ctx, "web")
			if err != nil {
				return err
			}
			s = s.DeepCopyObject().(*core.Service)
			s.Spec.Ports[0].Port = 81
			_, err = services.Update(ctx, s, client.WriteOptions{})
			return err
		},
		ok: func(c proxytest.Call) bool {
			return c.Ports[web].Port == 81 && slices.Equal(c.Changes.Updated, []proxy.ServicePortName{web})
		},
	}, {
		name:   "endpoints deleted",
		action: func() error { return endpoints.Delete(ctx, "web", nil) },
		ok: func(c proxytest.Call) bool {
			_, has := c.Endpoints[web]
			_, svc := c.Ports[web]
			return !has && svc
		},
	}, {
		name:   "service deleted",
		action: func() error { return services.Delete(ctx, "web", nil) },
		ok: func(c proxytest.Call) bool {
			_, svc := c.Ports[web]
			return !svc && slices.Equal(c.Changes.Removed, []proxy.ServicePortName{web})
		},
	}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.action(); err != nil {
				t.Fatal(err)
			}
			waitState(t, fake, st.name, st.ok)
		})
	}
	if _, ok := fake.Calls()[len(fake.Calls())-1].Ports[pre]; !ok {
		t.Error("the untouched service disappeared")
	}
}

func TestControllerNeedsClientAndBackend(t *testing.T) {
	tests := []struct {
		name    string
		c       *client.Client
		backend proxy.Backend
	}{
		{"no client", nil, proxytest.NewFakeBackend()},
		{"no backend", &client.Client{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := proxy.NewController(tc.c, tc.backend, nil); err == nil {
				t.Error("NewController accepted it")
			}
		})
	}
}

func TestControllerRunWithoutAPIReportsNotSynced(t *testing.T) {
	// A server that never answers a list: Run must give up with ctx.
	hs := httptest.NewServer(nil)
	hs.Close()
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	fake := proxytest.NewFakeBackend()
	err = proxy.Run(ctx, c, fake, nil)
	if !errors.Is(err, proxy.ErrNotSynced) {
		t.Fatalf("Run = %v, want ErrNotSynced", err)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("backend called %d times before the informers synced", n)
	}
}
