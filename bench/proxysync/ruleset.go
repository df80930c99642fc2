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
