package networking

import (
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

func init() {
	defaulters["NetworkPolicy"] = meta.DefaultFunc(SetDefaultsNetworkPolicy)
}

// SetDefaults applies the defaults of obj's kind and reports whether this
// package knows the kind.
func SetDefaults(obj meta.Object) bool {
	np, ok := obj.(*NetworkPolicy)
	if ok {
		SetDefaultsNetworkPolicy(np)
	}
	return ok
}

// SetDefaultsNetworkPolicy gives every port protocol TCP, and a policy
// without policyTypes the type Ingress, plus Egress when it has egress
// rules.
func SetDefaultsNetworkPolicy(np *NetworkPolicy) {
	s := &np.Spec
	for i := range s.Ingress {
		defaultPorts(s.Ingress[i].Ports)
	}
	for i := range s.Egress {
		defaultPorts(s.Egress[i].Ports)
	}
	if len(s.PolicyTypes) == 0 {
		s.PolicyTypes = []PolicyType{PolicyTypeIngress}
		if len(s.Egress) != 0 {
			s.PolicyTypes = append(s.PolicyTypes, PolicyTypeEgress)
		}
	}
}

func defaultPorts(ports []NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			tcp := core.ProtocolTCP
			ports[i].Protocol = &tcp
		}
	}
}
