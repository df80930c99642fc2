package apiserver

import (
	"encoding/json"
	"fmt"
	"sync"

	k8sapps "k8s.io/api/apps/v1"
	k8sauthn "k8s.io/api/authentication/v1"
	k8sauthz "k8s.io/api/authorization/v1"
	k8sautoscaling "k8s.io/api/autoscaling/v1"
	k8scoordination "k8s.io/api/coordination/v1"
	k8score "k8s.io/api/core/v1"
	k8snetworking "k8s.io/api/networking/v1"
	k8srbac "k8s.io/api/rbac/v1"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8sproto "k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

// Protobuf request bodies are decoded with Kubernetes' own generated types
// (k8s.io/api), then re-encoded as JSON for Longshore's types. Client-go
// clientsets send built-in kinds as protobuf by default (since 1.31), so
// this keeps every client-go program, kubectl included, working; answers
// stay JSON, which those clients accept.

var protoCodec = sync.OnceValue(func() *k8sproto.Serializer {
	sc := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		k8score.AddToScheme, k8sapps.AddToScheme, k8scoordination.AddToScheme, k8snetworking.AddToScheme,
		k8srbac.AddToScheme, k8sautoscaling.AddToScheme, k8sauthz.AddToScheme, k8sauthn.AddToScheme,
	} {
		if err := add(sc); err != nil {
			panic(err) // registering the generated types cannot fail
		}
	}
	// DeleteOptions travel in every group version.
	for _, gv := range sc.PrioritizedVersionsAllGroups() {
		sc.AddKnownTypes(gv, &k8smeta.DeleteOptions{})
	}
	sc.AddKnownTypes(schema.GroupVersion{Version: "v1"}, &k8smeta.DeleteOptions{})
	return k8sproto.NewSerializer(sc, sc)
})

// protobufToJSON converts a Kubernetes protobuf body into the JSON of the
// same object (apiVersion and kind included).
func protobufToJSON(body []byte) ([]byte, error) {
	obj, gvk, err := protoCodec().Decode(body, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("protobuf body: %w", err)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	// Generated types do not carry apiVersion and kind in their JSON unless
	// set; put them back from the envelope.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	av, kind := gvk.ToAPIVersionAndKind()
	m["apiVersion"], _ = json.Marshal(av)
	m["kind"], _ = json.Marshal(kind)
	return json.Marshal(m)
}
