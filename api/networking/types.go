// Package networking holds networking.k8s.io/v1 NetworkPolicy.
package networking

import (
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
)

//go:generate go run github.com/longshore/longshore/internal/deepcopygen

// NetworkPolicy restricts the traffic to and from selected pods.
type NetworkPolicy struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            NetworkPolicySpec `json:"spec,omitempty"`
}

// NetworkPolicyList is a list of NetworkPolicies.
type NetworkPolicyList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []NetworkPolicy `json:"items"`
}

// PolicyType is a direction of traffic a policy applies to.
type PolicyType string

// The policy types.
const (
	PolicyTypeIngress PolicyType = "Ingress"
	PolicyTypeEgress  PolicyType = "Egress"
)

// NetworkPolicySpec is the content of a network policy.
type NetworkPolicySpec struct {
	PodSelector meta.LabelSelector         `json:"podSelector"`
	Ingress     []NetworkPolicyIngressRule `json:"ingress,omitempty"`
	Egress      []NetworkPolicyEgressRule  `json:"egress,omitempty"`
	PolicyTypes []PolicyType               `json:"policyTypes,omitempty"`
}

// NetworkPolicyIngressRule allows traffic from peers to ports.
type NetworkPolicyIngressRule struct {
	Ports []NetworkPolicyPort `json:"ports,omitempty"`
	From  []NetworkPolicyPeer `json:"from,omitempty"`
}

// NetworkPolicyEgressRule allows traffic to peers on ports.
type NetworkPolicyEgressRule struct {
	Ports []NetworkPolicyPort `json:"ports,omitempty"`
	To    []NetworkPolicyPeer `json:"to,omitempty"`
}

// NetworkPolicyPort is a port (or range) and protocol.
type NetworkPolicyPort struct {
	Protocol *core.Protocol      `json:"protocol,omitempty"`
	Port     *intstr.IntOrString `json:"port,omitempty"`
	EndPort  *int32              `json:"endPort,omitempty"`
}

// NetworkPolicyPeer selects pods, namespaces or an IP block.
type NetworkPolicyPeer struct {
	PodSelector       *meta.LabelSelector `json:"podSelector,omitempty"`
	NamespaceSelector *meta.LabelSelector `json:"namespaceSelector,omitempty"`
	IPBlock           *IPBlock            `json:"ipBlock,omitempty"`
}

// IPBlock is a CIDR with exceptions.
type IPBlock struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except,omitempty"`
}
