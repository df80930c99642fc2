package api

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/internal/deepcopytest"
)

func TestDeepCopyEveryKind(t *testing.T) {
	kinds := Builtin().Kinds()
	if len(kinds) < 20 {
		t.Fatalf("only %d kinds registered", len(kinds))
	}
	for _, k := range kinds {
		t.Run(k.GVK.String(), func(t *testing.T) {
			deepcopytest.Check(t, k.New, func(o meta.Object) meta.Object { return o.DeepCopyObject() })
			if k.HasList() {
				deepcopytest.Check(t, k.NewList, func(l meta.ListObject) meta.ListObject { return l.DeepCopyList() })
			}
		})
	}
}

func TestListItems(t *testing.T) {
	for _, k := range Builtin().Kinds() {
		if !k.HasList() {
			continue
		}
		t.Run(k.GVK.Kind, func(t *testing.T) {
			l := k.NewList()
			deepcopytest.Fill(l, 3)
			items := l.GetItems()
			if len(items) != 2 {
				t.Fatalf("got %d items", len(items))
			}
			// GetItems returns pointers into the list.
			items[0].GetObjectMeta().Name = "changed"
			if l.GetItems()[0].GetObjectMeta().Name != "changed" {
				t.Error("GetItems returned copies")
			}
			if err := l.SetItems([]meta.Object{k.New(), k.New(), k.New()}); err != nil || len(l.GetItems()) != 3 {
				t.Errorf("SetItems: %v, %d items", err, len(l.GetItems()))
			}
			other := &core.ConfigMap{}
			if k.GVK.Kind == "ConfigMap" {
				other2 := &core.Secret{}
				if err := l.SetItems([]meta.Object{other2}); !errors.Is(err, meta.ErrWrongItemType) {
					t.Errorf("wrong item type: got %v", err)
				}
				return
			}
			if err := l.SetItems([]meta.Object{other}); !errors.Is(err, meta.ErrWrongItemType) {
				t.Errorf("wrong item type: got %v", err)
			}
		})
	}
}

func TestSchemeLookups(t *testing.T) {
	s := Builtin()
	tests := []struct {
		name string
		want []string // GVK strings
	}{
		{"pods", []string{"v1, Kind=Pod"}},
		{"po", []string{"v1, Kind=Pod"}},
		{"Pod", []string{"v1, Kind=Pod"}},
		{"deploy", []string{"apps/v1, Kind=Deployment"}},
		{"deployments.apps", []string{"apps/v1, Kind=Deployment"}},
		{"deployments.core", nil},
		{"netpol", []string{"networking.k8s.io/v1, Kind=NetworkPolicy"}},
		{"leases", []string{"coordination.k8s.io/v1, Kind=Lease"}},
		{"clusterrolebindings", []string{"rbac.authorization.k8s.io/v1, Kind=ClusterRoleBinding"}},
		{"scale", []string{"autoscaling/v1, Kind=Scale"}},
		{"gadgets", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range s.ByName(tt.name) {
				got = append(got, k.GVK.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ByName(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}

	k, err := s.ByResource(meta.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"})
	if err != nil || k.GVK.Kind != "StatefulSet" || !k.Namespaced {
		t.Errorf("ByResource: %v %+v", err, k)
	}
	if _, err := s.ByResource(meta.GroupVersionResource{Version: "v1", Resource: "statefulsets"}); !errors.Is(err, ErrUnknownResource) {
		t.Errorf("ByResource in the wrong group: %v", err)
	}
	if k, err := s.ByGVK(meta.GroupVersionKind{Version: "v1", Kind: "Node"}); err != nil || k.Namespaced || k.GVR.Resource != "nodes" {
		t.Errorf("ByGVK Node: %v %+v", err, k)
	}
	if k, err := s.ByListGVK(meta.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSetList"}); err != nil || k.GVK.Kind != "DaemonSet" {
		t.Errorf("ByListGVK: %v", err)
	}
	if got := s.ByKind("secret"); len(got) != 1 || got[0].GVR.Resource != "secrets" {
		t.Errorf("ByKind: %v", got)
	}
	if k, err := s.ForObject(&apps.ReplicaSet{}); err != nil || k.GVR.Resource != "replicasets" {
		t.Errorf("ForObject: %v", err)
	}
	if k, err := s.ForList(&core.EventList{}); err != nil || k.GVK.Kind != "Event" {
		t.Errorf("ForList: %v", err)
	}
	pod := s.ByKind("Pod")[0].New()
	if pod.GetTypeMeta().APIVersion != "v1" || pod.GetTypeMeta().Kind != "Pod" {
		t.Errorf("New did not set TypeMeta: %+v", pod.GetTypeMeta())
	}
	if l := s.ByKind("Pod")[0].NewList(); l.GetTypeMeta().Kind != "PodList" {
		t.Errorf("NewList TypeMeta: %+v", l.GetTypeMeta())
	}
	if l := s.ByKind("Binding")[0].NewList(); l != nil {
		t.Errorf("Binding has no list, got %T", l)
	}
}

func TestSchemeRegistration(t *testing.T) {
	s := NewScheme()
	gv := meta.GroupVersion{Group: "example.com", Version: "v1"}
	info := meta.KindInfo{Kind: "Pod", Resource: "pods", New: func() meta.Object { return &core.Pod{} }}
	if err := s.AddKinds(gv, []meta.KindInfo{info}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddKinds(gv, []meta.KindInfo{info}); !errors.Is(err, ErrDuplicateKind) {
		t.Errorf("duplicate: got %v", err)
	}
	if err := s.AddKinds(gv, []meta.KindInfo{{Kind: "NoNew"}}); err == nil {
		t.Error("a kind without New was accepted")
	}
	gvk := gv.WithKind("Pod")
	var called int
	if err := s.SetDefaulter(gvk, func(o meta.Object) { called++; o.(*core.Pod).Spec.SchedulerName = "x" }); err != nil {
		t.Fatal(err)
	}
	k, _ := s.ByGVK(gvk)
	p := k.New()
	k.Default(p)
	if called != 1 || p.(*core.Pod).Spec.SchedulerName != "x" {
		t.Errorf("defaulter not run: %d", called)
	}
	if err := s.SetDefaulter(gv.WithKind("Nope"), nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("SetDefaulter unknown: %v", err)
	}
}

func TestSelectableFields(t *testing.T) {
	s := Builtin()
	pod := &core.Pod{}
	pod.Name, pod.Namespace = "p", "ns"
	pod.Spec.NodeName = "n1"
	pod.Spec.HostNetwork = true
	pod.Status.Phase = core.PodRunning
	pod.Status.PodIPs = []core.PodIP{{IP: "198.18.0.1"}, {IP: "2001:db8::1"}}
	k, _ := s.ForObject(pod)
	got := k.Fields(pod)
	want := map[string]string{
		"metadata.name": "p", "metadata.namespace": "ns", "spec.nodeName": "n1", "spec.restartPolicy": "",
		"spec.schedulerName": "", "spec.serviceAccountName": "", "spec.hostNetwork": "true",
		"status.phase": "Running", "status.podIP": "198.18.0.1", "status.podIPs": "198.18.0.1,2001:db8::1",
		"status.nominatedNodeName": "",
	}
	if !reflect.DeepEqual(map[string]string(got), want) {
		t.Errorf("pod fields %v, want %v", got, want)
	}

	tests := []struct {
		obj  meta.Object
		want map[string]string
	}{
		{&core.Node{ObjectMeta: meta.ObjectMeta{Name: "n"}, Spec: core.NodeSpec{Unschedulable: true}},
			map[string]string{"metadata.name": "n", "spec.unschedulable": "true"}},
		{&core.Namespace{ObjectMeta: meta.ObjectMeta{Name: "a"}, Status: core.NamespaceStatus{Phase: core.NamespaceActive}},
			map[string]string{"metadata.name": "a", "status.phase": "Active"}},
		{&core.Secret{ObjectMeta: meta.ObjectMeta{Name: "s", Namespace: "d"}, Type: core.SecretTypeTLS},
			map[string]string{"metadata.name": "s", "metadata.namespace": "d", "type": "kubernetes.io/tls"}},
		{&apps.ReplicaSet{ObjectMeta: meta.ObjectMeta{Name: "r", Namespace: "d"}, Status: apps.ReplicaSetStatus{Replicas: 3}},
			map[string]string{"metadata.name": "r", "metadata.namespace": "d", "status.replicas": "3"}},
		{&core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: "c", Namespace: "d"}},
			map[string]string{"metadata.name": "c", "metadata.namespace": "d"}},
		{&core.PersistentVolume{ObjectMeta: meta.ObjectMeta{Name: "pv"}},
			map[string]string{"metadata.name": "pv"}},
	}
	for _, tt := range tests {
		t.Run(reflect.TypeOf(tt.obj).Elem().Name(), func(t *testing.T) {
			k, err := s.ForObject(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Fields(tt.obj); !reflect.DeepEqual(map[string]string(got), tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	ev := &core.Event{ReportingComponent: "kubelet", Reason: "Pulled", Type: "Normal"}
	ev.InvolvedObject = core.ObjectReference{Kind: "Pod", Name: "p", Namespace: "d", UID: "u"}
	k, _ = s.ForObject(ev)
	f := k.Fields(ev)
	if f["source"] != "kubelet" || f["involvedObject.uid"] != "u" || f["reason"] != "Pulled" || f["involvedObject.kind"] != "Pod" {
		t.Errorf("event fields %v", f)
	}
}

func TestFieldLabels(t *testing.T) {
	s := Builtin()
	tests := []struct {
		kind string
		want []string
	}{
		{"Node", []string{"metadata.name", "spec.unschedulable"}},
		{"ConfigMap", []string{"metadata.name", "metadata.namespace"}},
		{"Pod", []string{"metadata.name", "metadata.namespace", "spec.hostNetwork", "spec.nodeName", "spec.restartPolicy",
			"spec.schedulerName", "spec.serviceAccountName", "status.nominatedNodeName", "status.phase", "status.podIP", "status.podIPs"}},
		{"ClusterRole", []string{"metadata.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if got := s.ByKind(tt.kind)[0].FieldLabels(); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKindsConsistent(t *testing.T) {
	clusterScoped := map[string]bool{"Node": true, "Namespace": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
		"PriorityClass": true, "CustomResourceDefinition": true}
	for _, k := range Builtin().Kinds() {
		t.Run(k.GVK.String(), func(t *testing.T) {
			obj := k.New()
			if name := reflect.TypeOf(obj).Elem().Name(); name != k.GVK.Kind {
				t.Errorf("New returns %s", name)
			}
			if k.Namespaced == clusterScoped[k.GVK.Kind] {
				t.Errorf("namespaced = %v", k.Namespaced)
			}
			if k.HasList() {
				if name := reflect.TypeOf(k.NewList()).Elem().Name(); name != k.GVK.Kind+"List" {
					t.Errorf("NewList returns %s", name)
				}
			}
			plural := strings.ToLower(k.GVK.Kind) + "s"
			if strings.HasSuffix(k.GVK.Kind, "s") {
				plural = strings.ToLower(k.GVK.Kind) + "es"
			}
			if k.GVR.Resource != "" && k.GVR.Resource != plural && !strings.HasSuffix(k.GVR.Resource, "ies") && k.GVK.Kind != "Endpoints" {
				t.Errorf("resource %q for kind %s", k.GVR.Resource, k.GVK.Kind)
			}
			labels := k.FieldLabels()
			if !slices.Contains(labels, "metadata.name") || slices.Contains(labels, "metadata.namespace") != k.Namespaced {
				t.Errorf("field labels %q", labels)
			}
			// Encode and decode an empty object of the kind.
			b, err := Encode(obj)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(b, DecodeOptions{Strict: true})
			if err != nil || reflect.TypeOf(back) != reflect.TypeOf(obj) {
				t.Errorf("decode %s: %v", b, err)
			}
		})
	}
}
