package proxy_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/proxy"
)

func apiService(typ core.ServiceType, clusterIP string) *core.Service {
	timeout := int32(60)
	return &core.Service{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec: core.ServiceSpec{
			Type: typ, ClusterIP: clusterIP, ExternalIPs: []string{"203.0.113.7"},
			SessionAffinity:       core.ServiceAffinityClientIP,
			SessionAffinityConfig: &core.SessionAffinityConfig{ClientIP: &core.ClientIPConfig{TimeoutSeconds: &timeout}},
			Ports:                 []core.ServicePort{{Name: "http", Port: 80, NodePort: 30080}, {Name: "dns", Protocol: core.ProtocolUDP, Port: 53}},
		},
	}
}

func TestFromAPIService(t *testing.T) {
	tests := []struct {
		name      string
		svc       *core.Service
		clusterIP string
		nodePort  uint16
		err       bool
	}{
		{"node port", apiService(core.ServiceTypeNodePort, "198.19.0.10"), "198.19.0.10", 30080, false},
		{"cluster IP ignores node ports", apiService(core.ServiceTypeClusterIP, "198.19.0.10"), "198.19.0.10", 0, false},
		{"headless", apiService(core.ServiceTypeClusterIP, core.ClusterIPNone), "", 0, false},
		{"external name", apiService(core.ServiceTypeExternalName, "198.19.0.10"), "", 0, false},
		{"bad IP", apiService(core.ServiceTypeClusterIP, "198.19.0"), "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := proxy.FromAPIService(tc.svc)
			if tc.err {
				if !errors.Is(err, proxy.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ips []string
			for _, ip := range s.ClusterIPs {
				ips = append(ips, ip.String())
			}
			if want := slices.DeleteFunc([]string{tc.clusterIP}, func(s string) bool { return s == "" }); !slices.Equal(ips, want) {
				t.Errorf("cluster IPs %v, want %v", ips, want)
			}
			if s.Ports[0].NodePort != tc.nodePort || s.Ports[0].Protocol != proxy.TCP || s.Ports[1].Protocol != proxy.UDP {
				t.Errorf("ports %+v", s.Ports)
			}
			if s.SessionAffinity != proxy.AffinityClientIP || s.AffinityTimeout != time.Minute {
				t.Errorf("affinity %s %v", s.SessionAffinity, s.AffinityTimeout)
			}
		})
	}
}

func TestTrackerAPIObjects(t *testing.T) {
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	node := "n1"
	tr.OnAPIServiceUpdate(nil, apiService(core.ServiceTypeClusterIP, "198.19.0.10"))
	tr.OnAPIEndpointsUpdate(nil, &core.Endpoints{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"},
		Subsets: []core.EndpointSubset{{
			Addresses:         []core.EndpointAddress{{IP: "198.18.1.2", NodeName: &node}},
			NotReadyAddresses: []core.EndpointAddress{{IP: "198.18.1.3"}},
			Ports:             []core.EndpointPort{{Name: "http", Port: 8080}},
		}},
	})
	cs := tr.Apply(st)
	if len(cs.Added) != 2 || len(cs.Endpoints) != 1 {
		t.Fatalf("change set %+v, want 2 ports added and 1 endpoint list", cs)
	}
	http := proxy.ServicePortName{Namespace: "ns", Name: "web", Port: "http"}
	if ready := st.ReadyEndpoints(http); len(ready) != 1 || ready[0].NodeName != "n1" || ready[0].Port != 8080 {
		t.Errorf("ready endpoints %+v", ready)
	}
	bad := apiService(core.ServiceTypeClusterIP, "198.19.0.10")
	bad.Spec.Ports[0].Port = 70000
	tr.OnAPIServiceUpdate(nil, bad)
	if cs := tr.Apply(st); len(cs.Removed) != 2 {
		t.Errorf("an invalid update must remove the service's ports, got %+v", cs)
	}
	tr.OnAPIEndpointsUpdate(&core.Endpoints{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "web"}}, nil)
	if cs := tr.Apply(st); len(cs.Endpoints) != 1 {
		t.Errorf("deleting the endpoints: %+v", cs)
	}
}
