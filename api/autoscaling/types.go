// Package autoscaling holds autoscaling/v1 Scale, the body of every scale
// subresource (deployments/scale, replicasets/scale, statefulsets/scale).
package autoscaling

import "github.com/longshore/longshore/api/meta"

//go:generate go run github.com/longshore/longshore/internal/deepcopygen

// Scale is the replica count of a scalable resource.
type Scale struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            ScaleSpec   `json:"spec,omitempty"`
	Status          ScaleStatus `json:"status,omitempty"`
}

// ScaleSpec is the desired replica count.
type ScaleSpec struct {
	Replicas int32 `json:"replicas,omitempty"`
}

// ScaleStatus is the observed replica count and the pod selector in its
// text form (for example "app=web").
type ScaleStatus struct {
	Replicas int32  `json:"replicas"`
	Selector string `json:"selector,omitempty"`
}
