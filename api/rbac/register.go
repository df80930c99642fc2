package rbac

import "github.com/longshore/longshore/api/meta"

// GroupName is the API group of this package (rbac.authorization.k8s.io).
const GroupName = "rbac.authorization.k8s.io"

// SchemeGroupVersion is the group version of this package's kinds.
var SchemeGroupVersion = meta.GroupVersion{Group: GroupName, Version: "v1"}

// defaulters holds each kind's defaulting function, by kind. The package's
// defaults.go fills it from an init function, for example
//
//	defaulters["Pod"] = meta.DefaultFunc(SetObjectDefaultsPod)
//
// and Kinds hands it to the api scheme.
var defaulters = map[string]func(meta.Object){}

// Kinds lists this package's kinds for the api scheme. Each call returns
// fresh values.
func Kinds() []meta.KindInfo {
	return []meta.KindInfo{
		{
			Kind:       "Role",
			Resource:   "roles",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &Role{} },
			NewList:    func() meta.ListObject { return &RoleList{} },
			Fields:     meta.FieldsFunc(RoleFields),
			Default:    defaulters["Role"],
		},
		{
			Kind:       "ClusterRole",
			Resource:   "clusterroles",
			Namespaced: false,
			ShortNames: nil,
			New:        func() meta.Object { return &ClusterRole{} },
			NewList:    func() meta.ListObject { return &ClusterRoleList{} },
			Fields:     meta.FieldsFunc(ClusterRoleFields),
			Default:    defaulters["ClusterRole"],
		},
		{
			Kind:       "RoleBinding",
			Resource:   "rolebindings",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &RoleBinding{} },
			NewList:    func() meta.ListObject { return &RoleBindingList{} },
			Fields:     meta.FieldsFunc(RoleBindingFields),
			Default:    defaulters["RoleBinding"],
		},
		{
			Kind:       "ClusterRoleBinding",
			Resource:   "clusterrolebindings",
			Namespaced: false,
			ShortNames: nil,
			New:        func() meta.Object { return &ClusterRoleBinding{} },
			NewList:    func() meta.ListObject { return &ClusterRoleBindingList{} },
			Fields:     meta.FieldsFunc(ClusterRoleBindingFields),
			Default:    defaulters["ClusterRoleBinding"],
		},
	}
}
