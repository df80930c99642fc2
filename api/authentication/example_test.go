package authentication_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/authentication"
)

// A token request for a token bound to a pod, as the kubelet sends it.
func ExampleNewTokenRequest() {
	tr := authentication.NewTokenRequest()
	exp := int64(3600)
	tr.Spec.Audiences = []string{"vault"}
	tr.Spec.ExpirationSeconds = &exp
	tr.Spec.BoundObjectRef = &authentication.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web-0", UID: "u-1"}
	data, _ := json.Marshal(tr.Spec)
	fmt.Println(tr.APIVersion, tr.Kind)
	fmt.Println(string(data))
	// Output:
	// authentication.k8s.io/v1 TokenRequest
	// {"audiences":["vault"],"expirationSeconds":3600,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web-0","uid":"u-1"}}
}
