// Package nftables is a proxy.Backend that programs service ports into the
// kernel's nf_tables over netlink (github.com/google/nftables): no nft
// binary at run time.
//
// # Ruleset
//
// The backend owns one table per family, `ip longshore` and `ip6
// longshore` (Options.Table), and nothing outside them:
//
//   - nat-prerouting and nat-output (nat, dstnat) jump to the services
//     chain, whose one rule looks up `daddr . l4proto . th dport` in the
//     verdict map service-ips and goes to the service port's svc-<hash>
//     chain (cluster IPs) or ext-<hash> chain (external IPs); a second rule
//     looks up `l4proto . th dport` in service-nodeports for packets to a
//     local, non-loopback address of the node (fib daddr type local).
//   - svc-<hash> picks an endpoint uniformly at random and goes to its
//     ep-<hash> chain. With ClientIP affinity, rules first send a client
//     found in an endpoint's timed set to that endpoint.
//   - ep-<hash> marks hairpin traffic (source is the endpoint itself) for
//     masquerade, refreshes the client in the endpoint's affinity set
//     (`update @set { ip saddr }`, timeout from the service), and DNATs to
//     the endpoint's ip:port.
//   - ext-<hash> marks traffic for masquerade (it may come from off the
//     node) and goes to svc-<hash>; nat-postrouting masquerades marked
//     packets.
//   - A service port without ready endpoints has its addresses in the
//     no-endpoint-services and no-endpoint-nodeports maps instead, looked
//     up from filter chains on the input, forward and output hooks, which
//     reject: TCP reset, ICMP port unreachable otherwise. Clients are
//     refused at once rather than left to time out.
//
// Chain names are hashes of what the chain's rules depend on, so a chain's
// content never changes while it exists: a sync adds new endpoint chains,
// rewrites the service chain, swaps map elements and deletes what is no
// longer referenced, in that order.
//
// # Endpoint choice
//
// By default svc-<hash> holds a cascade of rules `numgen random mod (N-i)
// == 0 goto ep-i` ending in `goto ep-(N-1)`: each endpoint is chosen with
// probability 1/N. Options.NumgenMaps uses instead one `numgen random mod N
// vmap { 0 : goto ep-0, ... }` rule, as kube-proxy does. Each such vmap is
// an anonymous set, and the kernel names a new anonymous set by scanning
// all of the table's sets, which makes syncs quadratic in the number of
// services: on this project's machines 4,000 services of 2 endpoints took
// 8.5 s to program with vmaps against 1.3 s with the cascade.
//
// # Transactions
//
// Every Sync, FullSync and Cleanup is one netlink batch (one
// nf_tables transaction): it applies entirely or not at all. FullSync
// deletes and rebuilds the tables in one batch. Sync touches only the
// chains, sets and map elements of the service ports a proxy.ChangeSet
// names. After a failed batch the backend refuses Sync until a FullSync.
// Options.NetNSPath programs another network namespace.
//
// # Layouts
//
// Options.Flat puts each endpoint's rules in the service chain (no chain
// per endpoint), and Options.Shards spreads service ports over several
// tables per family. Both exist for speed at scale: on every transaction
// the kernel (6.18 here) walks every chain of the network namespace when it
// commits, and validates every chain reachable from the base chains of each
// table the transaction touched, so even a one-endpoint change costs time
// linear in the number of chains. A chain per endpoint multiplies the
// chains by the endpoint count; shards confine validation to one small
// table. The price of shards is one map lookup per shard in each hook for a
// new connection (and per packet in the filter hooks).
//
// # Performance
//
// Measured with bench/proxysync on this project's machine kind (2 cores,
// Linux 6.18, shared with other jobs: load average about 16, so wall times
// swing; CPU is user+sys of the process and includes the kernel's work on
// the batch). 10 endpoints per service, IPv4; "1-ep" is one endpoint of one
// service replaced, median of 10 to 30 changes:
//
//	go run ./bench/proxysync -services 1000,5000,10000 -changes 10
//	go run ./bench/proxysync -services 1000,5000,10000 -changes 20 -flat -shards 64 -nft=false
//
//	services  method                full sync wall (cpu)  1-ep wall (cpu)
//	1000      netlink (default)     1.37 s (1.29 s)       25 ms (16 ms)
//	1000      nft -f, same rules    1.72 s (0.87 s)       183 ms (56 ms)
//	1000      netlink, Flat+64      2.72 s (0.83 s)       0.96 ms (0.94 ms)
//	5000      netlink (default)     13.3 s (6.0 s)        180 ms (114 ms)
//	5000      nft -f, same rules    9.9 s (4.3 s)         3.3 s (0.64 s)
//	5000      netlink, Flat+64      9.3 s (4.2 s)         2.3 ms (2.6 ms)
//	10000     netlink (default)     25.1 s (11.0 s)       223 ms (214 ms)
//	10000     nft -f, same rules    39.5 s (10.9 s)       6.8 s (2.4 s)
//	10000     netlink, Flat+64      14.8 s (8.1 s)        11.4 ms (3.8 ms)
//
// With kube-proxy's numgen vmaps (-numgen-maps, Options.NumgenMaps) 1,000
// services took 2.6 s (1.9 s CPU) and 5,000 services 2 minutes with nft -f.
// The user-space half of a default full sync, building and encoding the
// batch with google/nftables, is about 0.2 ms per service
// (BenchmarkBuildFullSync: 2.2 s for 10,000 services). So a full sync of
// 10,000 services stays far above 2 s here; a one-endpoint change meets 5
// ms of CPU only with Flat and Shards.
//
// Data plane, from the node namespace over veth to pods, one connection at
// a time, 2,000 connections (BenchmarkDataPlane -benchtime=2000x): 6,800 to
// 8,300 connections/s through the VIP against 7,600 to 10,500/s straight
// to the pod IP, in runs on the loaded machine.
//
// # Caveats
//
// Large full syncs need large netlink socket buffers for the batch and its
// acknowledgements (Options.SocketBuffer, set with SO_*BUFFORCE). Without
// a dummy interface, a service range must be routed over a real device for
// locally originated connections to reach the DNAT.
package nftables
