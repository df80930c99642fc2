package meta

// TypeMeta names an object's kind and API version, as every Kubernetes
// object carries them on the wire.
type TypeMeta struct {
	// Kind is the object's kind in CamelCase, e.g. "Pod".
	Kind string `json:"kind,omitempty"`
	// APIVersion is "group/version", or "v1" for the core group.
	APIVersion string `json:"apiVersion,omitempty"`
}

// ListMeta is the metadata of a list response.
type ListMeta struct {
	// ResourceVersion is the store revision the list was read at.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Continue is set when more items remain; pass it back to get them.
	Continue string `json:"continue,omitempty"`
	// RemainingItemCount is the number of items after this page, if known.
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
	// SelfLink is deprecated and never set by Longshore; kept for decoding.
	SelfLink string `json:"selfLink,omitempty"`
}

// ObjectMeta is the metadata every persisted object carries.
type ObjectMeta struct {
	Name                       string               `json:"name,omitempty"`
	GenerateName               string               `json:"generateName,omitempty"`
	Namespace                  string               `json:"namespace,omitempty"`
	SelfLink                   string               `json:"selfLink,omitempty"`
	UID                        string               `json:"uid,omitempty"`
	ResourceVersion            string               `json:"resourceVersion,omitempty"`
	Generation                 int64                `json:"generation,omitempty"`
	CreationTimestamp          Time                 `json:"creationTimestamp,omitempty"`
	DeletionTimestamp          *Time                `json:"deletionTimestamp,omitempty"`
	DeletionGracePeriodSeconds *int64               `json:"deletionGracePeriodSeconds,omitempty"`
	Labels                     map[string]string    `json:"labels,omitempty"`
	Annotations                map[string]string    `json:"annotations,omitempty"`
	OwnerReferences            []OwnerReference     `json:"ownerReferences,omitempty" patchStrategy:"merge" patchMergeKey:"uid"`
	Finalizers                 []string             `json:"finalizers,omitempty" patchStrategy:"merge"`
	ManagedFields              []ManagedFieldsEntry `json:"managedFields,omitempty"`
}

// ManagedFieldsEntry records which manager owns which fields (server-side
// apply bookkeeping). Longshore stores and returns it unchanged.
type ManagedFieldsEntry struct {
	Manager     string   `json:"manager,omitempty"`
	Operation   string   `json:"operation,omitempty"`
	APIVersion  string   `json:"apiVersion,omitempty"`
	Time        *Time    `json:"time,omitempty"`
	FieldsType  string   `json:"fieldsType,omitempty"`
	FieldsV1    *RawJSON `json:"fieldsV1,omitempty"`
	Subresource string   `json:"subresource,omitempty"`
}

// OwnerReference points from a dependent object to its owner, for garbage
// collection and adoption.
type OwnerReference struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	Name               string `json:"name"`
	UID                string `json:"uid"`
	Controller         *bool  `json:"controller,omitempty"`
	BlockOwnerDeletion *bool  `json:"blockOwnerDeletion,omitempty"`
}

// LabelSelector selects objects by labels: all of MatchLabels and all of
// MatchExpressions must hold. An empty selector matches everything; a nil
// one matches nothing (as Kubernetes treats them).
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorOperator is the operator of a LabelSelectorRequirement.
type LabelSelectorOperator string

// The operators of a LabelSelectorRequirement.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// LabelSelectorRequirement is one set-based requirement on a label.
type LabelSelectorRequirement struct {
	Key      string                `json:"key"`
	Operator LabelSelectorOperator `json:"operator"`
	Values   []string              `json:"values,omitempty"`
}
