package apiserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/longshore/longshore/apiserver/authn"
)

// authAs authenticates requests from the X-Test-User header (user and
// comma-separated groups), for authorization tests.
var authAs = authn.AuthenticatorFunc(func(r *http.Request) (*authn.User, bool, error) {
	h := r.Header.Get("X-Test-User")
	if h == "" {
		return nil, false, nil
	}
	name, groups, _ := strings.Cut(h, ";")
	u := &authn.User{Name: name, Groups: []string{authn.GroupAuthenticated}}
	if groups != "" {
		u.Groups = append(u.Groups, strings.Split(groups, ",")...)
	}
	return u, true, nil
})

func (ts *testServer) as(t *testing.T, user, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRBACEnforcement(t *testing.T) {
	ts := newTestServer(t, Config{Authenticator: authAs, Authorization: "RBAC"})
	admin := "root;system:masters"
	if code := ts.as(t, "", "GET", "/api/v1/namespaces", ""); code != 401 {
		t.Fatalf("anonymous list: %d, want 401", code)
	}
	if code := ts.as(t, "", "GET", "/healthz", ""); code != 200 {
		t.Fatalf("anonymous healthz: %d", code)
	}
	if code := ts.as(t, "alice", "GET", "/api/v1/namespaces/default/pods", ""); code != 403 {
		t.Fatalf("alice before binding: %d, want 403", code)
	}
	if code := ts.as(t, "alice", "GET", "/api/v1", ""); code != 200 {
		t.Fatalf("discovery for authenticated users: %d", code)
	}
	// A Role that allows reading pods in default, bound to alice.
	ts.as(t, admin, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]}]}`)
	if code := ts.as(t, admin, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"alice-reads"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}],"roleRef":{"kind":"Role","name":"pod-reader","apiGroup":"rbac.authorization.k8s.io"}}`); code != 201 {
		t.Fatalf("create binding: %d", code)
	}
	if code := ts.as(t, "alice", "GET", "/api/v1/namespaces/default/pods", ""); code != 200 {
		t.Fatalf("alice after binding: %d", code)
	}
	if code := ts.as(t, "alice", "GET", "/api/v1/namespaces/kube-system/pods", ""); code != 403 {
		t.Fatalf("alice in another namespace: %d", code)
	}
	if code := ts.as(t, "alice", "POST", "/api/v1/namespaces/default/pods", fmtPod("x")); code != 403 {
		t.Fatalf("alice create: %d", code)
	}
	if code := ts.as(t, "alice", "GET", "/api/v1/namespaces/default/pods/x/log", ""); code != 403 {
		t.Fatalf("alice pods/log (subresource not granted): %d", code)
	}
	// Access reviews answer for the caller.
	var rev SelfSubjectAccessReview
	req := `{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"default","verb":"list","resource":"pods"}}}`
	ts.doAs(t, "alice", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", req, &rev)
	if !rev.Status.Allowed {
		t.Fatalf("can-i list pods: %+v", rev.Status)
	}
	req = `{"spec":{"resourceAttributes":{"namespace":"default","verb":"delete","resource":"pods"}}}`
	ts.doAs(t, "alice", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", req, &rev)
	if rev.Status.Allowed {
		t.Fatal("can-i delete pods must be no")
	}
	var rr SelfSubjectRulesReview
	ts.doAs(t, "alice", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", `{"spec":{"namespace":"default"}}`, &rr)
	found := false
	for _, r := range rr.Status.ResourceRules {
		for _, res := range r.Resources {
			found = found || res == "pods"
		}
	}
	if !found {
		t.Fatalf("rules review misses the pod rule: %+v", rr.Status)
	}
	// system:masters may do anything.
	if code := ts.as(t, admin, "DELETE", "/api/v1/namespaces/default/pods/none", ""); code != 404 {
		t.Fatalf("admin delete of a missing pod: %d, want 404", code)
	}
}

func fmtPod(name string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"c","image":"i"}]}}`
}

func (ts *testServer) doAs(t *testing.T, user, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
	if err := jsonDecode(resp, out); err != nil {
		t.Fatal(err)
	}
}

func jsonDecode(resp *http.Response, out any) error { return json.NewDecoder(resp.Body).Decode(out) }
