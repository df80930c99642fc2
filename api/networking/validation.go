package networking

import (
	"net/netip"
	"slices"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

var metadataPath = field.NewPath("metadata")

// Validate checks a new object of this package's kinds and reports whether
// it knew the kind.
func Validate(obj meta.Object) (field.ErrorList, bool) {
	if np, ok := obj.(*NetworkPolicy); ok {
		return ValidateNetworkPolicy(np), true
	}
	return nil, false
}

// ValidateUpdate checks an update from old to obj and reports whether it
// knew the kind; an old object of another kind is an error.
func ValidateUpdate(obj, old meta.Object) (field.ErrorList, bool) {
	if np, ok := obj.(*NetworkPolicy); ok {
		return validation.ValidateUpdateAs(np, old, ValidateNetworkPolicyUpdate), true
	}
	return nil, false
}

var supportedProtocols = []core.Protocol{core.ProtocolTCP, core.ProtocolUDP, core.ProtocolSCTP}

// ValidateNetworkPolicy checks a NetworkPolicy: metadata, the pod
// selector, each rule's ports (known protocol, valid number or name,
// endPort only with a numeric port and not below it) and peers (an
// ipBlock alone, or pod and/or namespace selectors; an ipBlock's except
// ranges inside its cidr), and policyTypes Ingress and/or Egress.
func ValidateNetworkPolicy(np *NetworkPolicy) field.ErrorList {
	errs := validation.ValidateObjectMeta(&np.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	sp := field.NewPath("spec")
	errs = append(errs, validation.ValidateLabelSelector(&np.Spec.PodSelector, sp.Child("podSelector"))...)
	for i, r := range np.Spec.Ingress {
		rp := sp.Child("ingress").Index(i)
		errs = append(errs, validatePorts(r.Ports, rp.Child("ports"))...)
		errs = append(errs, validatePeers(r.From, rp.Child("from"))...)
	}
	for i, r := range np.Spec.Egress {
		rp := sp.Child("egress").Index(i)
		errs = append(errs, validatePorts(r.Ports, rp.Child("ports"))...)
		errs = append(errs, validatePeers(r.To, rp.Child("to"))...)
	}
	valid := []PolicyType{PolicyTypeIngress, PolicyTypeEgress}
	for i, t := range np.Spec.PolicyTypes {
		if !slices.Contains(valid, t) {
			errs = append(errs, field.NotSupported(sp.Child("policyTypes").Index(i), t, valid))
		}
	}
	if len(np.Spec.PolicyTypes) > len(valid) {
		errs = append(errs, field.Invalid(sp.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	return errs
}

func validatePorts(ports []NetworkPolicyPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, port := range ports {
		pp := p.Index(i)
		if port.Protocol != nil && !slices.Contains(supportedProtocols, *port.Protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), *port.Protocol, supportedProtocols))
		}
		if port.Port != nil {
			if port.Port.Type == intstr.Int {
				for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
					errs = append(errs, field.Invalid(pp.Child("port"), port.Port.IntVal, msg))
				}
			} else {
				for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
					errs = append(errs, field.Invalid(pp.Child("port"), port.Port.StrVal, msg))
				}
			}
		}
		if port.EndPort == nil {
			continue
		}
		ep := pp.Child("endPort")
		switch {
		case port.Port == nil:
			errs = append(errs, field.Required(pp.Child("port"), "must be specified when endPort is specified"))
		case port.Port.Type != intstr.Int:
			errs = append(errs, field.Forbidden(ep, "may not be specified when `port` is non-numeric"))
		case *port.EndPort < port.Port.IntVal:
			errs = append(errs, field.Invalid(ep, *port.EndPort, "must be greater than or equal to `port`"))
		default:
			for _, msg := range validation.IsValidPortNum(int(*port.EndPort)) {
				errs = append(errs, field.Invalid(ep, *port.EndPort, msg))
			}
		}
	}
	return errs
}

func validatePeers(peers []NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, peer := range peers {
		pp := p.Index(i)
		n := 0
		if peer.PodSelector != nil {
			n++
			errs = append(errs, validation.ValidateLabelSelector(peer.PodSelector, pp.Child("podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			n++
			errs = append(errs, validation.ValidateLabelSelector(peer.NamespaceSelector, pp.Child("namespaceSelector"))...)
		}
		if peer.IPBlock != nil {
			if n > 0 {
				errs = append(errs, field.Forbidden(pp, "may not specify both ipBlock and another peer"))
			}
			n++
			errs = append(errs, validateIPBlock(peer.IPBlock, pp.Child("ipBlock"))...)
		}
		if n == 0 {
			errs = append(errs, field.Required(pp, "must specify a peer"))
		}
	}
	return errs
}

func validateIPBlock(b *IPBlock, p *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(p.Child("cidr"), "")}
	}
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return field.ErrorList{field.Invalid(p.Child("cidr"), b.CIDR, validation.IsValidCIDR(b.CIDR)[0])}
	}
	var errs field.ErrorList
	for i, ex := range b.Except {
		ep := p.Child("except").Index(i)
		e, err := netip.ParsePrefix(ex)
		if err != nil {
			errs = append(errs, field.Invalid(ep, ex, validation.IsValidCIDR(ex)[0]))
			continue
		}
		if e.Addr().Is4() != cidr.Addr().Is4() || e.Bits() <= cidr.Bits() || !cidr.Contains(e.Masked().Addr()) {
			errs = append(errs, field.Invalid(ep, ex, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// ValidateNetworkPolicyUpdate checks an update: metadata rules and a valid
// new policy.
func ValidateNetworkPolicyUpdate(n, old *NetworkPolicy) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metadataPath)
	return append(errs, ValidateNetworkPolicy(n)...)
}
