package fake

import (
	"fmt"
	"net/netip"

	"github.com/longshore/longshore/cri"
)

// allowed is the benchmarking range fake pod IPs must come from.
var allowed = netip.MustParsePrefix("198.18.0.0/15")

// ipam hands out the host addresses of a prefix, skipping the network
// address, the first host (the gateway by convention) and the broadcast.
type ipam struct {
	prefix netip.Prefix
	next   netip.Addr
	used   map[netip.Addr]bool
	size   int
}

func newIPAM(cidr string) (*ipam, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("fake: pod CIDR %q: %v: %w", cidr, err, cri.ErrInvalidArgument)
	}
	p = p.Masked()
	if !p.Addr().Is4() || p.Bits() < allowed.Bits() || !allowed.Contains(p.Addr()) || p.Bits() > 30 {
		return nil, fmt.Errorf("fake: pod CIDR %q must be an IPv4 range of /15 to /30 inside %v: %w", cidr, allowed, cri.ErrInvalidArgument)
	}
	first := p.Addr().Next().Next()
	return &ipam{prefix: p, next: first, used: map[netip.Addr]bool{}, size: 1<<(32-p.Bits()) - 3}, nil
}

// allocate returns a free address, scanning round-robin from the last one so
// released addresses are not reused at once.
func (a *ipam) allocate() (netip.Addr, error) {
	if len(a.used) >= a.size {
		return netip.Addr{}, fmt.Errorf("fake: pod CIDR %v has no free address: %w", a.prefix, cri.ErrResourceExhausted)
	}
	for {
		ip := a.next
		a.next = ip.Next()
		if !a.valid(a.next) {
			a.next = a.prefix.Addr().Next().Next()
		}
		if a.valid(ip) && !a.used[ip] {
			a.used[ip] = true
			return ip, nil
		}
	}
}

func (a *ipam) valid(ip netip.Addr) bool {
	if !a.prefix.Contains(ip) || ip == a.prefix.Addr() || ip == a.prefix.Addr().Next() {
		return false
	}
	return ip.Next().IsValid() && a.prefix.Contains(ip.Next()) // not the broadcast
}

func (a *ipam) release(ip netip.Addr) { delete(a.used, ip) }

// inUse returns the number of allocated addresses.
func (a *ipam) inUse() int { return len(a.used) }
