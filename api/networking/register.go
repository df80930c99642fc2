package networking

import "github.com/longshore/longshore/api/meta"

// GroupName is the API group of this package (networking.k8s.io).
const GroupName = "networking.k8s.io"

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
			Kind:       "NetworkPolicy",
			Resource:   "networkpolicies",
			Namespaced: true,
			ShortNames: []string{"netpol"},
			New:        func() meta.Object { return &NetworkPolicy{} },
			NewList:    func() meta.ListObject { return &NetworkPolicyList{} },
			Fields:     meta.FieldsFunc(NetworkPolicyFields),
			Default:    defaulters["NetworkPolicy"],
		},
	}
}
