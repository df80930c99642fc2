package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/authz"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
)

// rbacSource reads roles and bindings from the server's watch cache, so an
// authorization check costs no store read.
type rbacSource struct{ s *Server }

var (
	gvrClusterRoles        = meta.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	gvrClusterRoleBindings = meta.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
	gvrRoles               = meta.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}
	gvrRoleBindings        = meta.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}
)

func cachedList[T meta.Object](ctx context.Context, s *Server, gvr meta.GroupVersionResource, namespace string) ([]T, error) {
	res, ok := s.lookup(gvr)
	if !ok {
		return nil, fmt.Errorf("%s not served", gvr)
	}
	l, err := res.store.List(ctx, res.listPrefix(namespace), storage.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(l.Items))
	for _, e := range l.Items {
		obj, err := objectOf[T](e)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

// objectOf returns e's object (shared and read-only) as a T, or an
// internal error if it cannot be decoded or is not a T.
func objectOf[T meta.Object](e *storage.Entry) (T, error) {
	var zero T
	obj, err := e.Object()
	if err != nil {
		return zero, apierror.NewInternal(err)
	}
	t, ok := obj.(T)
	if !ok {
		return zero, apierror.NewInternal(fmt.Errorf("%s holds a %T, not a %T", e.Key, obj, zero))
	}
	return t, nil
}

func cachedGet[T meta.Object](ctx context.Context, s *Server, gvr meta.GroupVersionResource, namespace, name string) (T, error) {
	var zero T
	res, ok := s.lookup(gvr)
	if !ok {
		return zero, fmt.Errorf("%s not served", gvr)
	}
	e, err := res.store.Get(ctx, res.key(namespace, name), "0")
	if errors.Is(err, store.ErrNotFound) {
		return zero, nil
	}
	if err != nil {
		return zero, err
	}
	return objectOf[T](e)
}

func (r rbacSource) ClusterRoleBindings(ctx context.Context) ([]*rbac.ClusterRoleBinding, error) {
	return cachedList[*rbac.ClusterRoleBinding](ctx, r.s, gvrClusterRoleBindings, "")
}

func (r rbacSource) RoleBindings(ctx context.Context, ns string) ([]*rbac.RoleBinding, error) {
	return cachedList[*rbac.RoleBinding](ctx, r.s, gvrRoleBindings, ns)
}

func (r rbacSource) ClusterRole(ctx context.Context, name string) (*rbac.ClusterRole, error) {
	return cachedGet[*rbac.ClusterRole](ctx, r.s, gvrClusterRoles, "", name)
}

func (r rbacSource) Role(ctx context.Context, ns, name string) (*rbac.Role, error) {
	return cachedGet[*rbac.Role](ctx, r.s, gvrRoles, ns, name)
}

// RBAC returns an RBAC authorizer over this server's roles and bindings;
// pass it as Config.Authorizer through a closure, or use
// Config.Authorization = "RBAC".
func (s *Server) RBAC() authz.Authorizer { return &authz.RBAC{Source: rbacSource{s}} }

// bootstrapRBAC creates the default roles and bindings that are missing.
func (s *Server) bootstrapRBAC(ctx context.Context) error {
	roles, bindings := authz.BootstrapPolicy()
	cr, _ := s.lookup(gvrClusterRoles)
	crb, _ := s.lookup(gvrClusterRoleBindings)
	for _, r := range roles {
		if _, err := s.createObject(ctx, cr, "", r, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			return fmt.Errorf("clusterrole %s: %w", r.Name, err)
		}
	}
	for _, b := range bindings {
		if _, err := s.createObject(ctx, crb, "", b, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			return fmt.Errorf("clusterrolebinding %s: %w", b.Name, err)
		}
	}
	return nil
}

// Access reviews (authorization.k8s.io/v1), served but not stored.

// ResourceAttributes describe a resource request to review.
type ResourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

// NonResourceAttributes describe a non-resource request to review.
type NonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

// SelfSubjectAccessReview asks "may I?".
type SelfSubjectAccessReview struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            struct {
		ResourceAttributes    *ResourceAttributes    `json:"resourceAttributes,omitempty"`
		NonResourceAttributes *NonResourceAttributes `json:"nonResourceAttributes,omitempty"`
	} `json:"spec"`
	Status SubjectAccessReviewStatus `json:"status"`
}

// SubjectAccessReviewStatus is the answer.
type SubjectAccessReviewStatus struct {
	Allowed         bool   `json:"allowed"`
	Denied          bool   `json:"denied,omitempty"`
	Reason          string `json:"reason,omitempty"`
	EvaluationError string `json:"evaluationError,omitempty"`
}

// SelfSubjectRulesReview asks "what may I do in this namespace?".
type SelfSubjectRulesReview struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            struct {
		Namespace string `json:"namespace,omitempty"`
	} `json:"spec"`
	Status struct {
		ResourceRules    []rbac.PolicyRule `json:"resourceRules"`
		NonResourceRules []rbac.PolicyRule `json:"nonResourceRules"`
		Incomplete       bool              `json:"incomplete"`
		EvaluationError  string            `json:"evaluationError,omitempty"`
	} `json:"status"`
}

// serveAccessReview handles POST /apis/authorization.k8s.io/v1/selfsubject*reviews.
func (s *Server) serveAccessReview(w http.ResponseWriter, r *http.Request, info *RequestInfo) bool {
	if info.APIGroup != "authorization.k8s.io" || info.APIVersion != "v1" {
		return false
	}
	if info.Resource != "selfsubjectaccessreviews" && info.Resource != "selfsubjectrulesreviews" {
		return false
	}
	if info.Verb != "create" {
		writeError(w, r, apierror.NewMethodNotAllowed("only POST is supported on "+info.Resource))
		return true
	}
	body, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		writeError(w, r, err)
		return true
	}
	user, _ := authn.UserFrom(r.Context())
	if info.Resource == "selfsubjectrulesreviews" {
		var rr SelfSubjectRulesReview
		if err := json.Unmarshal(body, &rr); err != nil {
			writeError(w, r, apierror.NewBadRequest(err.Error()))
			return true
		}
		s.rulesReview(r.Context(), user, &rr)
		rr.TypeMeta = meta.TypeMeta{Kind: "SelfSubjectRulesReview", APIVersion: "authorization.k8s.io/v1"}
		writeJSON(w, r, http.StatusCreated, rr)
		return true
	}
	var rev SelfSubjectAccessReview
	if err := json.Unmarshal(body, &rev); err != nil {
		writeError(w, r, apierror.NewBadRequest(err.Error()))
		return true
	}
	attrs := authz.Attributes{User: user}
	switch {
	case rev.Spec.ResourceAttributes != nil:
		ra := rev.Spec.ResourceAttributes
		attrs.IsResourceRequest = true
		attrs.Verb, attrs.Namespace, attrs.APIGroup, attrs.APIVersion = ra.Verb, ra.Namespace, ra.Group, ra.Version
		attrs.Resource, attrs.Subresource, attrs.Name = ra.Resource, ra.Subresource, ra.Name
	case rev.Spec.NonResourceAttributes != nil:
		attrs.Verb, attrs.Path = rev.Spec.NonResourceAttributes.Verb, rev.Spec.NonResourceAttributes.Path
	default:
		writeError(w, r, apierror.NewInvalid("SelfSubjectAccessReview", "authorization.k8s.io", "", []meta.StatusCause{{
			Type: meta.CauseTypeFieldValueRequired, Field: "spec", Message: "exactly one of nonResourceAttributes or resourceAttributes must be specified"}}))
		return true
	}
	az := s.cfg.Authorizer
	if az == nil {
		az = authz.AlwaysAllow
	}
	d, reason, err := az.Authorize(r.Context(), attrs)
	rev.Status = SubjectAccessReviewStatus{Allowed: d == authz.Allow, Denied: d == authz.Deny, Reason: reason}
	if err != nil {
		rev.Status.EvaluationError = err.Error()
	}
	rev.TypeMeta = meta.TypeMeta{Kind: "SelfSubjectAccessReview", APIVersion: "authorization.k8s.io/v1"}
	writeJSON(w, r, http.StatusCreated, rev)
	return true
}

// rulesReview lists the RBAC rules that apply to user in a namespace.
func (s *Server) rulesReview(ctx context.Context, user *authn.User, rr *SelfSubjectRulesReview) {
	src := rbacSource{s}
	add := func(rules []rbac.PolicyRule) {
		for _, r := range rules {
			if len(r.NonResourceURLs) > 0 {
				rr.Status.NonResourceRules = append(rr.Status.NonResourceRules, r)
			} else {
				rr.Status.ResourceRules = append(rr.Status.ResourceRules, r)
			}
		}
	}
	for _, g := range user.Groups {
		if g == authn.GroupMasters {
			add([]rbac.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, {Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}})
		}
	}
	crbs, err := src.ClusterRoleBindings(ctx)
	if err != nil {
		rr.Status.Incomplete, rr.Status.EvaluationError = true, err.Error()
		return
	}
	for _, b := range crbs {
		if authzAppliesTo(user, b.Subjects, "") {
			if cr, _ := src.ClusterRole(ctx, b.RoleRef.Name); cr != nil {
				add(cr.Rules)
			}
		}
	}
	if rr.Spec.Namespace == "" {
		return
	}
	rbs, err := src.RoleBindings(ctx, rr.Spec.Namespace)
	if err != nil {
		rr.Status.Incomplete, rr.Status.EvaluationError = true, err.Error()
		return
	}
	for _, b := range rbs {
		if !authzAppliesTo(user, b.Subjects, b.Namespace) {
			continue
		}
		if b.RoleRef.Kind == "ClusterRole" {
			if cr, _ := src.ClusterRole(ctx, b.RoleRef.Name); cr != nil {
				add(cr.Rules)
			}
		} else if role, _ := src.Role(ctx, b.Namespace, b.RoleRef.Name); role != nil {
			add(role.Rules)
		}
	}
}

func authzAppliesTo(u *authn.User, subjects []rbac.Subject, ns string) bool {
	return authz.SubjectsInclude(u, subjects, ns)
}
