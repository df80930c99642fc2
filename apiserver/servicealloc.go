package apiserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/store"
)

// Service addresses: every Service but ExternalName and headless ones gets
// a ClusterIP from Config.ServiceCIDR, and NodePort and LoadBalancer
// services a node port per port from Config.NodePortRange. Each allocation
// is one store key created atomically (as Kubernetes' IPAddress objects),
// holding the owning service, so several API servers sharing a store never
// hand out the same address, and an allocation repeated by a retried
// update is recognised as the owner's own.

// Defaults of the service address ranges. The ClusterIP range is a
// documentation range so that a cluster on a developer's machine never
// shadows a real network.
const (
	DefaultServiceCIDR   = "198.19.0.0/20"
	DefaultNodePortRange = "30000-32767"
)

const (
	ipKeyPrefix   = "/registry/ranges/serviceips/"
	portKeyPrefix = "/registry/ranges/servicenodeports/"
)

type serviceAllocator struct {
	st             store.Store
	prefix         netip.Prefix
	portLo, portHi int
}

func newServiceAllocator(st store.Store, cidr, ports string) (*serviceAllocator, error) {
	if cidr == "" {
		cidr = DefaultServiceCIDR
	}
	if ports == "" {
		ports = DefaultNodePortRange
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return nil, fmt.Errorf("apiserver: service CIDR %q must be an IPv4 prefix of at most /30", cidr)
	}
	a := &serviceAllocator{st: st, prefix: p.Masked()}
	var lo, hi int
	if _, err := fmt.Sscanf(ports, "%d-%d", &lo, &hi); err != nil || lo < 1 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("apiserver: node port range %q must be LOW-HIGH within 1-65535", ports)
	}
	a.portLo, a.portHi = lo, hi
	return a, nil
}

// firstIP is the address of the "kubernetes" service.
func (a *serviceAllocator) firstIP() netip.Addr { return a.prefix.Addr().Next() }

// size is the number of usable addresses (network and broadcast excluded).
func (a *serviceAllocator) size() int { return 1<<(32-a.prefix.Bits()) - 2 }

func (a *serviceAllocator) nth(i int) netip.Addr {
	b := a.prefix.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(i + 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// claim creates key for owner. It reports whether the key is the owner's
// (ok) and whether this call created it (fresh): a key the owner already
// held (a retried update, a create of an existing object) is ok but not
// fresh, and must not be released when the write fails.
func (a *serviceAllocator) claim(ctx context.Context, key, owner string) (ok, fresh bool, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		_, err := a.st.Create(ctx, key, []byte(owner), 0)
		if err == nil {
			return true, true, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return false, false, err
		}
		kv, err := a.st.Get(ctx, key, store.GetOptions{})
		if errors.Is(err, store.ErrNotFound) {
			continue // released in between: try again
		}
		if err != nil {
			return false, false, err
		}
		return string(kv.Value) == owner, false, nil
	}
	return false, false, fmt.Errorf("allocation key %s keeps changing", key)
}

func (a *serviceAllocator) release(ctx context.Context, key, owner string) {
	kv, err := a.st.Get(ctx, key, store.GetOptions{})
	if err != nil || string(kv.Value) != owner {
		return
	}
	a.st.Delete(ctx, key, kv.ModRevision)
}

// allocateIP claims want (if set) or a free address for owner.
func (a *serviceAllocator) allocateIP(ctx context.Context, owner, want string) (ip string, fresh bool, err error) {
	if want != "" {
		addr, err := netip.ParseAddr(want)
		if err != nil || !a.prefix.Contains(addr) || addr == a.prefix.Addr() {
			return "", false, fieldInvalid("spec.clusterIPs[0]", want, fmt.Sprintf("provided IP is not in the valid range. The range of valid IPs is %s", a.prefix))
		}
		ok, fresh, err := a.claim(ctx, ipKeyPrefix+addr.String(), owner)
		if err != nil {
			return "", false, apierror.NewInternal(err)
		}
		if !ok {
			return "", false, fieldInvalid("spec.clusterIPs[0]", want, "provided IP is already allocated")
		}
		return addr.String(), fresh, nil
	}
	n := a.size()
	start := rand.IntN(n)
	for i := 0; i < n; i++ {
		addr := a.nth((start + i) % n)
		if addr == a.firstIP() && owner != "default/kubernetes" {
			continue // reserved for the kubernetes service
		}
		ok, fresh, err := a.claim(ctx, ipKeyPrefix+addr.String(), owner)
		if err != nil {
			return "", false, apierror.NewInternal(err)
		}
		if ok {
			return addr.String(), fresh, nil
		}
	}
	return "", false, apierror.NewInternal(fmt.Errorf("no ClusterIP left in %s", a.prefix))
}

func (a *serviceAllocator) allocatePort(ctx context.Context, owner string, want int32, skip map[int32]bool) (port int32, fresh bool, err error) {
	if want != 0 {
		if int(want) < a.portLo || int(want) > a.portHi {
			return 0, false, fieldInvalid("spec.ports[].nodePort", want, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", a.portLo, a.portHi))
		}
		ok, fresh, err := a.claim(ctx, portKeyPrefix+strconv.Itoa(int(want)), owner)
		if err != nil {
			return 0, false, apierror.NewInternal(err)
		}
		if !ok {
			return 0, false, fieldInvalid("spec.ports[].nodePort", want, "provided port is already allocated")
		}
		return want, fresh, nil
	}
	n := a.portHi - a.portLo + 1
	start := rand.IntN(n)
	for i := 0; i < n; i++ {
		p := a.portLo + (start+i)%n
		if skip[int32(p)] {
			continue
		}
		ok, fresh, err := a.claim(ctx, portKeyPrefix+strconv.Itoa(p), owner)
		if err != nil {
			return 0, false, apierror.NewInternal(err)
		}
		if ok {
			return int32(p), fresh, nil
		}
	}
	return 0, false, apierror.NewInternal(fmt.Errorf("no node port left in %d-%d", a.portLo, a.portHi))
}

func fieldInvalid(path string, value any, msg string) error {
	return apierror.NewInvalid("Service", "", "", []meta.StatusCause{{Type: meta.CauseTypeFieldValueInvalid, Field: path,
		Message: fmt.Sprintf("Invalid value: %v: %s", value, msg)}})
}

func serviceOwner(svc *core.Service) string { return svc.Namespace + "/" + svc.Name }

func needsClusterIP(svc *core.Service) bool {
	return svc.Spec.Type != core.ServiceTypeExternalName && svc.Spec.ClusterIP != core.ClusterIPNone
}

func needsNodePorts(svc *core.Service) bool {
	return svc.Spec.Type == core.ServiceTypeNodePort || svc.Spec.Type == core.ServiceTypeLoadBalancer
}

// allocate fills in the service's ClusterIP(s) and node ports, claiming
// them for the service, and returns the keys it newly claimed: the caller
// releases them (releaseKeys) if its write fails. On error, what this call
// claimed is already released.
func (a *serviceAllocator) allocate(ctx context.Context, svc *core.Service, old *core.Service) (claimed []string, err error) {
	owner := serviceOwner(svc)
	defer func() {
		if err != nil {
			a.releaseKeys(ctx, owner, claimed)
			claimed = nil
		}
	}()
	if needsClusterIP(svc) {
		want := svc.Spec.ClusterIP
		if old != nil && want == "" {
			want = old.Spec.ClusterIP
		}
		if want == "" || old == nil || want != old.Spec.ClusterIP {
			ip, fresh, err := a.allocateIP(ctx, owner, want)
			if err != nil {
				return nil, err
			}
			if fresh {
				claimed = append(claimed, ipKeyPrefix+ip)
			}
			want = ip
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = want, []string{want}
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = []core.IPFamily{core.IPv4Protocol}
		}
		if svc.Spec.IPFamilyPolicy == nil {
			p := core.IPFamilyPolicySingleStack
			svc.Spec.IPFamilyPolicy = &p
		}
	}
	if needsNodePorts(svc) {
		oldPorts := map[int32]bool{}
		if old != nil && needsNodePorts(old) {
			for _, p := range old.Spec.Ports {
				oldPorts[p.NodePort] = true
			}
		}
		// Ports asked for by number first, then the others, so that an
		// automatic choice never takes a port this service asks for.
		used := map[int32]bool{}
		for pass := 0; pass < 2; pass++ {
			for i := range svc.Spec.Ports {
				p := &svc.Spec.Ports[i]
				if (pass == 0) != (p.NodePort != 0) {
					continue
				}
				if p.NodePort != 0 && used[p.NodePort] {
					return nil, fieldInvalid(fmt.Sprintf("spec.ports[%d].nodePort", i), p.NodePort, "duplicate node port")
				}
				if p.NodePort != 0 && oldPorts[p.NodePort] {
					used[p.NodePort] = true
					continue // kept from before
				}
				port, fresh, err := a.allocatePort(ctx, owner, p.NodePort, used)
				if err != nil {
					return nil, err
				}
				if fresh {
					claimed = append(claimed, portKeyPrefix+strconv.Itoa(int(port)))
				}
				p.NodePort = port
				used[port] = true
			}
		}
	} else {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	return claimed, nil
}

// releaseKeys frees allocation keys owner holds.
func (a *serviceAllocator) releaseKeys(ctx context.Context, owner string, keys []string) {
	for _, k := range keys {
		a.release(ctx, k, owner)
	}
}

// releaseUnused frees what old held and svc (nil when deleted) no longer
// does.
func (a *serviceAllocator) releaseUnused(ctx context.Context, old, svc *core.Service) {
	if old == nil {
		return
	}
	owner := serviceOwner(old)
	if old.Spec.ClusterIP != "" && old.Spec.ClusterIP != core.ClusterIPNone && (svc == nil || svc.Spec.ClusterIP != old.Spec.ClusterIP) {
		a.release(ctx, ipKeyPrefix+old.Spec.ClusterIP, owner)
	}
	keep := map[int32]bool{}
	if svc != nil {
		for _, p := range svc.Spec.Ports {
			keep[p.NodePort] = true
		}
	}
	for _, p := range old.Spec.Ports {
		if p.NodePort != 0 && !keep[p.NodePort] {
			a.release(ctx, portKeyPrefix+strconv.Itoa(int(p.NodePort)), owner)
		}
	}
}

// bootstrapKubernetesService creates default/kubernetes on the first
// ClusterIP, port 443 to the API server's port.
func (s *Server) bootstrapKubernetesService(ctx context.Context) error {
	res, ok := s.lookup(meta.GroupVersionResource{Version: "v1", Resource: "services"})
	if !ok {
		return nil
	}
	svc := &core.Service{
		ObjectMeta: meta.ObjectMeta{Name: "kubernetes", Namespace: "default", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: core.ServiceSpec{Type: core.ServiceTypeClusterIP, ClusterIP: s.alloc.firstIP().String(),
			Ports: []core.ServicePort{{Name: "https", Protocol: core.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt(6443)}}},
	}
	if _, err := s.createObject(ctx, res, "default", svc, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
		return fmt.Errorf("kubernetes service: %w", err)
	}
	return nil
}
