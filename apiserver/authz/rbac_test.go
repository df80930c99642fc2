package authz

import (
	"context"
	"testing"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/apiserver/authn"
)

type staticSource struct {
	crbs  []*rbac.ClusterRoleBinding
	rbs   []*rbac.RoleBinding
	crs   map[string]*rbac.ClusterRole
	roles map[string]*rbac.Role // "ns/name"
}

func (s *staticSource) ClusterRoleBindings(context.Context) ([]*rbac.ClusterRoleBinding, error) {
	return s.crbs, nil
}
func (s *staticSource) RoleBindings(_ context.Context, ns string) ([]*rbac.RoleBinding, error) {
	var out []*rbac.RoleBinding
	for _, b := range s.rbs {
		if b.Namespace == ns {
			out = append(out, b)
		}
	}
	return out, nil
}
func (s *staticSource) ClusterRole(_ context.Context, n string) (*rbac.ClusterRole, error) {
	return s.crs[n], nil
}
func (s *staticSource) Role(_ context.Context, ns, n string) (*rbac.Role, error) {
	return s.roles[ns+"/"+n], nil
}

func TestRuleAllows(t *testing.T) {
	pods := rbac.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}}
	named := rbac.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}, ResourceNames: []string{"web"}}
	anyStatus := rbac.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*/status"}}
	urls := rbac.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/apis/*"}}
	tests := []struct {
		name string
		rule rbac.PolicyRule
		a    Attributes
		want bool
	}{
		{"verb and resource", pods, Attributes{IsResourceRequest: true, Verb: "list", Resource: "pods"}, true},
		{"wrong verb", pods, Attributes{IsResourceRequest: true, Verb: "delete", Resource: "pods"}, false},
		{"wrong group", pods, Attributes{IsResourceRequest: true, Verb: "get", APIGroup: "apps", Resource: "pods"}, false},
		{"subresource granted", pods, Attributes{IsResourceRequest: true, Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"subresource not granted", pods, Attributes{IsResourceRequest: true, Verb: "get", Resource: "pods", Subresource: "exec"}, false},
		{"resource name match", named, Attributes{IsResourceRequest: true, Verb: "update", APIGroup: "apps", Resource: "deployments", Name: "web"}, true},
		{"resource name mismatch", named, Attributes{IsResourceRequest: true, Verb: "update", APIGroup: "apps", Resource: "deployments", Name: "db"}, false},
		{"resource names need a name", named, Attributes{IsResourceRequest: true, Verb: "update", APIGroup: "apps", Resource: "deployments"}, false},
		{"star subresource", anyStatus, Attributes{IsResourceRequest: true, Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, true},
		{"star subresource is not the main resource", anyStatus, Attributes{IsResourceRequest: true, Verb: "patch", APIGroup: "apps", Resource: "deployments"}, false},
		{"non-resource exact", urls, Attributes{Verb: "get", Path: "/healthz"}, true},
		{"non-resource prefix", urls, Attributes{Verb: "get", Path: "/apis/apps/v1"}, true},
		{"non-resource other", urls, Attributes{Verb: "get", Path: "/metrics"}, false},
		{"resource rule for a path", pods, Attributes{Verb: "get", Path: "/api"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleAllows(tc.a, &tc.rule); got != tc.want {
				t.Fatalf("RuleAllows = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRBACBindings(t *testing.T) {
	reader := &rbac.ClusterRole{ObjectMeta: meta.ObjectMeta{Name: "reader"}, Rules: []rbac.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}
	src := &staticSource{
		crs: map[string]*rbac.ClusterRole{"reader": reader},
		roles: map[string]*rbac.Role{"team/writer": {ObjectMeta: meta.ObjectMeta{Name: "writer", Namespace: "team"},
			Rules: []rbac.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}},
		crbs: []*rbac.ClusterRoleBinding{{ObjectMeta: meta.ObjectMeta{Name: "ops-read"}, RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "reader"},
			Subjects: []rbac.Subject{{Kind: rbac.GroupKind, Name: "ops"}}}},
		rbs: []*rbac.RoleBinding{
			{ObjectMeta: meta.ObjectMeta{Name: "bot-writes", Namespace: "team"}, RoleRef: rbac.RoleRef{Kind: "Role", Name: "writer"},
				Subjects: []rbac.Subject{{Kind: rbac.ServiceAccountKind, Name: "bot"}}},
			{ObjectMeta: meta.ObjectMeta{Name: "dev-reads", Namespace: "team"}, RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "reader"},
				Subjects: []rbac.Subject{{Kind: rbac.UserKind, Name: "dev"}}},
		},
	}
	az := &RBAC{Source: src}
	cm := func(u *authn.User, verb, ns string) Decision {
		d, _, err := az.Authorize(context.Background(), Attributes{User: u, IsResourceRequest: true, Verb: verb, Namespace: ns, Resource: "configmaps"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	opsUser := &authn.User{Name: "x", Groups: []string{"ops"}}
	bot := &authn.User{Name: authn.ServiceAccountUsername("team", "bot")}
	otherBot := &authn.User{Name: authn.ServiceAccountUsername("other", "bot")}
	dev := &authn.User{Name: "dev"}
	admin := &authn.User{Name: "root", Groups: []string{authn.GroupMasters}}
	checks := []struct {
		name string
		got  Decision
		want Decision
	}{
		{"group via cluster binding, any namespace", cm(opsUser, "get", "anywhere"), Allow},
		{"group cannot create", cm(opsUser, "create", "team"), NoOpinion},
		{"service account in its binding's namespace", cm(bot, "create", "team"), Allow},
		{"service account of another namespace", cm(otherBot, "create", "team"), NoOpinion},
		{"role binding only in its namespace", cm(bot, "create", "elsewhere"), NoOpinion},
		{"cluster role through a role binding", cm(dev, "get", "team"), Allow},
		{"cluster role through a role binding, other namespace", cm(dev, "get", "default"), NoOpinion},
		{"masters", cm(admin, "delete", "kube-system"), Allow},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBootstrapPolicyIsConsistent(t *testing.T) {
	roles, bindings := BootstrapPolicy()
	names := map[string]bool{}
	for _, r := range roles {
		names[r.Name] = true
	}
	for _, b := range bindings {
		if !names[b.RoleRef.Name] {
			t.Errorf("binding %s refers to missing role %s", b.Name, b.RoleRef.Name)
		}
	}
}
