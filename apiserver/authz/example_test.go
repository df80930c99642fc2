package authz_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/authz"
)

func ExampleRuleAllows() {
	rule := rbac.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	user := &authn.User{Name: "dev"}
	fmt.Println(authz.RuleAllows(authz.Attributes{User: user, IsResourceRequest: true, Verb: "list", Resource: "pods"}, &rule))
	fmt.Println(authz.RuleAllows(authz.Attributes{User: user, IsResourceRequest: true, Verb: "delete", Resource: "pods"}, &rule))
	// Output:
	// true
	// false
}

func ExampleChain() {
	denyDelete := authz.AuthorizerFunc(func(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
		if a.Verb == "delete" {
			return authz.Deny, "deletes are frozen", nil
		}
		return authz.NoOpinion, "", nil
	})
	chain := authz.Chain{denyDelete, authz.AlwaysAllow}
	d, reason, _ := chain.Authorize(context.Background(), authz.Attributes{Verb: "delete"})
	fmt.Println(d == authz.Deny, reason)
	// Output: true deletes are frozen
}
