package networking

import (
	"testing"

	"github.com/longshore/longshore/api/core"
)

func TestSetDefaultsNetworkPolicy(t *testing.T) {
	udp := core.ProtocolUDP
	np := &NetworkPolicy{Spec: NetworkPolicySpec{
		Ingress: []NetworkPolicyIngressRule{{Ports: []NetworkPolicyPort{{}, {Protocol: &udp}}}},
	}}
	SetDefaultsNetworkPolicy(np)
	if got := *np.Spec.Ingress[0].Ports[0].Protocol; got != core.ProtocolTCP {
		t.Errorf("protocol = %s", got)
	}
	if got := *np.Spec.Ingress[0].Ports[1].Protocol; got != core.ProtocolUDP {
		t.Errorf("explicit protocol changed to %s", got)
	}
	if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != PolicyTypeIngress {
		t.Errorf("policyTypes = %v", np.Spec.PolicyTypes)
	}
	eg := &NetworkPolicy{Spec: NetworkPolicySpec{Egress: []NetworkPolicyEgressRule{{}}}}
	if !SetDefaults(eg) {
		t.Fatal("NetworkPolicy not known")
	}
	if len(eg.Spec.PolicyTypes) != 2 || eg.Spec.PolicyTypes[1] != PolicyTypeEgress {
		t.Errorf("policyTypes = %v", eg.Spec.PolicyTypes)
	}
	for _, k := range Kinds() {
		if k.Kind == "NetworkPolicy" && k.Default == nil {
			t.Error("no registered defaulter")
		}
	}
}
