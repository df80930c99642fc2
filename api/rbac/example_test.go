package rbac_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/rbac"
)

// Grant a service account read access to pods in its namespace.
func ExampleRoleBinding() {
	rb := rbac.RoleBinding{
		ObjectMeta: meta.ObjectMeta{Name: "read-pods", Namespace: "default"},
		Subjects:   []rbac.Subject{{Kind: rbac.ServiceAccountKind, Name: "web", Namespace: "default"}},
		RoleRef:    rbac.RoleRef{APIGroup: rbac.GroupName, Kind: "Role", Name: "pod-reader"},
	}
	b, _ := json.Marshal(struct {
		Subjects []rbac.Subject `json:"subjects"`
		RoleRef  rbac.RoleRef   `json:"roleRef"`
	}{rb.Subjects, rb.RoleRef})
	fmt.Println(string(b))
	// Output:
	// {"subjects":[{"kind":"ServiceAccount","name":"web","namespace":"default"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"}}
}
