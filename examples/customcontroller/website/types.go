package website

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/client"
)

// Names of the custom resource.
const (
	// Group is the API group of Website.
	Group = "demo.longshore.dev"
	// Version is the only version served.
	Version = "v1"
	// Kind is the kind's name.
	Kind = "Website"
	// Resource is the plural name used in URLs.
	Resource = "websites"
	// CRDName is the CustomResourceDefinition's name: <plural>.<group>.
	CRDName = Resource + "." + Group
)

// GroupVersionKind is Website's group, version and kind.
var GroupVersionKind = meta.GroupVersionKind{Group: Group, Version: Version, Kind: Kind}

// GVR tells the dynamic client where Websites are served.
var GVR = client.GVR{
	GroupVersionResource: meta.GroupVersionResource{Group: Group, Version: Version, Resource: Resource},
	Kind:                 Kind,
	Namespaced:           true,
}

// Condition types and reasons of a Website's status.
const (
	// ConditionReady is True when the Deployment has rolled out the
	// current spec and every replica is ready.
	ConditionReady = "Ready"

	// ReasonAvailable: every replica of the current spec is ready.
	ReasonAvailable = "Available"
	// ReasonProgressing: the Deployment is rolling out or scaling.
	ReasonProgressing = "Progressing"
	// ReasonConflict: a Deployment or Service of that name belongs to
	// something else.
	ReasonConflict = "Conflict"
)

// Website is the typed view of a demo.longshore.dev/v1 Website. The API
// server knows it only through its CustomResourceDefinition, so the
// controller reads and writes unstructured objects and converts them with
// FromUnstructured and ToUnstructured.
type Website struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            Spec   `json:"spec"`
	Status          Status `json:"status,omitempty"`
}

// Spec is what the user asks for.
type Spec struct {
	// Replicas is the number of pods (default 1).
	Replicas int32 `json:"replicas"`
	// Image is the container image serving the site.
	Image string `json:"image"`
	// Port is the container port, also the Service's port (default 80).
	Port int32 `json:"port"`
}

// Status is what the controller observed.
type Status struct {
	// ObservedGeneration is the generation of the spec last acted on.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// ReadyReplicas is the Deployment's ready replicas.
	ReadyReplicas int32 `json:"readyReplicas"`
	// Conditions holds ConditionReady.
	Conditions []meta.Condition `json:"conditions,omitempty"`
}

// FromUnstructured converts an object of the dynamic client to a Website.
func FromUnstructured(o *unstructured.Object) (*Website, error) {
	data, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("website: encode %s/%s: %w", o.Namespace, o.Name, err)
	}
	w := &Website{}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("website: decode %s/%s: %w", o.Namespace, o.Name, err)
	}
	return w, nil
}

// ToUnstructured converts w to an object for the dynamic client, with
// apiVersion and kind set.
func ToUnstructured(w *Website) (*unstructured.Object, error) {
	out := *w
	out.TypeMeta.SetGroupVersionKind(GroupVersionKind)
	data, err := json.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("website: encode %s/%s: %w", w.Namespace, w.Name, err)
	}
	o := &unstructured.Object{}
	if err := json.Unmarshal(data, o); err != nil {
		return nil, fmt.Errorf("website: decode %s/%s: %w", w.Namespace, w.Name, err)
	}
	return o, nil
}

// Condition returns the condition of type t, or nil.
func (s *Status) Condition(t string) *meta.Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}
