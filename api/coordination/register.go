package coordination

import "github.com/longshore/longshore/api/meta"

// GroupName is the API group of this package (coordination.k8s.io).
const GroupName = "coordination.k8s.io"

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
			Kind:       "Lease",
			Resource:   "leases",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &Lease{} },
			NewList:    func() meta.ListObject { return &LeaseList{} },
			Fields:     meta.FieldsFunc(LeaseFields),
			Default:    defaulters["Lease"],
		},
	}
}
