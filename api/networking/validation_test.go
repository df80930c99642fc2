package networking

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
)

func ptr[T any](v T) *T { return &v }

func TestValidateNetworkPolicy(t *testing.T) {
	valid := func() *NetworkPolicy {
		np := &NetworkPolicy{ObjectMeta: meta.ObjectMeta{Name: "allow", Namespace: "default", ResourceVersion: "1"}, Spec: NetworkPolicySpec{
			PodSelector: meta.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []NetworkPolicyIngressRule{{
				Ports: []NetworkPolicyPort{{Port: ptr(intstr.FromInt(5432))}},
				From:  []NetworkPolicyPeer{{PodSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			}},
			Egress: []NetworkPolicyEgressRule{{To: []NetworkPolicyPeer{{IPBlock: &IPBlock{CIDR: "198.18.0.0/15", Except: []string{"198.18.1.0/24"}}}}}},
		}}
		SetDefaultsNetworkPolicy(np)
		return np
	}
	tests := []struct {
		name   string
		mutate func(*NetworkPolicy)
		want   []string
	}{
		{"valid", func(*NetworkPolicy) {}, nil},
		{"bad protocol", func(n *NetworkPolicy) { n.Spec.Ingress[0].Ports[0].Protocol = ptr(core.Protocol("ICMP")) }, []string{"FieldValueNotSupported spec.ingress[0].ports[0].protocol"}},
		{"bad port", func(n *NetworkPolicy) { n.Spec.Ingress[0].Ports[0].Port = ptr(intstr.FromInt(0)) }, []string{"FieldValueInvalid spec.ingress[0].ports[0].port"}},
		{"endPort below port", func(n *NetworkPolicy) { n.Spec.Ingress[0].Ports[0].EndPort = ptr(int32(80)) }, []string{"FieldValueInvalid spec.ingress[0].ports[0].endPort"}},
		{"endPort with named port", func(n *NetworkPolicy) {
			n.Spec.Ingress[0].Ports[0].Port = ptr(intstr.FromString("pg"))
			n.Spec.Ingress[0].Ports[0].EndPort = ptr(int32(6000))
		}, []string{"FieldValueForbidden spec.ingress[0].ports[0].endPort"}},
		{"empty peer", func(n *NetworkPolicy) { n.Spec.Ingress[0].From = []NetworkPolicyPeer{{}} }, []string{"FieldValueRequired spec.ingress[0].from[0]"}},
		{"ipBlock and selector", func(n *NetworkPolicy) {
			n.Spec.Egress[0].To[0].PodSelector = &meta.LabelSelector{}
		}, []string{"FieldValueForbidden spec.egress[0].to[0]"}},
		{"except outside cidr", func(n *NetworkPolicy) { n.Spec.Egress[0].To[0].IPBlock.Except = []string{"192.0.2.0/24"} }, []string{"FieldValueInvalid spec.egress[0].to[0].ipBlock.except[0]"}},
		{"bad cidr", func(n *NetworkPolicy) { n.Spec.Egress[0].To[0].IPBlock.CIDR = "198.18.0.0" }, []string{"FieldValueInvalid spec.egress[0].to[0].ipBlock.cidr"}},
		{"bad policy type", func(n *NetworkPolicy) { n.Spec.PolicyTypes = []PolicyType{"Sideways"} }, []string{"FieldValueNotSupported spec.policyTypes[0]"}},
		{"bad pod selector", func(n *NetworkPolicy) { n.Spec.PodSelector.MatchLabels["app"] = "-" }, []string{"FieldValueInvalid spec.podSelector.matchLabels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			np := valid()
			tt.mutate(np)
			fieldtest.ExpectErrors(t, ValidateNetworkPolicy(np), tt.want...)
		})
	}
	old := valid()
	n := valid()
	n.Spec.Ingress = nil
	if errs, ok := ValidateUpdate(n, old); !ok || len(errs) != 0 {
		t.Errorf("update = %v, %v", errs, ok)
	}
	if _, ok := Validate(old); !ok {
		t.Error("Validate does not know NetworkPolicy")
	}
}
