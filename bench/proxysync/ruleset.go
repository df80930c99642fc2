package main

import (
	"fmt"
	"strings"
)

// The text rulesets mirror what the netlink backend programs for the
// benchmark's services (ClusterIP only, no affinity, no NodePort): the same
// table, maps, base chains and per-service and per-endpoint chains.

const header = `table ip longshore
delete table ip longshore
table ip longshore {
	map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
	map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
	map service-nodeports { type inet_proto . inet_service : verdict; }
	map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
	}
	chain no-endpoints {
		ip daddr . meta l4proto . th dport vmap @no-endpoint-services
		fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
	}
	chain reject-no-endpoints {
		meta l4proto tcp reject with tcp reset
		reject
	}
	chain mark-for-masquerade { meta mark set meta mark | 0x4000; }
	chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }
	chain nat-output { type nat hook output priority -100; policy accept; jump services; }
	chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; meta mark & 0x4000 != 0 masquerade fully-random; }
	chain filter-input { type filter hook input priority filter - 10; policy accept; jump no-endpoints; }
	chain filter-forward { type filter hook forward priority filter - 10; policy accept; jump no-endpoints; }
	chain filter-output { type filter hook output priority filter - 10; policy accept; jump no-endpoints; }
}
`

func epChain(i, j, eps, g int) string { return fmt.Sprintf("ep-%d-%s", i, endpointIP(i, j, eps, g)) }

func writeEndpoint(b *strings.Builder, i, j, eps, g int) {
	ip := endpointIP(i, j, eps, g)
	fmt.Fprintf(b, "add chain ip longshore %s\n", epChain(i, j, eps, g))
	fmt.Fprintf(b, "add rule ip longshore %s ip saddr %s meta mark set meta mark | 0x4000\n", epChain(i, j, eps, g), ip)
	fmt.Fprintf(b, "add rule ip longshore %s meta l4proto tcp dnat to %s:8080\n", epChain(i, j, eps, g), ip)
}

// useMaps selects the numgen vmap form; otherwise the cascade the backend
// programs by default.
var useMaps bool

// textMaps selects the maps layout's text form (the backend's default).
var textMaps bool

func writeServiceRule(b *strings.Builder, i, eps, g int) {
	if !useMaps {
		for j := range eps - 1 {
			fmt.Fprintf(b, "add rule ip longshore svc-%d numgen random mod %d == 0 goto %s\n", i, eps-j, epChain(i, j, eps, g))
		}
		fmt.Fprintf(b, "add rule ip longshore svc-%d goto %s\n", i, epChain(i, eps-1, eps, g))
		return
	}
	fmt.Fprintf(b, "add rule ip longshore svc-%d numgen random mod %d vmap { ", i, eps)
	for j := range eps {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%d : goto %s", j, epChain(i, j, eps, g))
	}
	b.WriteString(" }\n")
}

func fullRuleset(n, eps int) string {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		for j := range eps {
			writeEndpoint(&b, i, j, eps, 0)
		}
		fmt.Fprintf(&b, "add chain ip longshore svc-%d\n", i)
		writeServiceRule(&b, i, eps, 0)
		fmt.Fprintf(&b, "add element ip longshore service-ips { %s . tcp . 80 : goto svc-%d }\n", clusterIP(i), i)
	}
	return b.String()
}

// oneEndpointChange moves service i's first endpoint from generation old
// to generation g, as the backend's incremental sync does.
func oneEndpointChange(i, eps, old, g int) string {
	var b strings.Builder
	writeEndpoint(&b, i, 0, eps, g)
	fmt.Fprintf(&b, "flush chain ip longshore svc-%d\n", i)
	writeServiceRule(&b, i, eps, g)
	fmt.Fprintf(&b, "delete chain ip longshore %s\n", epChain(i, 0, eps, old))
	return b.String()
}

// The maps layout (the backend's default): fixed chains, a service is map
// elements only. nft's syntax cannot chain two map lookups inside a dnat
// statement as the backend does in one rule, so the text form carries the
// service id in the packet mark between two rules; the sets, maps and
// elements are the same.

const mapsHeader = `table ip longshore
delete table ip longshore
table ip longshore {
	map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
	map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
	map service-nodeports { type inet_proto . inet_service : verdict; }
	map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }
	map service-ids { type ipv4_addr . inet_proto . inet_service : mark; }
	map endpoints { typeof meta mark . numgen random mod 10 : ip daddr . tcp dport; }
	set hairpin { type ipv4_addr . ipv4_addr; }
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
	}
	chain no-endpoints {
		ip daddr . meta l4proto . th dport vmap @no-endpoint-services
		fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
	}
	chain reject-no-endpoints {
		meta l4proto tcp reject with tcp reset
		reject
	}
	chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }
	chain nat-output { type nat hook output priority -100; policy accept; jump services; }
	chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; meta mark & 0x4000 != 0 masquerade fully-random; ip saddr . ip daddr @hairpin masquerade fully-random; }
	chain filter-input { type filter hook input priority filter - 10; policy accept; jump no-endpoints; }
	chain filter-forward { type filter hook forward priority filter - 10; policy accept; jump no-endpoints; }
	chain filter-output { type filter hook output priority filter - 10; policy accept; jump no-endpoints; }
}
`

func mapsPickChain(eps int) string {
	return fmt.Sprintf("add chain ip longshore pick-ip-%d\n"+
		"add rule ip longshore pick-ip-%[1]d meta mark set ip daddr . meta l4proto . th dport map @service-ids\n"+
		"add rule ip longshore pick-ip-%[1]d meta l4proto tcp dnat to meta mark . numgen random mod %[1]d map @endpoints\n", eps)
}

func fullRulesetMaps(n, eps int) string {
	var b strings.Builder
	b.WriteString(mapsHeader)
	b.WriteString(mapsPickChain(eps))
	for i := range n {
		fmt.Fprintf(&b, "add element ip longshore service-ips { %s . tcp . 80 : goto pick-ip-%d }\n", clusterIP(i), eps)
		fmt.Fprintf(&b, "add element ip longshore service-ids { %s . tcp . 80 : %d }\n", clusterIP(i), i+1)
		for j := range eps {
			ip := endpointIP(i, j, eps, 0)
			fmt.Fprintf(&b, "add element ip longshore endpoints { %d . %d : %s . 8080 }\n", i+1, j, ip)
			fmt.Fprintf(&b, "add element ip longshore hairpin { %s . %[1]s }\n", ip)
		}
	}
	return b.String()
}

// oneEndpointChangeMaps moves service i's first endpoint from generation
// old to generation g: its slot and hairpin element are rewritten.
func oneEndpointChangeMaps(i, eps, old, g int) string {
	var b strings.Builder
	prev, next := endpointIP(i, 0, eps, old), endpointIP(i, 0, eps, g)
	fmt.Fprintf(&b, "delete element ip longshore endpoints { %d . 0 }\n", i+1)
	fmt.Fprintf(&b, "delete element ip longshore hairpin { %s . %[1]s }\n", prev)
	fmt.Fprintf(&b, "add element ip longshore endpoints { %d . 0 : %s . 8080 }\n", i+1, next)
	fmt.Fprintf(&b, "add element ip longshore hairpin { %s . %[1]s }\n", next)
	return b.String()
}
