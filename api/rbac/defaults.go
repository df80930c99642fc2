package rbac

import "github.com/longshore/longshore/api/meta"

func init() {
	defaulters["RoleBinding"] = meta.DefaultFunc(SetDefaultsRoleBinding)
	defaulters["ClusterRoleBinding"] = meta.DefaultFunc(SetDefaultsClusterRoleBinding)
}

// SetDefaults applies the defaults of obj's kind and reports whether this
// package knows the kind.
func SetDefaults(obj meta.Object) bool {
	switch o := obj.(type) {
	case *RoleBinding:
		SetDefaultsRoleBinding(o)
	case *ClusterRoleBinding:
		SetDefaultsClusterRoleBinding(o)
	case *Role, *ClusterRole:
		// Kubernetes defaults nothing here.
	default:
		return false
	}
	return true
}

// SetDefaultsRoleBinding sets roleRef.apiGroup to this group and the
// subjects' apiGroups (see SetDefaultsSubject).
func SetDefaultsRoleBinding(rb *RoleBinding) {
	if rb.RoleRef.APIGroup == "" {
		rb.RoleRef.APIGroup = GroupName
	}
	for i := range rb.Subjects {
		SetDefaultsSubject(&rb.Subjects[i])
	}
}

// SetDefaultsClusterRoleBinding is SetDefaultsRoleBinding for cluster
// bindings.
func SetDefaultsClusterRoleBinding(crb *ClusterRoleBinding) {
	if crb.RoleRef.APIGroup == "" {
		crb.RoleRef.APIGroup = GroupName
	}
	for i := range crb.Subjects {
		SetDefaultsSubject(&crb.Subjects[i])
	}
}

// SetDefaultsSubject sets the apiGroup of a User or Group subject to this
// group; ServiceAccount subjects keep the core group "".
func SetDefaultsSubject(s *Subject) {
	if s.APIGroup == "" && (s.Kind == UserKind || s.Kind == GroupKind) {
		s.APIGroup = GroupName
	}
}
