package apps

import "github.com/longshore/longshore/api/meta"

// GroupName is the API group of this package (apps).
const GroupName = "apps"

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
			Kind:       "Deployment",
			Resource:   "deployments",
			Namespaced: true,
			ShortNames: []string{"deploy"},
			New:        func() meta.Object { return &Deployment{} },
			NewList:    func() meta.ListObject { return &DeploymentList{} },
			Fields:     meta.FieldsFunc(DeploymentFields),
			Default:    defaulters["Deployment"],
		},
		{
			Kind:       "ReplicaSet",
			Resource:   "replicasets",
			Namespaced: true,
			ShortNames: []string{"rs"},
			New:        func() meta.Object { return &ReplicaSet{} },
			NewList:    func() meta.ListObject { return &ReplicaSetList{} },
			Fields:     meta.FieldsFunc(ReplicaSetFields),
			Default:    defaulters["ReplicaSet"],
		},
		{
			Kind:       "StatefulSet",
			Resource:   "statefulsets",
			Namespaced: true,
			ShortNames: []string{"sts"},
			New:        func() meta.Object { return &StatefulSet{} },
			NewList:    func() meta.ListObject { return &StatefulSetList{} },
			Fields:     meta.FieldsFunc(StatefulSetFields),
			Default:    defaulters["StatefulSet"],
		},
		{
			Kind:       "DaemonSet",
			Resource:   "daemonsets",
			Namespaced: true,
			ShortNames: []string{"ds"},
			New:        func() meta.Object { return &DaemonSet{} },
			NewList:    func() meta.ListObject { return &DaemonSetList{} },
			Fields:     meta.FieldsFunc(DaemonSetFields),
			Default:    defaulters["DaemonSet"],
		},
		{
			Kind:       "ControllerRevision",
			Resource:   "controllerrevisions",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &ControllerRevision{} },
			NewList:    func() meta.ListObject { return &ControllerRevisionList{} },
			Fields:     meta.FieldsFunc(ControllerRevisionFields),
			Default:    defaulters["ControllerRevision"],
		},
	}
}
