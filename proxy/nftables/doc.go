// Package nftables is a proxy.Backend that programs service ports into the
// kernel's nf_tables over netlink (github.com/google/nftables): no nft
// binary at run time.
//
// # Ruleset (default: the maps layout)
//
// The backend owns one table per family, `ip longshore` and `ip6
// longshore` (Options.Table), and nothing outside them. By default a
// service port is nothing but map and set elements in a fixed, small set
// of chains, because the kernel's cost of a transaction grows with the
// number of chains in the namespace (see Layouts):
//
//   - nat-prerouting and nat-output (nat, dstnat) jump to the services
//     chain, whose one rule looks up `daddr . l4proto . th dport` in the
//     verdict map service-ips (cluster and external IPs); a second rule
//     looks up `l4proto . th dport` in service-nodeports for packets to a
//     local, non-loopback address of the node (fib daddr type local).
//   - Both maps go to a shared pick chain, one per kind and endpoint count
//     N: pick-ip-N (cluster IPs), pick-ext-N (external IPs) and
//     pick-node-N (node ports), the last two marking the packet for
//     masquerade first (it may come from off the node). A pick chain's one
//     rule finds the service port's id in service-ids (or nodeport-ids),
//     draws `numgen random mod N`, looks `id . index` up in the endpoints
//     map, whose data is the endpoint's `address . port`, and DNATs to it:
//     the whole choice is map lookups, with no chain per service or
//     endpoint. Pick chains are created when a count first appears and
//     stay until the next full sync.
//   - ClientIP affinity uses pick-KIND-N-affT chains (T the timeout in
//     seconds): a first rule looks `client . id` up in the dynamic, timed
//     map affinity, checks that the remembered endpoint is still in the
//     set affinity-live (`id . address . port`), refreshes the entry
//     (`update`, timeout T) and DNATs to it; a second rule deletes an
//     entry whose endpoint left; a third picks as above and records the
//     choice.
//   - nat-postrouting masquerades packets marked for it, and hairpin
//     packets: after DNAT, `ip saddr . ip daddr` found in the set hairpin,
//     which holds `a . a` for every endpoint address a. A client that is
//     the endpoint it was sent to gets the answer back through the node.
//   - A service port without ready endpoints has its addresses in the
//     no-endpoint-services and no-endpoint-nodeports maps instead, looked
//     up from filter chains on the input, forward and output hooks, which
//     reject: TCP reset, ICMP port unreachable otherwise. Clients are
//     refused at once rather than left to time out.
//
// Each service port gets an id, kept for its life and never reused until
// the next full sync (which rebuilds the table and restarts the ids), and
// its endpoints keep their index in the endpoints map while they stay:
// replacing one endpoint rewrites one element (and its hairpin element),
// removing one moves the last endpoint into its index. A sync therefore
// sends a handful of element changes whatever the number of services.
//
// # Layouts
//
// Options.Chains selects the layout of earlier versions: a chain per
// service port (svc-<hash>) choosing among a chain per endpoint
// (ep-<hash>, which marks hairpin traffic, refreshes a per-endpoint
// affinity set and DNATs) by a cascade of rules `numgen random mod (N-i)
// == 0 goto ep-i`; external IPs and node ports go through an ext-<hash>
// chain that marks for masquerade. Options.NumgenMaps (one `numgen random
// mod N vmap {...}` rule per service, as kube-proxy does) and Options.Flat
// (the endpoint rules inside the service chain) are variants of it, and
// Options.Shards spreads service ports over several tables per family.
// Chain names are hashes of what their rules depend on, so a chain's
// content never changes while it exists.
//
// Why the maps layout: on every transaction the kernel (6.18 here) walks
// every chain of the network namespace when it commits, and validates
// every chain reachable from the base chains of each table the
// transaction touched (loop detection over jumps and gotos), so with a
// chain per endpoint even a one-endpoint change costs time linear in the
// number of services (223 ms at 10,000 services of 10 endpoints). Each
// kube-proxy-style numgen vmap is moreover an anonymous set, and the
// kernel names a new anonymous set by scanning all of the table's sets,
// which makes syncs quadratic. The maps layout has 17 rules in 11 chains
// for any number of services of one endpoint count, uses only named sets,
// and stays one table per family: shards are no longer needed for speed.
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
// Linux 6.18, shared with other jobs: load average 8 to 27 during these
// runs, so wall times swing by 2x; CPU is user+sys of the process and
// includes the kernel's work on the batch, which runs in the sending
// thread). 10 endpoints per service, IPv4; "1-ep" is one endpoint of one
// service replaced, median of 20 changes; the full sync is the slower of
// two (the second replaces a full table):
//
//	go run ./bench/proxysync -services 1000,5000,10000 -changes 20
//	go run ./bench/proxysync -services 1000,5000 -changes 10 -chains -nft=false
//
//	services  method                       full sync wall (cpu)  1-ep wall (cpu)
//	1000      netlink, maps (default)      55-396 ms (61-86 ms)  0.05-0.14 ms (0.07-0.21 ms)
//	1000      nft -f, same maps            0.43-1.2 s (0.25-0.33 s) 17-20 ms (4.8-5.5 ms)
//	1000      netlink, Chains (old default) 1.2-1.4 s (1.05-1.3 s) 25-78 ms (16-20 ms)
//	5000      netlink, maps (default)      0.31-0.93 s (0.34-0.43 s) 0.06-0.14 ms (0.06-0.18 ms)
//	5000      nft -f, same maps            2.1-4.5 s (1.3-1.4 s)  15-16 ms (4.3-4.9 ms)
//	5000      netlink, Chains (old default) 13-18 s (6.0-6.5 s)   168-180 ms (101-114 ms)
//	10000     netlink, maps (default)      0.73-1.6 s (0.72-0.87 s) 0.06-0.10 ms (0.06-0.10 ms)
//	10000     nft -f, same maps            7.6 s (3.0 s)          23 ms (5.4 ms)
//	10000     netlink, Chains (old default) 25.1 s (11.0 s)       223 ms (214 ms)
//	10000     netlink, Flat+Shards=64      14.8 s (8.1 s)        11.4 ms (3.8 ms)
//
// (The 10,000-service Chains and Flat+Shards rows are the previous
// measurement, on the same machine kind.) A default table of 10,000
// services holds 17 rules and 220,000 elements (per service: one
// service-ips and one service-ids element, ten endpoints and ten hairpin
// elements). A one-endpoint change is four element operations (an
// endpoint slot and a hairpin element, each deleted and added) and costs
// the same at every size: the goals (full sync of 10,000 services <= 2 s,
// one-endpoint change <= 5 ms) hold by default. nft -f is slower than
// netlink mainly in parsing and evaluating the text in user space; its
// one-endpoint figure includes starting the nft process.
//
// The user-space half of a full sync, building and encoding the batch
// with google/nftables (BenchmarkBuildFullSync, -benchtime=3x): 0.24 s for
// 10,000 services in the maps layout at load 8 (0.95 s at load 20),
// against 2.2 to 3.5 s in the Chains layout, which encodes 30 rules per
// service. Elements are collected for the whole batch and sent in
// messages of 256, through one reused element buffer.
//
// Data plane, from the node namespace over veth to pods, one connection at
// a time, 2,000 connections per case (go test -run XXX -bench DataPlane
// -benchtime=2000x): through the VIP 8,500 to 10,000 connections/s with
// the maps layout against 7,000 to 9,200/s straight to the pod IP in the
// same runs (the machine's noise is larger than the difference); 6,500/s
// through the VIP with the Chains layout in the same run.
//
// # Caveats
//
// nft 1.0.6 cannot print the maps layout's pick chains (`nft list
// ruleset` and `nft list chain` abort with an assertion in
// netlink_parse_concat_expr): their rules feed a map lookup's result into
// a second lookup, which the kernel accepts but nft's syntax cannot
// express. Every map and set lists fine (`nft list map ip longshore
// endpoints`), as do the other chains; Options.Chains programs a ruleset
// nft can print, at the cost above.
//
// A full sync (on start, every FullSyncInterval, after a failure) rebuilds
// the table and so forgets ClientIP affinity entries, in every layout.
//
// Service ids are 32-bit and never reused between full syncs; the Runner's
// periodic full resync restarts them long before they could run out.
//
// Large full syncs need large netlink socket buffers for the batch and its
// acknowledgements (Options.SocketBuffer, set with SO_*BUFFORCE). Without
// a dummy interface, a service range must be routed over a real device for
// locally originated connections to reach the DNAT.
package nftables
