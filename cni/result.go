package cni

import (
	"fmt"
	"net"
	"net/netip"

	cnitypes "github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// Result is what a network attachment gave a pod, converted from the
// plugin result of any spec version to the current one.
type Result struct {
	// CNIVersion is the spec version of the plugin's result.
	CNIVersion string
	// Interfaces are the links the plugins created or reported.
	Interfaces []Interface
	// IPs are the addresses assigned.
	IPs []IP
	// Routes are the routes the plugins installed in the pod.
	Routes []Route
	// DNS is the DNS configuration the plugins suggest (often empty).
	DNS DNS
}

// Interface is a link reported by a plugin.
type Interface struct {
	Name string
	Mac  string
	// Sandbox is the netns path for links inside the pod, "" for host side
	// links such as a bridge or the host end of a veth.
	Sandbox string
}

// IP is one assigned address.
type IP struct {
	// Address is the address with its prefix length (e.g. 198.18.0.5/24).
	Address netip.Prefix
	// Gateway is the default gateway for this address, if any.
	Gateway netip.Addr
	// Interface is the name of the link the address is on, "" if unknown.
	Interface string
}

// Route is one route installed in the pod.
type Route struct {
	Dst netip.Prefix
	GW  netip.Addr
}

// DNS is the DNS configuration from the result.
type DNS struct {
	Nameservers []string
	Domain      string
	Search      []string
	Options     []string
}

// Addrs returns the assigned addresses without prefix lengths, IPv4 first,
// as a pod's status lists them.
func (r *Result) Addrs() []netip.Addr {
	var v4, v6 []netip.Addr
	for _, ip := range r.IPs {
		if a := ip.Address.Addr(); a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	return append(v4, v6...)
}

// convertResult converts a libcni result to a Result.
func convertResult(res cnitypes.Result) (*Result, error) {
	if res == nil {
		return nil, fmt.Errorf("cni: plugin returned no result")
	}
	cur, err := current.GetResult(res)
	if err != nil {
		return nil, fmt.Errorf("cni: convert result version %s: %w", res.Version(), err)
	}
	out := &Result{CNIVersion: res.Version()}
	for _, i := range cur.Interfaces {
		if i == nil {
			continue
		}
		out.Interfaces = append(out.Interfaces, Interface{Name: i.Name, Mac: i.Mac, Sandbox: i.Sandbox})
	}
	for _, ip := range cur.IPs {
		if ip == nil {
			continue
		}
		addr, ok := prefixOf(ip.Address)
		if !ok {
			return nil, fmt.Errorf("cni: result has invalid address %v", ip.Address)
		}
		o := IP{Address: addr, Gateway: addrOf(ip.Gateway)}
		if ip.Interface != nil && *ip.Interface >= 0 && *ip.Interface < len(out.Interfaces) {
			o.Interface = out.Interfaces[*ip.Interface].Name
		}
		out.IPs = append(out.IPs, o)
	}
	for _, r := range cur.Routes {
		if r == nil {
			continue
		}
		dst, ok := prefixOf(r.Dst)
		if !ok {
			return nil, fmt.Errorf("cni: result has invalid route %v", r.Dst)
		}
		out.Routes = append(out.Routes, Route{Dst: dst, GW: addrOf(r.GW)})
	}
	out.DNS = DNS{
		Nameservers: cur.DNS.Nameservers,
		Domain:      cur.DNS.Domain,
		Search:      cur.DNS.Search,
		Options:     cur.DNS.Options,
	}
	return out, nil
}

func addrOf(ip net.IP) netip.Addr {
	if ip == nil {
		return netip.Addr{}
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}

func prefixOf(n net.IPNet) (netip.Prefix, bool) {
	a := addrOf(n.IP)
	if !a.IsValid() || n.Mask == nil {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, false
	}
	if a.Is4() && bits == 128 {
		ones -= 96
	}
	return netip.PrefixFrom(a, ones), true
}
