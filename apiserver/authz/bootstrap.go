package authz

import (
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/apiserver/authn"
)

// Well-known identities of Longshore's components, as Kubernetes names
// them.
const (
	UserKubeScheduler         = "system:kube-scheduler"
	UserKubeControllerManager = "system:kube-controller-manager"
	UserKubeProxy             = "system:kube-proxy"
	UserAPIServer             = "system:apiserver"
)

func rule(verbs, groups, resources []string) rbac.PolicyRule {
	return rbac.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
	allVerbs   = []string{"*"}
	core       = []string{""}
)

func bootstrapLabels() map[string]string {
	return map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
}

// BootstrapPolicy returns the ClusterRoles and ClusterRoleBindings the API
// server creates when they are missing: cluster-admin for system:masters,
// discovery and public info for everyone, and roles for the control plane
// components and kubelets.
func BootstrapPolicy() ([]*rbac.ClusterRole, []*rbac.ClusterRoleBinding) {
	role := func(name string, rules ...rbac.PolicyRule) *rbac.ClusterRole {
		return &rbac.ClusterRole{ObjectMeta: meta.ObjectMeta{Name: name, Labels: bootstrapLabels()}, Rules: rules}
	}
	bind := func(name, roleName string, subjects ...rbac.Subject) *rbac.ClusterRoleBinding {
		return &rbac.ClusterRoleBinding{ObjectMeta: meta.ObjectMeta{Name: name, Labels: bootstrapLabels()},
			RoleRef: rbac.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
	}
	group := func(n string) rbac.Subject {
		return rbac.Subject{Kind: rbac.GroupKind, APIGroup: "rbac.authorization.k8s.io", Name: n}
	}
	user := func(n string) rbac.Subject {
		return rbac.Subject{Kind: rbac.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: n}
	}
	all := []string{"*"}
	roles := []*rbac.ClusterRole{
		role("cluster-admin", rule(allVerbs, all, all), rbac.PolicyRule{Verbs: allVerbs, NonResourceURLs: all}),
		role("system:discovery", rbac.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/", "/healthz", "/livez", "/readyz"}}),
		role("system:public-info-viewer", rbac.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/livez", "/readyz", "/version", "/version/"}}),
		role("system:basic-user", rule([]string{"create"}, []string{"authorization.k8s.io"}, []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"})),
		role("view",
			rule(readVerbs, core, []string{"pods", "pods/log", "pods/status", "services", "services/status", "endpoints", "configmaps", "persistentvolumeclaims", "serviceaccounts", "events", "namespaces", "namespaces/status"}),
			rule(readVerbs, []string{"apps"}, []string{"deployments", "replicasets", "statefulsets", "daemonsets", "deployments/scale", "replicasets/scale", "statefulsets/scale"}),
			rule(readVerbs, []string{"networking.k8s.io"}, []string{"networkpolicies"}),
			rule(readVerbs, []string{"coordination.k8s.io"}, []string{"leases"})),
		role("edit",
			rule(append(readVerbs, writeVerbs...), core, []string{"pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts", "events"}),
			rule(append(readVerbs, writeVerbs...), []string{"apps"}, []string{"deployments", "replicasets", "statefulsets", "daemonsets", "deployments/scale", "replicasets/scale", "statefulsets/scale", "deployments/rollback"}),
			rule(append(readVerbs, writeVerbs...), []string{"networking.k8s.io"}, []string{"networkpolicies"}),
			rule(readVerbs, core, []string{"namespaces"})),
		role("admin",
			rule(allVerbs, core, []string{"pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts", "events"}),
			rule(allVerbs, []string{"apps"}, all),
			rule(allVerbs, []string{"networking.k8s.io"}, []string{"networkpolicies"}),
			rule(allVerbs, []string{"rbac.authorization.k8s.io"}, []string{"roles", "rolebindings"}),
			rule(readVerbs, core, []string{"namespaces"})),
		role("system:node",
			rule(append(readVerbs, "create", "update", "patch", "delete"), core, []string{"nodes", "nodes/status", "pods", "pods/status", "events"}),
			rule(readVerbs, core, []string{"services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims", "persistentvolumes", "namespaces"}),
			rule([]string{"create"}, core, []string{"serviceaccounts/token"}),
			rule(append(readVerbs, "create", "update", "patch", "delete"), []string{"coordination.k8s.io"}, []string{"leases"})),
		role("system:kube-scheduler",
			rule(readVerbs, core, []string{"pods", "nodes", "namespaces", "persistentvolumeclaims", "persistentvolumes", "services", "replicationcontrollers"}),
			rule(readVerbs, []string{"apps"}, []string{"replicasets", "statefulsets"}),
			rule([]string{"create"}, core, []string{"pods/binding", "bindings", "events"}),
			rule([]string{"update", "patch"}, core, []string{"pods/status"}),
			rule([]string{"delete"}, core, []string{"pods"}),
			rule(append(readVerbs, "create", "update"), []string{"coordination.k8s.io"}, []string{"leases"}),
			rule(readVerbs, []string{"scheduling.k8s.io"}, []string{"priorityclasses"})),
		role("system:kube-controller-manager", rule(allVerbs, all, all)),
		role("system:node-proxier",
			rule(readVerbs, core, []string{"services", "endpoints", "nodes"}),
			rule([]string{"create", "patch", "update"}, core, []string{"events"})),
	}
	bindings := []*rbac.ClusterRoleBinding{
		bind("cluster-admin", "cluster-admin", group(authn.GroupMasters)),
		bind("system:discovery", "system:discovery", group(authn.GroupAuthenticated)),
		bind("system:public-info-viewer", "system:public-info-viewer", group(authn.GroupAuthenticated), group(authn.GroupUnauthenticated)),
		bind("system:basic-user", "system:basic-user", group(authn.GroupAuthenticated)),
		bind("system:node", "system:node", group(authn.GroupNodes)),
		bind("system:kube-scheduler", "system:kube-scheduler", user(UserKubeScheduler)),
		bind("system:kube-controller-manager", "system:kube-controller-manager", user(UserKubeControllerManager)),
		bind("system:node-proxier", "system:node-proxier", user(UserKubeProxy)),
	}
	return roles, bindings
}
