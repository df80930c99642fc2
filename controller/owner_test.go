package controller_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/controller"
)

func TestControllerRefPatch(t *testing.T) {
	kind := apps.SchemeGroupVersion.WithKind("ReplicaSet")
	owner := &meta.ObjectMeta{Name: "web", UID: "rs-uid"}
	other := meta.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "keep", UID: "cm-uid"}
	type metadata struct {
		UID             string                 `json:"uid"`
		ResourceVersion string                 `json:"resourceVersion"`
		OwnerReferences *[]meta.OwnerReference `json:"ownerReferences"`
	}
	decode := func(t *testing.T, b []byte) metadata {
		t.Helper()
		var p struct {
			Metadata metadata `json:"metadata"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return p.Metadata
	}

	t.Run("adopt keeps other owners", func(t *testing.T) {
		obj := &meta.ObjectMeta{Name: "pod", UID: "pod-uid", ResourceVersion: "7", OwnerReferences: []meta.OwnerReference{other}}
		b, err := controller.ControllerRefPatch(obj, owner, kind, true)
		if err != nil {
			t.Fatal(err)
		}
		md := decode(t, b)
		if md.UID != "pod-uid" || md.ResourceVersion != "7" {
			t.Errorf("patch not guarded by uid and resourceVersion: %s", b)
		}
		want := []meta.OwnerReference{other, *meta.NewControllerRef(owner, kind)}
		if md.OwnerReferences == nil || !reflect.DeepEqual(*md.OwnerReferences, want) {
			t.Errorf("ownerReferences = %+v, want %+v", md.OwnerReferences, want)
		}
	})
	t.Run("adopt twice does not duplicate", func(t *testing.T) {
		obj := &meta.ObjectMeta{UID: "pod-uid", OwnerReferences: []meta.OwnerReference{*meta.NewControllerRef(owner, kind)}}
		b, err := controller.ControllerRefPatch(obj, owner, kind, true)
		if err != nil {
			t.Fatal(err)
		}
		if md := decode(t, b); md.OwnerReferences == nil || len(*md.OwnerReferences) != 1 {
			t.Errorf("ownerReferences = %+v, want one", md.OwnerReferences)
		}
	})
	t.Run("release of the last owner clears the field", func(t *testing.T) {
		obj := &meta.ObjectMeta{UID: "pod-uid", OwnerReferences: []meta.OwnerReference{*meta.NewControllerRef(owner, kind)}}
		b, err := controller.ControllerRefPatch(obj, owner, kind, false)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		v, ok := raw["metadata"]["ownerReferences"]
		if !ok || v != nil {
			t.Errorf("ownerReferences = %v (present %v), want an explicit null", v, ok)
		}
	})
}
