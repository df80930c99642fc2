// Package rbac holds the rbac.authorization.k8s.io/v1 kinds: Role,
// ClusterRole, RoleBinding and ClusterRoleBinding.
package rbac

import "github.com/longshore/longshore/api/meta"

//go:generate go run github.com/longshore/longshore/internal/deepcopygen

// Wildcards and names used in rules and subjects.
const (
	VerbAll            = "*"
	APIGroupAll        = "*"
	ResourceAll        = "*"
	NonResourceAll     = "*"
	UserKind           = "User"
	GroupKind          = "Group"
	ServiceAccountKind = "ServiceAccount"
)

// PolicyRule grants verbs on resources or non-resource URLs.
type PolicyRule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// Subject is a user, group or service account a binding grants to.
type Subject struct {
	Kind      string `json:"kind"`
	APIGroup  string `json:"apiGroup,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// RoleRef names the role a binding grants.
type RoleRef struct {
	APIGroup string `json:"apiGroup"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
}

// Role is a namespaced set of rules.
type Role struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Rules           []PolicyRule `json:"rules"`
}

// RoleList is a list of Roles.
type RoleList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []Role `json:"items"`
}

// ClusterRole is a cluster-wide set of rules, maybe aggregated from others.
type ClusterRole struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Rules           []PolicyRule     `json:"rules"`
	AggregationRule *AggregationRule `json:"aggregationRule,omitempty"`
}

// ClusterRoleList is a list of ClusterRoles.
type ClusterRoleList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []ClusterRole `json:"items"`
}

// AggregationRule selects the ClusterRoles whose rules are merged into one.
type AggregationRule struct {
	ClusterRoleSelectors []meta.LabelSelector `json:"clusterRoleSelectors,omitempty"`
}

// RoleBinding grants a Role or ClusterRole within a namespace.
type RoleBinding struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Subjects        []Subject `json:"subjects,omitempty"`
	RoleRef         RoleRef   `json:"roleRef"`
}

// RoleBindingList is a list of RoleBindings.
type RoleBindingList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []RoleBinding `json:"items"`
}

// ClusterRoleBinding grants a ClusterRole cluster-wide.
type ClusterRoleBinding struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Subjects        []Subject `json:"subjects,omitempty"`
	RoleRef         RoleRef   `json:"roleRef"`
}

// ClusterRoleBindingList is a list of ClusterRoleBindings.
type ClusterRoleBindingList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []ClusterRoleBinding `json:"items"`
}
