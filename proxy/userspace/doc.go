// Package userspace is a proxy.Backend that forwards connections in user
// space, for machines without root or nftables.
//
// # Basics
//
// Each frontend of a service port (ClusterIP:port, external IP:port, and
// nodeIP:nodePort for the Options.NodeIPs) gets a TCP listener or a UDP
// socket. Options.Listen maps a frontend to the address actually bound:
// by default the frontend itself (which must be local), or with Loopback a
// free port on 127.0.0.1, found with Backend.ListenAddr or Backend.Lookup.
// A mapped port is chosen once and kept for the life of the service port.
//
// New connections go round-robin over the ready endpoints; a failed dial
// moves on to the next endpoint. With ClientIP affinity a client keeps its
// endpoint while it comes back within the affinity timeout. A UDP client
// (address and port) keeps one session, ended after UDPIdleTimeout.
//
// While a service port has no ready endpoints its sockets are closed, so
// that clients are refused at once (TCP RST, ICMP port unreachable), and
// reopened on the same ports when endpoints return.
//
// # Caveats
//
// Connections to a removed endpoint drain: they go on for DrainTimeout,
// then are closed (an endpoint that comes back in time keeps them).
// Clients are seen by endpoints as coming from the proxy. SCTP is not
// supported (ErrUnsupported). Sync is not atomic across service ports.
package userspace
