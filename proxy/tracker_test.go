package proxy_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/longshore/longshore/proxy"
)

func svc(name string, ports ...string) *proxy.Service {
	s := &proxy.Service{Namespace: "ns", Name: name, ClusterIPs: []netip.Addr{netip.MustParseAddr("198.19.0.1")}}
	for i, p := range ports {
		s.Ports = append(s.Ports, proxy.ServicePortSpec{Name: p, Protocol: proxy.TCP, Port: uint16(80 + i)})
	}
	return s
}

func eps(name string, port string, ips ...string) *proxy.Endpoints {
	e := &proxy.Endpoints{Namespace: "ns", Name: name}
	ss := proxy.EndpointSubset{Ports: []proxy.EndpointPort{{Name: port, Protocol: proxy.TCP, Port: 8080}}}
	for _, ip := range ips {
		ss.Addresses = append(ss.Addresses, proxy.EndpointAddress{IP: netip.MustParseAddr(ip), Ready: true})
	}
	e.Subsets = append(e.Subsets, ss)
	return e
}

func spn(name, port string) proxy.ServicePortName {
	return proxy.ServicePortName{Namespace: "ns", Name: name, Port: port}
}

func TestTrackerChangeSets(t *testing.T) {
	type step struct {
		do   func(tr *proxy.Tracker)
		want proxy.ChangeSet
	}
	tests := []struct {
		name  string
		steps []step
	}{{
		name: "add, update, remove a service",
		steps: []step{
			{func(tr *proxy.Tracker) { tr.OnServiceUpdate(nil, svc("a", "http", "https")) },
				proxy.ChangeSet{Added: []proxy.ServicePortName{spn("a", "http"), spn("a", "https")}}},
			{func(tr *proxy.Tracker) {
				s := svc("a", "http", "https")
				s.Ports[1].NodePort = 30443
				tr.OnServiceUpdate(svc("a", "http", "https"), s)
			}, proxy.ChangeSet{Updated: []proxy.ServicePortName{spn("a", "https")}}},
			{func(tr *proxy.Tracker) { tr.OnServiceUpdate(svc("a", "http", "https"), svc("a", "http")) },
				proxy.ChangeSet{Removed: []proxy.ServicePortName{spn("a", "https")}}},
			{func(tr *proxy.Tracker) { tr.OnServiceUpdate(svc("a", "http"), nil) },
				proxy.ChangeSet{Removed: []proxy.ServicePortName{spn("a", "http")}}},
		},
	}, {
		name: "changes between applies coalesce",
		steps: []step{
			{func(tr *proxy.Tracker) {
				tr.OnServiceUpdate(nil, svc("a", "http"))
				tr.OnServiceUpdate(svc("a", "http"), nil)
				tr.OnEndpointsUpdate(nil, eps("b", "http", "198.18.1.2"))
				tr.OnEndpointsUpdate(nil, eps("b", "http", "198.18.1.3"))
			}, proxy.ChangeSet{Endpoints: []proxy.ServicePortName{spn("b", "http")}}},
			{func(tr *proxy.Tracker) {
				tr.OnEndpointsUpdate(nil, eps("b", "http", "198.18.1.2"))
				tr.OnEndpointsUpdate(nil, eps("b", "http", "198.18.1.3"))
			}, proxy.ChangeSet{}},
		},
	}, {
		name: "endpoints follow port names",
		steps: []step{
			{func(tr *proxy.Tracker) { tr.OnEndpointsUpdate(nil, eps("a", "http", "198.18.1.3", "198.18.1.2")) },
				proxy.ChangeSet{Endpoints: []proxy.ServicePortName{spn("a", "http")}}},
			{func(tr *proxy.Tracker) { tr.OnEndpointsUpdate(nil, eps("a", "metrics", "198.18.1.2")) },
				proxy.ChangeSet{Endpoints: []proxy.ServicePortName{spn("a", "http"), spn("a", "metrics")}}},
			{func(tr *proxy.Tracker) { tr.OnEndpointsUpdate(eps("a", "metrics"), nil) },
				proxy.ChangeSet{Endpoints: []proxy.ServicePortName{spn("a", "metrics")}}},
		},
	}, {
		name: "invalid and headless services program nothing",
		steps: []step{
			{func(tr *proxy.Tracker) {
				s := svc("a", "http")
				s.Ports[0].Protocol = "ICMP"
				tr.OnServiceUpdate(nil, s)
				h := svc("b", "http")
				h.ClusterIPs = nil
				tr.OnServiceUpdate(nil, h)
			}, proxy.ChangeSet{}},
			{func(tr *proxy.Tracker) { tr.OnServiceUpdate(nil, svc("a", "http")) },
				proxy.ChangeSet{Added: []proxy.ServicePortName{spn("a", "http")}}},
			{func(tr *proxy.Tracker) {
				s := svc("a", "http")
				s.Ports[0].Protocol = "ICMP"
				tr.OnServiceUpdate(svc("a", "http"), s) // invalid update: removed, not left stale
			}, proxy.ChangeSet{Removed: []proxy.ServicePortName{spn("a", "http")}}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, st := proxy.NewTracker(nil), proxy.NewState()
			for i, s := range tc.steps {
				s.do(tr)
				got := tr.Apply(st)
				if !equalCS(got, &s.want) {
					t.Fatalf("step %d: change set %+v, want %+v", i, got, s.want)
				}
				if got.Empty() != s.want.Empty() {
					t.Fatalf("step %d: Empty() = %v", i, got.Empty())
				}
				if tr.Pending() {
					t.Fatalf("step %d: changes still pending after Apply", i)
				}
			}
		})
	}
}

func equalCS(a, b *proxy.ChangeSet) bool {
	return slices.Equal(a.Added, b.Added) && slices.Equal(a.Updated, b.Updated) &&
		slices.Equal(a.Removed, b.Removed) && slices.Equal(a.Endpoints, b.Endpoints)
}

func TestStateContents(t *testing.T) {
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	s := svc("a", "http")
	s.SessionAffinity = proxy.AffinityClientIP
	tr.OnServiceUpdate(nil, s)
	e := eps("a", "http", "198.18.1.3", "198.18.1.2")
	e.Subsets[0].Addresses = append(e.Subsets[0].Addresses, proxy.EndpointAddress{IP: netip.MustParseAddr("198.18.1.4")})
	tr.OnEndpointsUpdate(nil, e)
	tr.Apply(st)
	sp := st.Services[spn("a", "http")]
	if sp == nil || sp.AffinityTimeout != proxy.DefaultAffinityTimeout || sp.Port != 80 {
		t.Fatalf("service port = %+v, want port 80 with the default affinity timeout", sp)
	}
	ready := st.ReadyEndpoints(spn("a", "http"))
	var got []string
	for _, e := range ready {
		got = append(got, e.String())
	}
	if want := []string{"198.18.1.2:8080", "198.18.1.3:8080"}; !slices.Equal(got, want) {
		t.Errorf("ready endpoints %v, want %v (sorted, not-ready left out)", got, want)
	}
	if n := len(st.Endpoints[spn("a", "http")]); n != 3 {
		t.Errorf("all endpoints: %d, want 3", n)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		svc  *proxy.Service
	}{
		{"no name", &proxy.Service{Namespace: "ns"}},
		{"bad affinity", &proxy.Service{Namespace: "ns", Name: "a", SessionAffinity: "Cookie"}},
		{"negative timeout", &proxy.Service{Namespace: "ns", Name: "a", AffinityTimeout: -time.Second}},
		{"duplicate port", &proxy.Service{Namespace: "ns", Name: "a", Ports: []proxy.ServicePortSpec{{Protocol: proxy.TCP, Port: 1}, {Protocol: proxy.TCP, Port: 2}}}},
		{"port 0", &proxy.Service{Namespace: "ns", Name: "a", Ports: []proxy.ServicePortSpec{{Protocol: proxy.TCP}}}},
		{"invalid ip", &proxy.Service{Namespace: "ns", Name: "a", ClusterIPs: []netip.Addr{{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.svc.Validate(); !errors.Is(err, proxy.ErrInvalid) {
				t.Errorf("Validate() = %v, want ErrInvalid", err)
			}
		})
	}
	if err := svc("a", "http").Validate(); err != nil {
		t.Errorf("valid service: %v", err)
	}
	bad := eps("a", "http", "198.18.1.2")
	bad.Subsets[0].Ports[0].Port = 0
	if err := bad.Validate(); !errors.Is(err, proxy.ErrInvalid) {
		t.Errorf("endpoints with port 0: %v, want ErrInvalid", err)
	}
}

func TestNames(t *testing.T) {
	if got := spn("a", "http").String(); got != "ns/a:http" {
		t.Errorf("String() = %q", got)
	}
	if got := spn("a", "").String(); got != "ns/a" {
		t.Errorf("String() = %q", got)
	}
}
