package networking_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/networking"
)

// Allow TCP 8080 into app=web pods from app=client pods only.
func ExampleNetworkPolicy() {
	tcp, port := core.ProtocolTCP, intstr.FromInt(8080)
	np := networking.NetworkPolicy{
		Spec: networking.NetworkPolicySpec{
			PodSelector: meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networking.PolicyType{networking.PolicyTypeIngress},
			Ingress: []networking.NetworkPolicyIngressRule{{
				Ports: []networking.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
				From:  []networking.NetworkPolicyPeer{{PodSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
			}},
		},
	}
	b, _ := json.Marshal(np.Spec)
	fmt.Println(string(b))
	// Output:
	// {"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"protocol":"TCP","port":8080}],"from":[{"podSelector":{"matchLabels":{"app":"client"}}}]}],"policyTypes":["Ingress"]}
}
