package rbac

import (
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// RoleFields returns the fields field selectors can use on a Role:
// metadata.name and metadata.namespace, as in Kubernetes.
func RoleFields(o *Role) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// ClusterRoleFields returns the fields field selectors can use on a ClusterRole:
// metadata.name (the kind is cluster-scoped), as in Kubernetes.
func ClusterRoleFields(o *ClusterRole) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, false))
}

// RoleBindingFields returns the fields field selectors can use on a RoleBinding:
// metadata.name and metadata.namespace, as in Kubernetes.
func RoleBindingFields(o *RoleBinding) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// ClusterRoleBindingFields returns the fields field selectors can use on a ClusterRoleBinding:
// metadata.name (the kind is cluster-scoped), as in Kubernetes.
func ClusterRoleBindingFields(o *ClusterRoleBinding) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, false))
}
