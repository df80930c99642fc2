package core

import "github.com/longshore/longshore/api/meta"

// GroupName is the API group of this package (the core group).
const GroupName = ""

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
			Kind:       "Pod",
			Resource:   "pods",
			Namespaced: true,
			ShortNames: []string{"po"},
			New:        func() meta.Object { return &Pod{} },
			NewList:    func() meta.ListObject { return &PodList{} },
			Fields:     meta.FieldsFunc(PodFields),
			Default:    defaulters["Pod"],
		},
		{
			Kind:       "Node",
			Resource:   "nodes",
			Namespaced: false,
			ShortNames: []string{"no"},
			New:        func() meta.Object { return &Node{} },
			NewList:    func() meta.ListObject { return &NodeList{} },
			Fields:     meta.FieldsFunc(NodeFields),
			Default:    defaulters["Node"],
		},
		{
			Kind:       "Service",
			Resource:   "services",
			Namespaced: true,
			ShortNames: []string{"svc"},
			New:        func() meta.Object { return &Service{} },
			NewList:    func() meta.ListObject { return &ServiceList{} },
			Fields:     meta.FieldsFunc(ServiceFields),
			Default:    defaulters["Service"],
		},
		{
			Kind:       "Endpoints",
			Resource:   "endpoints",
			Namespaced: true,
			ShortNames: []string{"ep"},
			New:        func() meta.Object { return &Endpoints{} },
			NewList:    func() meta.ListObject { return &EndpointsList{} },
			Fields:     meta.FieldsFunc(EndpointsFields),
			Default:    defaulters["Endpoints"],
		},
		{
			Kind:       "Namespace",
			Resource:   "namespaces",
			Namespaced: false,
			ShortNames: []string{"ns"},
			New:        func() meta.Object { return &Namespace{} },
			NewList:    func() meta.ListObject { return &NamespaceList{} },
			Fields:     meta.FieldsFunc(NamespaceFields),
			Default:    defaulters["Namespace"],
		},
		{
			Kind:       "ConfigMap",
			Resource:   "configmaps",
			Namespaced: true,
			ShortNames: []string{"cm"},
			New:        func() meta.Object { return &ConfigMap{} },
			NewList:    func() meta.ListObject { return &ConfigMapList{} },
			Fields:     meta.FieldsFunc(ConfigMapFields),
			Default:    defaulters["ConfigMap"],
		},
		{
			Kind:       "Secret",
			Resource:   "secrets",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &Secret{} },
			NewList:    func() meta.ListObject { return &SecretList{} },
			Fields:     meta.FieldsFunc(SecretFields),
			Default:    defaulters["Secret"],
		},
		{
			Kind:       "ServiceAccount",
			Resource:   "serviceaccounts",
			Namespaced: true,
			ShortNames: []string{"sa"},
			New:        func() meta.Object { return &ServiceAccount{} },
			NewList:    func() meta.ListObject { return &ServiceAccountList{} },
			Fields:     meta.FieldsFunc(ServiceAccountFields),
			Default:    defaulters["ServiceAccount"],
		},
		{
			Kind:       "Event",
			Resource:   "events",
			Namespaced: true,
			ShortNames: []string{"ev"},
			New:        func() meta.Object { return &Event{} },
			NewList:    func() meta.ListObject { return &EventList{} },
			Fields:     meta.FieldsFunc(EventFields),
			Default:    defaulters["Event"],
		},
		{
			Kind:       "PersistentVolume",
			Resource:   "persistentvolumes",
			Namespaced: false,
			ShortNames: []string{"pv"},
			New:        func() meta.Object { return &PersistentVolume{} },
			NewList:    func() meta.ListObject { return &PersistentVolumeList{} },
			Fields:     meta.FieldsFunc(PersistentVolumeFields),
			Default:    defaulters["PersistentVolume"],
		},
		{
			Kind:       "PersistentVolumeClaim",
			Resource:   "persistentvolumeclaims",
			Namespaced: true,
			ShortNames: []string{"pvc"},
			New:        func() meta.Object { return &PersistentVolumeClaim{} },
			NewList:    func() meta.ListObject { return &PersistentVolumeClaimList{} },
			Fields:     meta.FieldsFunc(PersistentVolumeClaimFields),
			Default:    defaulters["PersistentVolumeClaim"],
		},
		{
			Kind:       "Binding",
			Resource:   "bindings",
			Namespaced: true,
			ShortNames: nil,
			New:        func() meta.Object { return &Binding{} },
			NewList:    nil,
			Fields:     meta.FieldsFunc(BindingFields),
			Default:    defaulters["Binding"],
		},
	}
}
