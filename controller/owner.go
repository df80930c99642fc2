package controller

import (
	"encoding/json"

	"github.com/longshore/longshore/api/meta"
)

// ControllerRefPatch returns the JSON merge patch that adopts obj (adds
// owner's controller reference, of kind ownerKind) or releases it
// (removes every reference to owner), keeping obj's other owner
// references. The patch carries obj's uid and resourceVersion, so the API
// server applies it only to the very object the caller saw: a stale view
// fails with a conflict instead of adopting a recreated namesake. This is
// how the replicaset and deployment controllers adopt and release.
func ControllerRefPatch(obj, owner *meta.ObjectMeta, ownerKind meta.GroupVersionKind, adopt bool) ([]byte, error) {
	var refs []meta.OwnerReference
	for _, ref := range obj.OwnerReferences {
		if ref.UID != owner.UID {
			refs = append(refs, ref)
		}
	}
	if adopt {
		refs = append(refs, *meta.NewControllerRef(owner, ownerKind))
	}
	md := map[string]any{"uid": obj.UID, "resourceVersion": obj.ResourceVersion, "ownerReferences": refs}
	if len(refs) == 0 {
		md["ownerReferences"] = nil
	}
	return json.Marshal(map[string]any{"metadata": md})
}
