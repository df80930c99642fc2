package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/apiserver/authn"
)

// RuleSource gives RBAC the roles and bindings to evaluate. The API server
// implements it from its watch cache; tests use a static one.
type RuleSource interface {
	ClusterRoleBindings(ctx context.Context) ([]*rbac.ClusterRoleBinding, error)
	RoleBindings(ctx context.Context, namespace string) ([]*rbac.RoleBinding, error)
	ClusterRole(ctx context.Context, name string) (*rbac.ClusterRole, error)
	Role(ctx context.Context, namespace, name string) (*rbac.Role, error)
}

// RBAC authorizes requests with Kubernetes' role-based access control:
// ClusterRoleBindings grant a ClusterRole's rules everywhere, RoleBindings
// grant a Role's (or a ClusterRole's) rules in their namespace. Members of
// system:masters may do everything. RBAC only allows; it never denies, so
// the request is forbidden when no rule matches.
type RBAC struct {
	Source RuleSource
}

// Authorize implements Authorizer.
func (r *RBAC) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	if a.User == nil {
		return NoOpinion, "no user", nil
	}
	for _, g := range a.User.Groups {
		if g == authn.GroupMasters {
			return Allow, "", nil
		}
	}
	crbs, err := r.Source.ClusterRoleBindings(ctx)
	if err != nil {
		return NoOpinion, "", err
	}
	for _, b := range crbs {
		if !appliesTo(a.User, b.Subjects, "") {
			continue
		}
		rules, err := r.rules(ctx, "", b.RoleRef)
		if err != nil || rules == nil {
			continue
		}
		if allowed(a, rules) {
			return Allow, fmt.Sprintf("RBAC: allowed by ClusterRoleBinding %q of ClusterRole %q", b.Name, b.RoleRef.Name), nil
		}
	}
	if a.IsResourceRequest && a.Namespace != "" {
		rbs, err := r.Source.RoleBindings(ctx, a.Namespace)
		if err != nil {
			return NoOpinion, "", err
		}
		for _, b := range rbs {
			if !appliesTo(a.User, b.Subjects, b.Namespace) {
				continue
			}
			rules, err := r.rules(ctx, b.Namespace, b.RoleRef)
			if err != nil || rules == nil {
				continue
			}
			if allowed(a, rules) {
				return Allow, fmt.Sprintf("RBAC: allowed by RoleBinding %q of %s %q to %s", b.Name, b.RoleRef.Kind, b.RoleRef.Name, a.User.Name), nil
			}
		}
	}
	return NoOpinion, "", nil
}

func (r *RBAC) rules(ctx context.Context, namespace string, ref rbac.RoleRef) ([]rbac.PolicyRule, error) {
	switch ref.Kind {
	case "ClusterRole":
		cr, err := r.Source.ClusterRole(ctx, ref.Name)
		if err != nil || cr == nil {
			return nil, err
		}
		return cr.Rules, nil
	case "Role":
		if namespace == "" {
			return nil, nil
		}
		role, err := r.Source.Role(ctx, namespace, ref.Name)
		if err != nil || role == nil {
			return nil, err
		}
		return role.Rules, nil
	}
	return nil, nil
}

// SubjectsInclude reports whether a binding's subjects include the user;
// bindingNamespace defaults a ServiceAccount subject's namespace.
func SubjectsInclude(u *authn.User, subjects []rbac.Subject, bindingNamespace string) bool {
	return appliesTo(u, subjects, bindingNamespace)
}

func appliesTo(u *authn.User, subjects []rbac.Subject, bindingNamespace string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbac.UserKind:
			if s.Name == u.Name {
				return true
			}
		case rbac.GroupKind:
			for _, g := range u.Groups {
				if g == s.Name {
					return true
				}
			}
		case rbac.ServiceAccountKind:
			ns := s.Namespace
			if ns == "" {
				ns = bindingNamespace
			}
			if ns != "" && u.Name == authn.ServiceAccountUsername(ns, s.Name) {
				return true
			}
		}
	}
	return false
}

func allowed(a Attributes, rules []rbac.PolicyRule) bool {
	for i := range rules {
		if RuleAllows(a, &rules[i]) {
			return true
		}
	}
	return false
}

// RuleAllows reports whether one policy rule allows the request.
func RuleAllows(a Attributes, r *rbac.PolicyRule) bool {
	if !matchesAny(r.Verbs, a.Verb) {
		return false
	}
	if !a.IsResourceRequest {
		for _, u := range r.NonResourceURLs {
			if u == rbac.NonResourceAll || u == a.Path || strings.HasSuffix(u, "*") && strings.HasPrefix(a.Path, strings.TrimSuffix(u, "*")) {
				return true
			}
		}
		return false
	}
	if !matchesAny(r.APIGroups, a.APIGroup) {
		return false
	}
	resource := a.Resource
	if a.Subresource != "" {
		resource += "/" + a.Subresource
	}
	ok := false
	for _, res := range r.Resources {
		if res == rbac.ResourceAll || res == resource ||
			(a.Subresource != "" && res == "*/"+a.Subresource) ||
			(a.Subresource == "" && res == a.Resource) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if len(r.ResourceNames) == 0 {
		return true
	}
	return a.Name != "" && matchesAny(r.ResourceNames, a.Name)
}

func matchesAny(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}
