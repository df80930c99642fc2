package nftables

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/proxy"
)

func service(name, ip string, nodePort uint16, affinity bool) *proxy.Service {
	s := &proxy.Service{Namespace: "default", Name: name, ClusterIPs: []netip.Addr{netip.MustParseAddr(ip)},
		Ports: []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80, NodePort: nodePort}}}
	if affinity {
		s.SessionAffinity, s.AffinityTimeout = proxy.AffinityClientIP, 10*time.Second
	}
	return s
}

func endpoints(name string, ips ...string) *proxy.Endpoints {
	e := &proxy.Endpoints{Namespace: "default", Name: name}
	ss := proxy.EndpointSubset{Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}
	for _, ip := range ips {
		ss.Addresses = append(ss.Addresses, proxy.EndpointAddress{IP: netip.MustParseAddr(ip), Ready: true})
	}
	e.Subsets = []proxy.EndpointSubset{ss}
	return e
}

// harness is a backend on a fake connection with its tracker and state.
type harness struct {
	fake    *fakeConn
	b       *Backend
	tracker *proxy.Tracker
	state   *proxy.State
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	fake := &fakeConn{}
	b, err := newBackend(fake, &Options{Families: []Family{IPv4}, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{fake: fake, b: b, tracker: proxy.NewTracker(nil), state: proxy.NewState()}
}

func (h *harness) full(t testing.TB) []string {
	t.Helper()
	h.tracker.Apply(h.state)
	if err := h.b.FullSync(context.Background(), h.state); err != nil {
		t.Fatal(err)
	}
	return h.fake.last()
}

func (h *harness) sync(t testing.TB) []string {
	t.Helper()
	before := len(h.fake.batches)
	cs := h.tracker.Apply(h.state)
	if err := h.b.Sync(context.Background(), h.state, cs); err != nil {
		t.Fatal(err)
	}
	if len(h.fake.batches) != before+1 {
		t.Fatalf("sync sent %d batches, want exactly 1", len(h.fake.batches)-before)
	}
	return h.fake.last()
}

func spn(name string) proxy.ServicePortName {
	return proxy.ServicePortName{Namespace: "default", Name: name, Port: "http"}
}

func has(lines []string, sub string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, sub) })
}

func TestFullSyncBuildsTableAtomically(t *testing.T) {
	h := newHarness(t)
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 30080, false))
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	h.tracker.OnServiceUpdate(nil, service("b", "198.19.0.11", 0, false))
	batch := h.full(t)
	if len(h.fake.batches) != 1 {
		t.Fatalf("full sync sent %d batches, want 1", len(h.fake.batches))
	}
	if !slices.Equal(batch[:3], []string{"add table ip longshore", "delete table ip longshore", "add table ip longshore"}) {
		t.Fatalf("full sync must start by replacing the table, got %q", batch[:3])
	}
	svcA, svcB := svcChainName(spn("a")), svcChainName(spn("b"))
	for _, want := range []string{
		"add element ip longshore service-ips c6130000a0600000000005000 goto " + svcA,
		"add element ip longshore no-endpoint-services c613000b0600000000005000 goto " + chainReject,
		"add element ip longshore service-nodeports 0600000075a0000 goto " + extChainName(spn("a")),
		"add rule ip longshore " + svcA + " Numgen,Cmp,Verdict",
		"add chain ip longshore " + svcB,
		"add rule ip longshore nat-postrouting Meta,Bitwise,Cmp,Masq",
		"add rule ip longshore reject-no-endpoints Meta,Cmp,Reject",
	} {
		want = strings.Replace(want, "c6130000a0600000000005000", fmt.Sprintf("%x", ipProtoPortKey(famOf(IPv4), netip.MustParseAddr("198.19.0.10"), proxy.TCP, 80)), 1)
		want = strings.Replace(want, "c613000b0600000000005000", fmt.Sprintf("%x", ipProtoPortKey(famOf(IPv4), netip.MustParseAddr("198.19.0.11"), proxy.TCP, 80)), 1)
		want = strings.Replace(want, "0600000075a0000", fmt.Sprintf("%x", protoPortKey(proxy.TCP, 30080)), 1)
		if !has(batch, want) {
			t.Errorf("full sync batch lacks %q:\n%s", want, strings.Join(batch, "\n"))
		}
	}
	for _, ep := range []string{"198.18.1.2:8080", "198.18.2.2:8080"} {
		name := epChainName(spn("a"), proxy.Endpoint{IP: netip.MustParseAddrPort(ep).Addr(), Port: 8080}, "")
		if !has(batch, "add rule ip longshore "+name+" Immediate,Immediate,NAT") {
			t.Errorf("no DNAT rule for endpoint %s", ep)
		}
	}
	if p := h.b.Programmed(); p.Rules == 0 || p.Elements != 3 {
		t.Errorf("Programmed() = %+v, want rules > 0 and 3 map elements", p)
	}
}

func TestSyncTouchesOnlyChangedService(t *testing.T) {
	h := newHarness(t)
	for i := range 50 {
		name := fmt.Sprintf("s%d", i)
		h.tracker.OnServiceUpdate(nil, service(name, fmt.Sprintf("198.19.1.%d", i), 0, false))
		h.tracker.OnEndpointsUpdate(nil, endpoints(name, "198.18.1.2", "198.18.2.2"))
	}
	h.full(t)
	before := h.b.Programmed()

	tests := []struct {
		name      string
		change    func()
		want      []string
		notWant   []string
		maxLength int
	}{{
		name:   "endpoint added",
		change: func() { h.tracker.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.2", "198.18.2.2", "198.18.3.2")) },
		want: []string{
			"add chain ip longshore " + epChainName(spn("s7"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.3.2"), Port: 8080}, ""),
			"flush chain ip longshore " + svcChainName(spn("s7")),
			"add rule ip longshore " + svcChainName(spn("s7")) + " Numgen,Cmp,Verdict",
		},
		notWant:   []string{"table", "delete", "add element"},
		maxLength: 8,
	}, {
		name:   "endpoint removed",
		change: func() { h.tracker.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.2")) },
		want: []string{
			"flush chain ip longshore " + svcChainName(spn("s7")),
			"add rule ip longshore " + svcChainName(spn("s7")) + " Verdict",
			"delete chain ip longshore " + epChainName(spn("s7"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.2.2"), Port: 8080}, ""),
		},
		notWant:   []string{"table", "add element", "add chain"},
		maxLength: 8,
	}, {
		name:      "last endpoint gone: reject instead",
		change:    func() { h.tracker.OnEndpointsUpdate(nil, endpoints("s7")) },
		want:      []string{"delete element ip longshore service-ips", "add element ip longshore no-endpoint-services", "goto " + chainReject},
		notWant:   []string{"table", "add chain"},
		maxLength: 8,
	}, {
		name:      "service removed",
		change:    func() { h.tracker.OnServiceUpdate(service("s9", "198.19.1.9", 0, false), nil) },
		want:      []string{"delete element ip longshore service-ips", "delete chain ip longshore " + svcChainName(spn("s9"))},
		notWant:   []string{"table", "add "},
		maxLength: 10,
	}}
	prev := before
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			batch := h.sync(t)
			for _, w := range tc.want {
				if !has(batch, w) {
					t.Errorf("batch lacks %q:\n%s", w, strings.Join(batch, "\n"))
				}
			}
			for _, nw := range tc.notWant {
				if has(batch, nw) {
					t.Errorf("batch must not contain %q:\n%s", nw, strings.Join(batch, "\n"))
				}
			}
			if len(batch) > tc.maxLength {
				t.Errorf("batch has %d operations, want at most %d (only the changed service):\n%s", len(batch), tc.maxLength, strings.Join(batch, "\n"))
			}
			for _, l := range batch {
				for i := range 50 {
					if other := svcChainName(spn(fmt.Sprintf("s%d", i))); i != 7 && i != 9 && strings.Contains(l, other) {
						t.Errorf("batch touches unrelated service s%d: %q", i, l)
					}
				}
			}
			now := h.b.Programmed()
			if now == prev {
				t.Errorf("Programmed() unchanged at %+v after a change", now)
			}
			prev = now
		})
	}
}

func TestEndpointSelection(t *testing.T) {
	tests := []struct {
		name       string
		numgenMaps bool
		flat       bool
		eps        []string
		want       []string
	}{
		{"cascade", false, false, []string{"198.18.1.2", "198.18.2.2", "198.18.3.2"},
			[]string{"Numgen,Cmp,Verdict", "Numgen,Cmp,Verdict", "Verdict"}},
		{"numgen vmap", true, false, []string{"198.18.1.2", "198.18.2.2", "198.18.3.2"}, []string{"Numgen,Lookup"}},
		{"one endpoint", true, false, []string{"198.18.1.2"}, []string{"Verdict"}},
		{"flat", false, true, []string{"198.18.1.2", "198.18.2.2"}, []string{
			"Payload,Cmp,Meta,Bitwise,Meta", "Payload,Cmp,Meta,Bitwise,Meta",
			"Numgen,Cmp,Immediate,Immediate,NAT", "Immediate,Immediate,NAT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.b.layout = layout{numgenMaps: tc.numgenMaps, flat: tc.flat}
			h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, false))
			h.tracker.OnEndpointsUpdate(nil, endpoints("a", tc.eps...))
			prefix := "add rule ip longshore " + svcChainName(spn("a")) + " "
			var got []string
			for _, l := range h.full(t) {
				if r, ok := strings.CutPrefix(l, prefix); ok {
					got = append(got, r)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("service chain rules %q, want %q", got, tc.want)
			}
			if tc.flat && has(h.fake.last(), "add chain ip longshore ep-") {
				t.Error("flat layout must not create endpoint chains")
			}
			anon := has(h.fake.last(), "add set ip longshore __map")
			if anon != (tc.numgenMaps && len(tc.eps) > 1) {
				t.Errorf("anonymous map sent: %v", anon)
			}
		})
	}
}

func TestSyncOrdersDeletesAfterReferences(t *testing.T) {
	h := newHarness(t)
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 30080, true))
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	h.full(t)
	h.tracker.OnServiceUpdate(service("a", "198.19.0.10", 30080, true), nil)
	batch := h.sync(t)
	idx := func(sub string) int {
		return slices.IndexFunc(batch, func(l string) bool { return strings.Contains(l, sub) })
	}
	ep := epChainName(spn("a"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.1.2"), Port: 8080}, fmt.Sprint(int64(10*time.Second)))
	order := []string{
		"delete element ip longshore service-ips",
		"delete element ip longshore service-nodeports",
		"delete chain ip longshore " + extChainName(spn("a")),
		"flush chain ip longshore " + svcChainName(spn("a")),
		"delete chain ip longshore " + svcChainName(spn("a")),
		"flush chain ip longshore " + ep,
		"delete chain ip longshore " + ep,
		"delete set ip longshore " + ep,
	}
	last := -1
	for _, o := range order {
		i := idx(o)
		if i < 0 {
			t.Fatalf("batch lacks %q:\n%s", o, strings.Join(batch, "\n"))
		}
		if i < last {
			t.Errorf("%q comes before an operation that must precede it:\n%s", o, strings.Join(batch, "\n"))
		}
		last = i
	}
	if p := h.b.Programmed(); p.Rules != 15 || p.Elements != 0 {
		t.Errorf("after removing the only service Programmed() = %+v, want only the 15 base rules", p)
	}
}

func TestAffinityRules(t *testing.T) {
	h := newHarness(t)
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, true))
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	batch := h.full(t)
	svc := svcChainName(spn("a"))
	n := 0
	for _, l := range batch {
		if strings.HasPrefix(l, "add rule ip longshore "+svc+" Payload,Lookup,Verdict") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want 2 affinity lookups before the numgen, got %d:\n%s", n, strings.Join(batch, "\n"))
	}
	ep := epChainName(spn("a"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.1.2"), Port: 8080}, fmt.Sprint(int64(10*time.Second)))
	for _, w := range []string{"add set ip longshore " + ep, "add rule ip longshore " + ep + " Payload,Dynset"} {
		if !has(batch, w) {
			t.Errorf("batch lacks %q", w)
		}
	}
}

func TestFailedFlushNeedsFullSync(t *testing.T) {
	h := newHarness(t)
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, false))
	h.full(t)
	h.fake.fail = errors.New("netlink: no buffer space")
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2"))
	cs := h.tracker.Apply(h.state)
	if err := h.b.Sync(context.Background(), h.state, cs); !errors.Is(err, proxy.ErrBackend) {
		t.Fatalf("Sync with a failing flush = %v, want ErrBackend", err)
	}
	h.fake.fail = nil
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	cs = h.tracker.Apply(h.state)
	if err := h.b.Sync(context.Background(), h.state, cs); !errors.Is(err, proxy.ErrBackend) {
		t.Fatalf("Sync after a failure = %v, want ErrBackend (a full sync is needed)", err)
	}
	if err := h.b.FullSync(context.Background(), h.state); err != nil {
		t.Fatalf("FullSync after a failure: %v", err)
	}
}

func TestCleanupAndClose(t *testing.T) {
	h := newHarness(t)
	h.full(t)
	if err := h.b.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.fake.last(); !slices.Equal(got, []string{"add table ip longshore", "delete table ip longshore"}) {
		t.Errorf("Cleanup sent %q", got)
	}
	if err := h.b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.b.FullSync(context.Background(), h.state); !errors.Is(err, ErrClosed) {
		t.Errorf("FullSync after Close = %v, want ErrClosed", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := newBackend(&fakeConn{}, &Options{Families: []Family{IPv4, IPv4}}); err == nil {
		t.Error("a repeated family must be refused")
	}
	if _, err := newBackend(&fakeConn{}, &Options{Families: []Family{5}}); err == nil {
		t.Error("an unknown family must be refused")
	}
}

func TestFamiliesGetTheirOwnAddresses(t *testing.T) {
	fake := &fakeConn{}
	b, err := newBackend(fake, &Options{Chains: true}) // both families by default
	if err != nil {
		t.Fatal(err)
	}
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	s := service("dual", "198.19.0.10", 0, false)
	s.ClusterIPs = append(s.ClusterIPs, netip.MustParseAddr("2001:db8::10"))
	tr.OnServiceUpdate(nil, s)
	tr.OnEndpointsUpdate(nil, endpoints("dual", "198.18.1.2", "2001:db8:1::2"))
	tr.Apply(st)
	if err := b.FullSync(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	batch := fake.last()
	v4 := fmt.Sprintf("add element ip longshore service-ips %x", ipProtoPortKey(famOf(IPv4), netip.MustParseAddr("198.19.0.10"), proxy.TCP, 80))
	v6 := fmt.Sprintf("add element ip6 longshore service-ips %x", ipProtoPortKey(famOf(IPv6), netip.MustParseAddr("2001:db8::10"), proxy.TCP, 80))
	for _, w := range []string{v4, v6, "add table ip6 longshore"} {
		if !has(batch, w) {
			t.Errorf("batch lacks %q", w)
		}
	}
	if k := ipProtoPortKey(famOf(IPv6), netip.MustParseAddr("2001:db8::10"), proxy.TCP, 80); len(k) != 24 {
		t.Errorf("IPv6 key is %d bytes, want 24 (16 + 4 + 4)", len(k))
	}
	ep4 := epChainName(spn("dual"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.1.2"), Port: 8080}, "")
	ep6 := epChainName(spn("dual"), proxy.Endpoint{IP: netip.MustParseAddr("2001:db8:1::2"), Port: 8080}, "")
	if !has(batch, "add chain ip longshore "+ep4) || has(batch, "add chain ip6 longshore "+ep4) {
		t.Error("the IPv4 endpoint must be programmed in the ip table only")
	}
	if !has(batch, "add chain ip6 longshore "+ep6) || has(batch, "add chain ip longshore "+ep6) {
		t.Error("the IPv6 endpoint must be programmed in the ip6 table only")
	}
	if len(fake.batches) != 1 {
		t.Errorf("both tables must be rebuilt in one batch, got %d", len(fake.batches))
	}
}

func TestFlatLayoutSync(t *testing.T) {
	fake := &fakeConn{}
	b, err := newBackend(fake, &Options{Families: []Family{IPv4}, Flat: true})
	if err != nil {
		t.Fatal(err)
	}
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	tr.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, true))
	tr.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	tr.Apply(st)
	if err := b.FullSync(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	svc := svcChainName(spn("a"))
	if !has(fake.last(), "add rule ip longshore "+svc+" Payload,Lookup,Payload,Dynset,Immediate,Immediate,NAT") {
		t.Errorf("no affinity rule in the flat service chain:\n%s", strings.Join(fake.last(), "\n"))
	}
	tr.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2"))
	if err := b.Sync(context.Background(), st, tr.Apply(st)); err != nil {
		t.Fatal(err)
	}
	batch := fake.last()
	gone := epChainName(spn("a"), proxy.Endpoint{IP: netip.MustParseAddr("198.18.2.2"), Port: 8080}, fmt.Sprint(int64(10*time.Second)))
	for _, w := range []string{"flush chain ip longshore " + svc, "delete set ip longshore " + gone} {
		if !has(batch, w) {
			t.Errorf("batch lacks %q:\n%s", w, strings.Join(batch, "\n"))
		}
	}
	if has(batch, "chain ip longshore ep-") {
		t.Errorf("flat layout touched an endpoint chain:\n%s", strings.Join(batch, "\n"))
	}
	if _, err := newBackend(&fakeConn{}, &Options{Flat: true, NumgenMaps: true}); err == nil {
		t.Error("Flat with NumgenMaps must be refused")
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	h := newHarness(t)
	h.full(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, false))
	cs := h.tracker.Apply(h.state)
	before := len(h.fake.batches)
	if err := h.b.Sync(ctx, h.state, cs); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync with a cancelled context = %v", err)
	}
	if err := h.b.FullSync(ctx, h.state); !errors.Is(err, context.Canceled) {
		t.Fatalf("FullSync with a cancelled context = %v", err)
	}
	h.fake.mu.Lock()
	pending := len(h.fake.pending)
	h.fake.mu.Unlock()
	if len(h.fake.batches) != before || pending != 0 {
		t.Errorf("a cancelled sync queued or sent operations (%d pending)", pending)
	}
}

func TestShardedSyncTouchesOneTable(t *testing.T) {
	fake := &fakeConn{}
	b, err := newBackend(fake, &Options{Families: []Family{IPv4}, Shards: 4, Chains: true})
	if err != nil {
		t.Fatal(err)
	}
	tr, st := proxy.NewTracker(nil), proxy.NewState()
	for i := range 40 {
		name := fmt.Sprintf("s%d", i)
		tr.OnServiceUpdate(nil, service(name, fmt.Sprintf("198.19.1.%d", i), 0, false))
		tr.OnEndpointsUpdate(nil, endpoints(name, "198.18.1.2"))
	}
	tr.Apply(st)
	if err := b.FullSync(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	full := fake.last()
	for i := range 4 {
		if !has(full, fmt.Sprintf("add table ip longshore-%d", i)) {
			t.Errorf("full sync did not build shard %d", i)
		}
	}
	for i := range 40 {
		name := svcChainName(spn(fmt.Sprintf("s%d", i)))
		want := fmt.Sprintf("add chain ip longshore-%d %s", b.shardOf(spn(fmt.Sprintf("s%d", i))), name)
		if !has(full, want) {
			t.Errorf("service s%d not in its shard: no %q", i, want)
		}
	}
	tr.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.2", "198.18.2.2"))
	if err := b.Sync(context.Background(), st, tr.Apply(st)); err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf(" ip longshore-%d ", b.shardOf(spn("s7")))
	for _, l := range fake.last() {
		if !strings.Contains(l, table) {
			t.Errorf("a one-service change touched another table: %q", l)
		}
	}
	if _, err := newBackend(&fakeConn{}, &Options{Shards: -1}); err == nil {
		t.Error("negative shards must be refused")
	}
}
