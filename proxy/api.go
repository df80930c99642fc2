package proxy

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/longshore/longshore/api/core"
)

// FromAPIService converts an API Service to the proxy's model. Headless and
// ExternalName services convert to a Service without cluster IPs, which
// programs nothing. The error wraps ErrInvalid.
func FromAPIService(s *core.Service) (*Service, error) {
	out := &Service{Namespace: s.Namespace, Name: s.Name, SessionAffinity: AffinityNone}
	if s.Spec.Type != core.ServiceTypeExternalName {
		ips := s.Spec.ClusterIPs
		if len(ips) == 0 && s.Spec.ClusterIP != "" {
			ips = []string{s.Spec.ClusterIP}
		}
		for _, ip := range ips {
			if ip == "" || ip == core.ClusterIPNone {
				continue
			}
			a, err := netip.ParseAddr(ip)
			if err != nil {
				return nil, fmt.Errorf("%w: service %s/%s: cluster IP: %v", ErrInvalid, s.Namespace, s.Name, err)
			}
			out.ClusterIPs = append(out.ClusterIPs, a)
		}
	}
	for _, ip := range s.Spec.ExternalIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("%w: service %s/%s: external IP: %v", ErrInvalid, s.Namespace, s.Name, err)
		}
		out.ExternalIPs = append(out.ExternalIPs, a)
	}
	if s.Spec.SessionAffinity == core.ServiceAffinityClientIP {
		out.SessionAffinity = AffinityClientIP
		if c := s.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			out.AffinityTimeout = time.Duration(*c.ClientIP.TimeoutSeconds) * time.Second
		}
	}
	nodePorts := s.Spec.Type == core.ServiceTypeNodePort || s.Spec.Type == core.ServiceTypeLoadBalancer
	for _, p := range s.Spec.Ports {
		port, err := apiPort(p.Port)
		if err != nil {
			return nil, fmt.Errorf("service %s/%s port %q: %w", s.Namespace, s.Name, p.Name, err)
		}
		sp := ServicePortSpec{Name: p.Name, Protocol: apiProtocol(p.Protocol), Port: port}
		if nodePorts && p.NodePort != 0 {
			if sp.NodePort, err = apiPort(p.NodePort); err != nil {
				return nil, fmt.Errorf("service %s/%s port %q: node port: %w", s.Namespace, s.Name, p.Name, err)
			}
		}
		out.Ports = append(out.Ports, sp)
	}
	return out, out.Validate()
}

// FromAPIEndpoints converts an API Endpoints object to the proxy's model:
// addresses are ready, notReadyAddresses are not. The error wraps
// ErrInvalid.
func FromAPIEndpoints(e *core.Endpoints) (*Endpoints, error) {
	out := &Endpoints{Namespace: e.Namespace, Name: e.Name}
	for _, ss := range e.Subsets {
		var sub EndpointSubset
		for _, p := range ss.Ports {
			port, err := apiPort(p.Port)
			if err != nil {
				return nil, fmt.Errorf("endpoints %s/%s port %q: %w", e.Namespace, e.Name, p.Name, err)
			}
			sub.Ports = append(sub.Ports, EndpointPort{Name: p.Name, Protocol: apiProtocol(p.Protocol), Port: port})
		}
		for _, list := range []struct {
			addrs []core.EndpointAddress
			ready bool
		}{{ss.Addresses, true}, {ss.NotReadyAddresses, false}} {
			for _, a := range list.addrs {
				ip, err := netip.ParseAddr(a.IP)
				if err != nil {
					return nil, fmt.Errorf("%w: endpoints %s/%s: %v", ErrInvalid, e.Namespace, e.Name, err)
				}
				ea := EndpointAddress{IP: ip, Ready: list.ready}
				if a.NodeName != nil {
					ea.NodeName = *a.NodeName
				}
				sub.Addresses = append(sub.Addresses, ea)
			}
		}
		out.Subsets = append(out.Subsets, sub)
	}
	return out, out.Validate()
}

func apiPort(p int32) (uint16, error) {
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("%w: port %d out of range", ErrInvalid, p)
	}
	return uint16(p), nil
}

func apiProtocol(p core.Protocol) Protocol {
	if p == "" {
		return TCP // the API's default
	}
	return Protocol(p)
}

// OnAPIServiceUpdate is OnServiceUpdate for API objects (informer
// handlers): old nil for an add, new nil for a delete. A Service that does
// not convert is logged and treated as deleted.
func (t *Tracker) OnAPIServiceUpdate(old, new *core.Service) {
	if new == nil {
		if old != nil {
			t.OnServiceUpdate(&Service{Namespace: old.Namespace, Name: old.Name}, nil)
		}
		return
	}
	s, err := FromAPIService(new)
	if err != nil {
		t.log.Warn("ignoring service", "service", new.Namespace+"/"+new.Name, "err", err)
		t.OnServiceUpdate(&Service{Namespace: new.Namespace, Name: new.Name}, nil)
		return
	}
	t.OnServiceUpdate(nil, s)
}

// OnAPIEndpointsUpdate is OnEndpointsUpdate for API objects: old nil for an
// add, new nil for a delete. An object that does not convert is logged and
// treated as deleted.
func (t *Tracker) OnAPIEndpointsUpdate(old, new *core.Endpoints) {
	if new == nil {
		if old != nil {
			t.OnEndpointsUpdate(&Endpoints{Namespace: old.Namespace, Name: old.Name}, nil)
		}
		return
	}
	e, err := FromAPIEndpoints(new)
	if err != nil {
		t.log.Warn("ignoring endpoints", "endpoints", new.Namespace+"/"+new.Name, "err", err)
		t.OnEndpointsUpdate(&Endpoints{Namespace: new.Namespace, Name: new.Name}, nil)
		return
	}
	t.OnEndpointsUpdate(nil, e)
}
