package nftables

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables/binaryutil"

	"github.com/longshore/longshore/proxy"
)

// newMapsHarness is a backend in the default (maps) layout on a fake
// connection.
func newMapsHarness(t testing.TB) *harness {
	t.Helper()
	fake := &fakeConn{}
	b, err := newBackend(fake, &Options{Families: []Family{IPv4}})
	if err != nil {
		t.Fatal(err)
	}
	if !b.layout.maps {
		t.Fatal("the default layout must be the maps layout")
	}
	return &harness{fake: fake, b: b, tracker: proxy.NewTracker(nil), state: proxy.NewState()}
}

func count(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func epKey(id uint32, idx uint32) string {
	return fmt.Sprintf("%x%x", idBytes(id), binaryutil.NativeEndian.PutUint32(idx))
}

func TestMapsFullSyncHasNoPerServiceChains(t *testing.T) {
	h := newMapsHarness(t)
	for i := range 20 {
		name := fmt.Sprintf("s%d", i)
		h.tracker.OnServiceUpdate(nil, service(name, fmt.Sprintf("198.19.1.%d", i), 0, false))
		h.tracker.OnEndpointsUpdate(nil, endpoints(name, fmt.Sprintf("198.18.1.%d", i+1), fmt.Sprintf("198.18.2.%d", i+1)))
	}
	h.tracker.OnServiceUpdate(nil, service("np", "198.19.2.1", 30080, false))
	h.tracker.OnEndpointsUpdate(nil, endpoints("np", "198.18.1.1", "198.18.3.1", "198.18.3.2"))
	h.tracker.OnServiceUpdate(nil, service("empty", "198.19.2.2", 0, false))
	batch := h.full(t)

	if has(batch, "chain ip longshore svc-") || has(batch, "chain ip longshore ep-") {
		t.Errorf("the maps layout must not create per-service or per-endpoint chains:\n%s", strings.Join(batch, "\n"))
	}
	for _, want := range []string{
		"add chain ip longshore " + pickChainName(pickClusterIP, 2, 0),
		"add chain ip longshore " + pickChainName(pickClusterIP, 3, 0),
		"add chain ip longshore " + pickChainName(pickNodePort, 3, 0),
		"add rule ip longshore " + pickChainName(pickClusterIP, 2, 0) + " Payload,Meta,Payload,Lookup,Numgen,Lookup,NAT",
		"add rule ip longshore " + pickChainName(pickNodePort, 3, 0) + " Meta,Bitwise,Meta",
		"add rule ip longshore " + pickChainName(pickNodePort, 3, 0) + " Meta,Payload,Lookup,Numgen,Lookup,NAT",
		"add rule ip longshore nat-postrouting Payload,Payload,Lookup,Masq",
		"goto " + chainReject,
	} {
		if !has(batch, want) {
			t.Errorf("batch lacks %q:\n%s", want, strings.Join(batch, "\n"))
		}
	}
	if n := count(batch, "add chain ip longshore pick-"); n != 3 {
		t.Errorf("want 3 shared pick chains (2 and 3 endpoints, node port), got %d", n)
	}
	// 20*2 + 3 endpoints; 198.18.1.1 serves two services but is one hairpin element.
	if n := count(batch, "add element ip longshore endpoints "); n != 43 {
		t.Errorf("endpoint elements = %d, want 43", n)
	}
	if n := count(batch, "add element ip longshore hairpin "); n != 42 {
		t.Errorf("hairpin elements = %d, want 42 (one per distinct endpoint address)", n)
	}
	if n := count(batch, "add element ip longshore service-ids "); n != 21 {
		t.Errorf("service-ids elements = %d, want 21 (the service without endpoints has none)", n)
	}
	p := h.b.Programmed()
	// 15 base rules, the hairpin rule, 1+1+2 pick rules.
	if p.Rules != 20 {
		t.Errorf("Programmed().Rules = %d, want 20", p.Rules)
	}
	if want := 43 + 42 + 21 + 1 + 21 + 1 + 1; p.Elements != want {
		t.Errorf("Programmed().Elements = %d, want %d", p.Elements, want)
	}
}

func TestMapsSyncChangesOnlyElements(t *testing.T) {
	h := newMapsHarness(t)
	for i := range 50 {
		name := fmt.Sprintf("s%d", i)
		h.tracker.OnServiceUpdate(nil, service(name, fmt.Sprintf("198.19.1.%d", i), 0, false))
		h.tracker.OnEndpointsUpdate(nil, endpoints(name, fmt.Sprintf("198.18.1.%d", i+1), fmt.Sprintf("198.18.2.%d", i+1), fmt.Sprintf("198.18.3.%d", i+1)))
	}
	h.full(t)
	id := h.b.tables[0].m.ports[spn("s7")].id

	tests := []struct {
		name    string
		change  func()
		want    []string
		notWant []string
		length  int
	}{{
		name: "one endpoint replaced: one slot rewritten",
		change: func() {
			h.tracker.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.8", "198.18.9.9", "198.18.3.8"))
		},
		want: []string{
			"delete element ip longshore endpoints " + epKey(id, 1),
			"add element ip longshore endpoints " + epKey(id, 1) + " : c6120909",
			"delete element ip longshore hairpin c6120208c6120208",
			"add element ip longshore hairpin c6120909c6120909",
		},
		notWant: []string{"chain", "rule", "service-ips", "table"},
		length:  4,
	}, {
		name: "endpoint added: moves to the pick chain for 4",
		change: func() {
			h.tracker.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.8", "198.18.9.9", "198.18.3.8", "198.18.4.8"))
		},
		want: []string{
			"add chain ip longshore " + pickChainName(pickClusterIP, 4, 0),
			"delete element ip longshore service-ips",
			"goto " + pickChainName(pickClusterIP, 4, 0),
			"add element ip longshore endpoints " + epKey(id, 3),
		},
		notWant: []string{"delete element ip longshore endpoints", "table"},
		length:  7, // chain, rule, 1 del + 1 add vmap, 1 endpoint, 1 hairpin
	}, {
		name:    "endpoint removed from the middle: the last one fills its slot",
		change:  func() { h.tracker.OnEndpointsUpdate(nil, endpoints("s7", "198.18.1.8", "198.18.3.8", "198.18.4.8")) },
		want:    []string{"delete element ip longshore endpoints " + epKey(id, 3), "add element ip longshore endpoints " + epKey(id, 1) + " : c6120408", "goto " + pickChainName(pickClusterIP, 3, 0)},
		notWant: []string{"add chain", "table"},
		length:  8, // vmap del+add, endpoints: del 1, del 3, add 1, hairpin del, ...
	}, {
		name:    "service removed",
		change:  func() { h.tracker.OnServiceUpdate(service("s9", "198.19.1.9", 0, false), nil) },
		want:    []string{"delete element ip longshore service-ips", "delete element ip longshore service-ids", "delete element ip longshore endpoints"},
		notWant: []string{"add ", "chain"},
		length:  3 + 1 + 1 + 3,
	}}
	prev := h.b.Programmed()
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
			if len(batch) > tc.length {
				t.Errorf("batch has %d operations, want at most %d:\n%s", len(batch), tc.length, strings.Join(batch, "\n"))
			}
			if now := h.b.Programmed(); now == prev && tc.name != "one endpoint replaced: one slot rewritten" {
				t.Errorf("Programmed() unchanged at %+v", now)
			}
			prev = h.b.Programmed()
		})
	}
}

func TestMapsSharedHairpinAddress(t *testing.T) {
	h := newMapsHarness(t)
	h.tracker.OnServiceUpdate(nil, service("a", "198.19.0.10", 0, false))
	h.tracker.OnServiceUpdate(nil, service("b", "198.19.0.11", 0, false))
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2"))
	h.tracker.OnEndpointsUpdate(nil, endpoints("b", "198.18.1.2"))
	h.full(t)
	h.tracker.OnServiceUpdate(service("a", "198.19.0.10", 0, false), nil)
	if batch := h.sync(t); has(batch, "hairpin") {
		t.Errorf("the address still serves b; its hairpin element must stay:\n%s", strings.Join(batch, "\n"))
	}
	h.tracker.OnServiceUpdate(service("b", "198.19.0.11", 0, false), nil)
	if batch := h.sync(t); !has(batch, "delete element ip longshore hairpin c6120102c6120102") {
		t.Errorf("the last user of the address is gone; its hairpin element must go:\n%s", strings.Join(batch, "\n"))
	}
}

func TestMapsAffinityAndExternal(t *testing.T) {
	h := newMapsHarness(t)
	s := service("a", "198.19.0.10", 30080, true)
	s.ExternalIPs = []netip.Addr{netip.MustParseAddr("203.0.113.7")}
	h.tracker.OnServiceUpdate(nil, s)
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2", "198.18.2.2"))
	batch := h.full(t)
	timeout := 10 * time.Second
	for _, w := range []string{
		"add rule ip longshore " + pickChainName(pickClusterIP, 2, timeout) + " Payload,Meta,Payload,Lookup,Payload,Lookup,Lookup,Dynset,NAT",
		"add rule ip longshore " + pickChainName(pickClusterIP, 2, timeout) + " Payload,Meta,Payload,Lookup,Payload,Lookup,Lookup,Dynset",
		"add rule ip longshore " + pickChainName(pickClusterIP, 2, timeout) + " Payload,Meta,Payload,Lookup,Payload,Numgen,Lookup,Dynset,NAT",
		"add rule ip longshore " + pickChainName(pickExternal, 2, timeout) + " Meta,Bitwise,Meta",
		"add chain ip longshore " + pickChainName(pickNodePort, 2, timeout),
		"goto " + pickChainName(pickExternal, 2, timeout),
		"add set ip longshore " + mapAffinity,
	} {
		if !has(batch, w) {
			t.Errorf("batch lacks %q:\n%s", w, strings.Join(batch, "\n"))
		}
	}
	if n := count(batch, "add element ip longshore "+setAffinityEps+" "); n != 2 {
		t.Errorf("affinity-live elements = %d, want 2 (one per endpoint)", n)
	}
	if n := count(batch, "add element ip longshore "+mapServiceIDs+" "); n != 2 {
		t.Errorf("service-ids elements = %d, want 2 (cluster and external IP)", n)
	}
	// Removing an endpoint drops it from affinity-live, so that clients
	// remembered on it pick again.
	h.tracker.OnEndpointsUpdate(nil, endpoints("a", "198.18.1.2"))
	if batch := h.sync(t); !has(batch, "delete element ip longshore "+setAffinityEps) {
		t.Errorf("removed endpoint still live for affinity:\n%s", strings.Join(batch, "\n"))
	}
}

func TestAssignSlots(t *testing.T) {
	f := famOf(IPv4)
	ep := func(s string) proxy.Endpoint { return proxy.Endpoint{IP: netip.MustParseAddr(s), Port: 80} }
	v := func(s string) string { return epValue(f, ep(s)) }
	tests := []struct {
		name string
		old  []string
		eps  []string
		want []string
	}{
		{"fresh", nil, []string{"198.18.0.1", "198.18.0.2"}, []string{"198.18.0.1", "198.18.0.2"}},
		{"replace keeps others", []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"}, []string{"198.18.0.1", "198.18.0.3", "198.18.0.9"},
			[]string{"198.18.0.1", "198.18.0.9", "198.18.0.3"}},
		{"grow appends", []string{"198.18.0.2", "198.18.0.1"}, []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"},
			[]string{"198.18.0.2", "198.18.0.1", "198.18.0.3"}},
		{"shrink moves last into hole", []string{"198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"}, []string{"198.18.0.1", "198.18.0.3", "198.18.0.4"},
			[]string{"198.18.0.1", "198.18.0.4", "198.18.0.3"}},
		{"shrink at the end", []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"}, []string{"198.18.0.1"}, []string{"198.18.0.1"}},
		{"all gone", []string{"198.18.0.1"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old, want []string
			for _, s := range tc.old {
				old = append(old, v(s))
			}
			for _, s := range tc.want {
				want = append(want, v(s))
			}
			var eps []proxy.Endpoint
			for _, s := range tc.eps {
				eps = append(eps, ep(s))
			}
			got := assignSlots(old, f, eps)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("assignSlots = %x, want %x", got, want)
			}
		})
	}
}

func TestMapsSyncScalesWithChangeNotTable(t *testing.T) {
	for _, n := range []int{10, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h := newMapsHarness(t)
			for i := range n {
				name := fmt.Sprintf("s%d", i)
				h.tracker.OnServiceUpdate(nil, service(name, fmt.Sprintf("198.19.%d.%d", i/250, i%250), 0, false))
				h.tracker.OnEndpointsUpdate(nil, endpoints(name, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)))
			}
			h.full(t)
			h.tracker.OnEndpointsUpdate(nil, endpoints("s3", "198.18.200.1"))
			if batch := h.sync(t); len(batch) != 4 {
				t.Errorf("one endpoint replaced among %d services: %d operations, want 4:\n%s", n, len(batch), strings.Join(batch, "\n"))
			}
		})
	}
}
