package nftables

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/proxytest"
)

var (
	nftOnce sync.Once
	nftErr  error
)

// needNFTables gates a test on root and a kernel with nf_tables (Available
// in a scratch namespace).
func needNFTables(t testing.TB) {
	t.Helper()
	testenv.NeedRoot(t)
	ns := proxytest.NewNodeNS(t)
	nftOnce.Do(func() { nftErr = Available(context.Background(), ns.Path) })
	if nftErr != nil {
		testenv.Missing(t, "nf_tables not usable: %v", nftErr)
	}
}

// newEnv builds a node with three pods, each running a server, and a
// backend programming the node.
func newEnv(t testing.TB, opts Options) (*proxytest.Env, *proxytest.Topology) {
	t.Helper()
	needNFTables(t)
	topo := proxytest.NewTopology(t, 3)
	var servers []*proxytest.Server
	for _, p := range topo.Pods {
		servers = append(servers, proxytest.StartServer(t, p.Name, netip.AddrPortFrom(p.IP, 8080), p.NS.Do))
	}
	b, err := New(&Options{NetNSPath: topo.Node.Path, Families: []Family{IPv4}, NumgenMaps: opts.NumgenMaps, Shards: opts.Shards, Flat: opts.Flat, Chains: opts.Chains})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &proxytest.Env{
		Backend:   b,
		Servers:   servers,
		ClusterIP: netip.MustParseAddr("198.19.0.10"),
		NodeIP:    topo.NodeIP,
		Dial:      topo.Node.Dial,
	}, topo
}

func TestE2EConformance(t *testing.T) {
	for _, opts := range []Options{{}, {Shards: 4}, {Chains: true}, {NumgenMaps: true}, {Chains: true, Shards: 4}, {Flat: true}} {
		t.Run(fmt.Sprintf("Chains=%v,NumgenMaps=%v,Flat=%v,Shards=%d", opts.Chains, opts.NumgenMaps, opts.Flat, opts.Shards), func(t *testing.T) {
			proxytest.Run(t, func(t *testing.T) *proxytest.Env {
				env, _ := newEnv(t, opts)
				return env
			})
		})
	}
}

// TestE2EFromPod connects from a pod, so that some connections hairpin
// back to the client pod itself (masqueraded to come back).
func TestE2EFromPod(t *testing.T) {
	for _, opts := range []Options{{}, {Chains: true}, {Flat: true}} {
		t.Run(fmt.Sprintf("Chains=%v,Flat=%v", opts.Chains, opts.Flat), func(t *testing.T) { testFromPod(t, opts) })
	}
}

func testFromPod(t *testing.T, opts Options) {
	env, topo := newEnv(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tracker, state := proxy.NewTracker(nil), proxy.NewState()
	tracker.OnServiceUpdate(nil, &proxy.Service{Namespace: "e2e", Name: "web", ClusterIPs: []netip.Addr{env.ClusterIP},
		Ports: []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80}}})
	eps := &proxy.Endpoints{Namespace: "e2e", Name: "web", Subsets: []proxy.EndpointSubset{{
		Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}}}
	for _, s := range env.Servers {
		eps.Subsets[0].Addresses = append(eps.Subsets[0].Addresses, proxy.EndpointAddress{IP: s.Addr.Addr(), Ready: true})
	}
	tracker.OnEndpointsUpdate(nil, eps)
	tracker.Apply(state)
	if err := env.Backend.FullSync(ctx, state); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Backend.Cleanup(context.Background()) })
	got := map[string]int{}
	for range 60 {
		name, err := proxytest.Ask(ctx, topo.Pods[0].NS.Dial, "tcp", netip.AddrPortFrom(env.ClusterIP, 80), 3*time.Second)
		if err != nil {
			t.Fatalf("from pod0 to the VIP: %v (answers so far %v)", err, got)
		}
		got[name]++
	}
	for _, p := range topo.Pods {
		if got[p.Name] == 0 {
			t.Errorf("%s got no connection from pod0 (hairpin included): %v", p.Name, got)
		}
	}
}

// TestE2EKernelAcceptsEveryRuleKind programs every kind of pick chain
// (cluster IP, external IP, node port; with and without affinity) in both
// families into a scratch namespace, then changes and removes them: the
// kernel validates register use, key and data lengths of each rule and
// element.
func TestE2EKernelAcceptsEveryRuleKind(t *testing.T) {
	needNFTables(t)
	for _, fam := range []Family{IPv4, IPv6} {
		t.Run(fam.String(), func(t *testing.T) {
			ns := proxytest.NewNodeNS(t)
			b, err := New(&Options{NetNSPath: ns.Path, Families: []Family{fam}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			ctx := context.Background()
			addr := func(v4, v6 string) netip.Addr {
				if fam == IPv6 {
					return netip.MustParseAddr(v6)
				}
				return netip.MustParseAddr(v4)
			}
			tr, st := proxy.NewTracker(nil), proxy.NewState()
			for i, affinity := range []bool{false, true} {
				name := fmt.Sprint("svc", i)
				tr.OnServiceUpdate(nil, &proxy.Service{Namespace: "e2e", Name: name,
					ClusterIPs:      []netip.Addr{addr(fmt.Sprintf("198.19.0.%d", 10+i), fmt.Sprintf("2001:db8::%d", 10+i))},
					ExternalIPs:     []netip.Addr{addr(fmt.Sprintf("203.0.113.%d", 10+i), fmt.Sprintf("2001:db8:1::%d", 10+i))},
					SessionAffinity: map[bool]proxy.SessionAffinity{false: proxy.AffinityNone, true: proxy.AffinityClientIP}[affinity],
					Ports: []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80, NodePort: uint16(30080 + i)},
						{Name: "dns", Protocol: proxy.UDP, Port: 53}}})
				eps := &proxy.Endpoints{Namespace: "e2e", Name: name, Subsets: []proxy.EndpointSubset{{
					Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}, {Name: "dns", Protocol: proxy.UDP, Port: 5353}}}}}
				for j := range 3 {
					eps.Subsets[0].Addresses = append(eps.Subsets[0].Addresses, proxy.EndpointAddress{
						IP: addr(fmt.Sprintf("198.18.%d.%d", i, j+2), fmt.Sprintf("2001:db8:2::%d:%d", i, j+2)), Ready: true})
				}
				tr.OnEndpointsUpdate(nil, eps)
			}
			tr.Apply(st)
			if err := b.FullSync(ctx, st); err != nil {
				t.Fatalf("full sync: %v", err)
			}
			tr.OnEndpointsUpdate(nil, &proxy.Endpoints{Namespace: "e2e", Name: "svc1", Subsets: []proxy.EndpointSubset{{
				Addresses: []proxy.EndpointAddress{{IP: addr("198.18.9.9", "2001:db8:9::9"), Ready: true}},
				Ports:     []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}}})
			if err := b.Sync(ctx, st, tr.Apply(st)); err != nil {
				t.Fatalf("sync: %v", err)
			}
			tr.OnServiceUpdate(&proxy.Service{Namespace: "e2e", Name: "svc0"}, nil)
			if err := b.Sync(ctx, st, tr.Apply(st)); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if err := b.Cleanup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAvailable(t *testing.T) {
	needNFTables(t) // Available succeeded in a scratch namespace
	if err := Available(context.Background(), "/nonexistent/netns"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("missing namespace: %v", err)
	}
}
