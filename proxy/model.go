package proxy

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Protocol is a service port's transport protocol.
type Protocol string

// The protocols a service port may use.
const (
	TCP  Protocol = "TCP"
	UDP  Protocol = "UDP"
	SCTP Protocol = "SCTP"
)

// Valid reports whether p is one of TCP, UDP or SCTP.
func (p Protocol) Valid() bool { return p == TCP || p == UDP || p == SCTP }

// SessionAffinity selects how a client's connections are spread.
type SessionAffinity string

// The session affinities Kubernetes defines.
const (
	AffinityNone     SessionAffinity = "None"
	AffinityClientIP SessionAffinity = "ClientIP"
)

// DefaultAffinityTimeout is the ClientIP affinity timeout used when a
// service gives none (Kubernetes' default, three hours).
const DefaultAffinityTimeout = 3 * time.Hour

// ErrInvalid is wrapped by every error about a malformed Service or
// Endpoints.
var ErrInvalid = errors.New("proxy: invalid object")

// NamespacedName names a Service or an Endpoints object.
type NamespacedName struct {
	Namespace, Name string
}

// String returns "namespace/name".
func (n NamespacedName) String() string { return n.Namespace + "/" + n.Name }

// ServicePortName names one port of one service: the unit every backend
// programs.
type ServicePortName struct {
	Namespace, Name string
	// Port is the port's name in the service spec ("" for a service with a
	// single unnamed port).
	Port string
}

// String returns "namespace/name:port" (or "namespace/name" for an unnamed
// port).
func (n ServicePortName) String() string {
	if n.Port == "" {
		return n.Namespace + "/" + n.Name
	}
	return n.Namespace + "/" + n.Name + ":" + n.Port
}

// Service is the part of a Kubernetes Service the proxy needs.
type Service struct {
	Namespace, Name string
	// ClusterIPs are the virtual IPs (one per family). A service without one
	// (headless) is not proxied.
	ClusterIPs      []netip.Addr
	ExternalIPs     []netip.Addr
	SessionAffinity SessionAffinity
	// AffinityTimeout is the ClientIP affinity timeout; zero means
	// DefaultAffinityTimeout.
	AffinityTimeout time.Duration
	Ports           []ServicePortSpec
}

// ServicePortSpec is one port of a Service.
type ServicePortSpec struct {
	Name     string
	Protocol Protocol
	Port     uint16
	// NodePort is the port opened on every node address, 0 for none.
	NodePort uint16
}

// Endpoints is the part of a Kubernetes Endpoints object the proxy needs:
// named targetPorts are already resolved by the endpoints controller, and
// each port carries the name of the service port it serves.
type Endpoints struct {
	Namespace, Name string
	Subsets         []EndpointSubset
}

// EndpointSubset is a group of addresses sharing the same ports.
type EndpointSubset struct {
	Addresses []EndpointAddress
	Ports     []EndpointPort
}

// EndpointAddress is one backend address.
type EndpointAddress struct {
	IP       netip.Addr
	NodeName string
	// Ready is false for addresses Kubernetes lists under
	// notReadyAddresses; they receive no traffic.
	Ready bool
}

// EndpointPort is one port of an EndpointSubset; Name matches the service
// port's name.
type EndpointPort struct {
	Name     string
	Protocol Protocol
	Port     uint16
}

// ServicePort is the desired state of one service port.
type ServicePort struct {
	ClusterIPs      []netip.Addr
	ExternalIPs     []netip.Addr
	Port            uint16
	Protocol        Protocol
	NodePort        uint16
	SessionAffinity SessionAffinity
	// AffinityTimeout is set (non-zero) when SessionAffinity is ClientIP.
	AffinityTimeout time.Duration
}

// Equal reports whether p and o program the same rules.
func (p *ServicePort) Equal(o *ServicePort) bool {
	return slices.Equal(p.ClusterIPs, o.ClusterIPs) && slices.Equal(p.ExternalIPs, o.ExternalIPs) &&
		p.Port == o.Port && p.Protocol == o.Protocol && p.NodePort == o.NodePort &&
		p.SessionAffinity == o.SessionAffinity && p.AffinityTimeout == o.AffinityTimeout
}

// Endpoint is one backend of a service port.
type Endpoint struct {
	IP       netip.Addr
	Port     uint16
	Ready    bool
	NodeName string
}

// AddrPort returns the endpoint's ip:port.
func (e Endpoint) AddrPort() netip.AddrPort { return netip.AddrPortFrom(e.IP, e.Port) }

// String returns "ip:port".
func (e Endpoint) String() string { return e.AddrPort().String() }

// Validate checks a Service; the error wraps ErrInvalid.
func (s *Service) Validate() error {
	if s.Namespace == "" || s.Name == "" {
		return fmt.Errorf("%w: service needs a namespace and a name", ErrInvalid)
	}
	switch s.SessionAffinity {
	case "", AffinityNone, AffinityClientIP:
	default:
		return fmt.Errorf("%w: service %s: session affinity %q", ErrInvalid, s.Namespace+"/"+s.Name, s.SessionAffinity)
	}
	if s.AffinityTimeout < 0 {
		return fmt.Errorf("%w: service %s: negative affinity timeout", ErrInvalid, s.Namespace+"/"+s.Name)
	}
	for _, ip := range append(slices.Clone(s.ClusterIPs), s.ExternalIPs...) {
		if !ip.IsValid() {
			return fmt.Errorf("%w: service %s: invalid IP", ErrInvalid, s.Namespace+"/"+s.Name)
		}
	}
	seen := map[string]bool{}
	for _, p := range s.Ports {
		if seen[p.Name] {
			return fmt.Errorf("%w: service %s: duplicate port name %q", ErrInvalid, s.Namespace+"/"+s.Name, p.Name)
		}
		seen[p.Name] = true
		if !p.Protocol.Valid() {
			return fmt.Errorf("%w: service %s port %q: protocol %q", ErrInvalid, s.Namespace+"/"+s.Name, p.Name, p.Protocol)
		}
		if p.Port == 0 {
			return fmt.Errorf("%w: service %s port %q: port 0", ErrInvalid, s.Namespace+"/"+s.Name, p.Name)
		}
	}
	return nil
}

// Validate checks an Endpoints object; the error wraps ErrInvalid.
func (e *Endpoints) Validate() error {
	if e.Namespace == "" || e.Name == "" {
		return fmt.Errorf("%w: endpoints need a namespace and a name", ErrInvalid)
	}
	for _, ss := range e.Subsets {
		for _, a := range ss.Addresses {
			if !a.IP.IsValid() {
				return fmt.Errorf("%w: endpoints %s: invalid IP", ErrInvalid, e.Namespace+"/"+e.Name)
			}
		}
		for _, p := range ss.Ports {
			if p.Port == 0 || (p.Protocol != "" && !p.Protocol.Valid()) {
				return fmt.Errorf("%w: endpoints %s port %q: bad port or protocol", ErrInvalid, e.Namespace+"/"+e.Name, p.Name)
			}
		}
	}
	return nil
}

// servicePorts expands a valid Service into its ports.
func servicePorts(s *Service) map[ServicePortName]*ServicePort {
	if len(s.ClusterIPs) == 0 {
		return nil // headless: nothing to proxy
	}
	out := make(map[ServicePortName]*ServicePort, len(s.Ports))
	for _, p := range s.Ports {
		sp := &ServicePort{
			ClusterIPs:      slices.Clone(s.ClusterIPs),
			ExternalIPs:     slices.Clone(s.ExternalIPs),
			Port:            p.Port,
			Protocol:        p.Protocol,
			NodePort:        p.NodePort,
			SessionAffinity: AffinityNone,
		}
		if s.SessionAffinity == AffinityClientIP {
			sp.SessionAffinity = AffinityClientIP
			sp.AffinityTimeout = s.AffinityTimeout
			if sp.AffinityTimeout == 0 {
				sp.AffinityTimeout = DefaultAffinityTimeout
			}
		}
		out[ServicePortName{s.Namespace, s.Name, p.Name}] = sp
	}
	return out
}

// endpointsByPort expands a valid Endpoints object into per-port endpoint
// lists, sorted by address so that equal sets compare equal.
func endpointsByPort(e *Endpoints) map[ServicePortName][]Endpoint {
	out := map[ServicePortName][]Endpoint{}
	for _, ss := range e.Subsets {
		for _, p := range ss.Ports {
			name := ServicePortName{e.Namespace, e.Name, p.Name}
			for _, a := range ss.Addresses {
				out[name] = append(out[name], Endpoint{IP: a.IP, Port: p.Port, Ready: a.Ready, NodeName: a.NodeName})
			}
		}
	}
	for name, eps := range out {
		sortEndpoints(eps)
		out[name] = slices.CompactFunc(eps, func(a, b Endpoint) bool { return a == b })
	}
	return out
}

func sortEndpoints(eps []Endpoint) {
	slices.SortFunc(eps, func(a, b Endpoint) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return int(a.Port) - int(b.Port)
	})
}
