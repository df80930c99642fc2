package apiserver

import (
	"encoding/json"
	"testing"

	"github.com/longshore/longshore/api/authentication"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

func TestBuiltinAdmission(t *testing.T) {
	ts := newTestServer(t, Config{RootCAData: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")})
	// A new namespace gets its default service account and the CA bundle.
	ts.do(t, "POST", "/api/v1/namespaces", "application/json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"apps"}}`, nil)
	if code := ts.do(t, "GET", "/api/v1/namespaces/apps/serviceaccounts/default", "", "", nil); code != 200 {
		t.Fatalf("default service account: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/namespaces/apps/configmaps/kube-root-ca.crt", "", "", nil); code != 200 {
		t.Fatalf("root CA configmap: %d", code)
	}
	ts.do(t, "POST", "/apis/scheduling.k8s.io/v1/priorityclasses", "application/json", `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"high"},"value":1000}`, nil)
	var pod core.Pod
	body := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"priorityClassName":"high","containers":[{"name":"c","image":"i"}],
"tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":60}]}}`
	if code := ts.do(t, "POST", "/api/v1/namespaces/apps/pods", "application/json", body, &pod); code != 201 {
		t.Fatalf("create pod: %d", code)
	}
	if pod.Spec.ServiceAccountName != "default" || pod.Spec.Priority == nil || *pod.Spec.Priority != 1000 {
		t.Fatalf("service account %q priority %v", pod.Spec.ServiceAccountName, pod.Spec.Priority)
	}
	var notReady, unreachable *core.Toleration
	for i := range pod.Spec.Tolerations {
		switch pod.Spec.Tolerations[i].Key {
		case core.TaintNodeNotReady:
			notReady = &pod.Spec.Tolerations[i]
		case core.TaintNodeUnreachable:
			unreachable = &pod.Spec.Tolerations[i]
		}
	}
	if notReady == nil || *notReady.TolerationSeconds != DefaultTolerationSeconds || unreachable == nil || *unreachable.TolerationSeconds != 60 {
		t.Fatalf("tolerations: %+v", pod.Spec.Tolerations)
	}
	var projected *core.ProjectedVolumeSource
	for _, v := range pod.Spec.Volumes {
		if v.Projected != nil {
			projected = v.Projected
		}
	}
	if projected == nil || len(projected.Sources) != 3 || projected.Sources[0].ServiceAccountToken == nil || pod.Spec.Containers[0].VolumeMounts[0].MountPath != ServiceAccountMountPath {
		t.Fatalf("token volume: %+v mounts %+v", projected, pod.Spec.Containers[0].VolumeMounts)
	}
	var st meta.Status
	if code := ts.do(t, "POST", "/api/v1/namespaces/apps/pods", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},"spec":{"priorityClassName":"nope","containers":[{"name":"c","image":"i"}]}}`, &st); code != 403 {
		t.Fatalf("unknown priority class: %d", code)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/apps/pods", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"r"},"spec":{"serviceAccountName":"ghost","containers":[{"name":"c","image":"i"}]}}`, &st); code != 403 {
		t.Fatalf("missing service account: %d", code)
	}
	var off core.Pod
	ts.do(t, "POST", "/api/v1/namespaces/apps/pods", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"s"},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"i"}]}}`, &off)
	if len(off.Spec.Volumes) != 0 {
		t.Fatalf("automount off still mounted: %+v", off.Spec.Volumes)
	}
	if code := ts.do(t, "POST", "/apis/scheduling.k8s.io/v1/priorityclasses", "application/json", `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"greedy"},"value":2000000000}`, &st); code != 422 {
		t.Fatalf("user class above the limit: %d", code)
	}
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/kube-system", "", "", &st); code != 403 {
		t.Fatalf("deleting kube-system: %d", code)
	}
}

func TestNamespaceTermination(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.do(t, "POST", "/api/v1/namespaces", "application/json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"doomed"}}`, nil)
	ts.do(t, "POST", "/api/v1/namespaces/doomed/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`, nil)
	var ns core.Namespace
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/doomed", "", "", &ns); code != 202 || ns.Status.Phase != core.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("delete: %d phase %q", code, ns.Status.Phase)
	}
	// Terminating namespaces take no new content.
	var st meta.Status
	if code := ts.do(t, "POST", "/api/v1/namespaces/doomed/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}}`, &st); code != 403 {
		t.Fatalf("create in a terminating namespace: %d", code)
	}
	// The namespace controller would delete the content, then finalize.
	ts.do(t, "GET", "/api/v1/namespaces/doomed", "", "", &ns)
	ns.Spec.Finalizers = nil
	body, _ := json.Marshal(ns)
	if code := ts.do(t, "PUT", "/api/v1/namespaces/doomed/finalize", "application/json", string(body), nil); code != 200 {
		t.Fatalf("finalize: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/namespaces/doomed", "", "", nil); code != 404 {
		t.Fatalf("namespace still there after finalize: %d", code)
	}
}

func TestTokenRequestWithoutPKI(t *testing.T) {
	ts := newTestServer(t, Config{})
	var tr authentication.TokenRequest
	req := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["api"],"expirationSeconds":3600}}`
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token", "application/json", req, &tr); code != 201 || tr.Status.Token == "" {
		t.Fatalf("token request: %d %+v", code, tr.Status)
	}
	var st meta.Status
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/serviceaccounts/ghost/token", "application/json", req, &st); code != 404 {
		t.Fatalf("token for a missing account: %d", code)
	}
}
