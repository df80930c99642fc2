package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/encryption"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/memory"
)

type testServer struct {
	*httptest.Server
	s *Server
}

func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	st := memory.New(nil)
	t.Cleanup(func() { st.Close() })
	cfg.Store = st
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &testServer{Server: hs, s: s}
}

// do sends a request and decodes a JSON response into out (if non-nil).
func (ts *testServer) do(t testing.TB, method, path, contentType, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

const podJSON = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"%s"}},
"spec":{"containers":[{"name":"web","image":"nginx:1.25"},{"name":"log","image":"busybox"}]}}`

func TestPodLifecycleOverHTTP(t *testing.T) {
	ts := newTestServer(t, Config{})
	var pod core.Pod
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(podJSON, "web", "web"), &pod); code != 201 {
		t.Fatalf("create: %d", code)
	}
	if pod.UID == "" || pod.ResourceVersion == "" || pod.CreationTimestamp.IsZero() || pod.Namespace != "default" {
		t.Fatalf("server-set metadata missing: %+v", pod.ObjectMeta)
	}
	if pod.Status.Phase != core.PodPending || pod.Spec.RestartPolicy == "" {
		t.Fatalf("pod not prepared/defaulted: phase %q restartPolicy %q", pod.Status.Phase, pod.Spec.RestartPolicy)
	}
	var st meta.Status
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(podJSON, "web", "web"), &st); code != 409 || st.Reason != meta.StatusReasonAlreadyExists {
		t.Fatalf("duplicate: %d %+v", code, st)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/nowhere/pods", "application/json", fmt.Sprintf(podJSON, "x", "x"), &st); code != 404 {
		t.Fatalf("missing namespace: %d %+v", code, st)
	}
	// Stale update: 409 Conflict.
	stale := pod
	stale.Labels = map[string]string{"app": "changed"}
	body, _ := json.Marshal(stale)
	var updated core.Pod
	if code := ts.do(t, "PUT", "/api/v1/namespaces/default/pods/web", "application/json", string(body), &updated); code != 200 {
		t.Fatalf("update: %d", code)
	}
	if code := ts.do(t, "PUT", "/api/v1/namespaces/default/pods/web", "application/json", string(body), &st); code != 409 || st.Reason != meta.StatusReasonConflict {
		t.Fatalf("stale update: %d %+v", code, st)
	}
	// Pod specs are immutable but for images (Kubernetes' rule).
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/web", "application/json-patch+json", `[{"op":"add","path":"/spec/containers/-","value":{"name":"x","image":"y"}}]`, &st); code != 422 {
		t.Fatalf("adding a container to a pod: %d, want 422", code)
	}
	// Status writes through the main resource are ignored; through /status they land.
	updated.Status.Phase = core.PodRunning
	body, _ = json.Marshal(updated)
	var afterMain, afterStatus core.Pod
	ts.do(t, "PUT", "/api/v1/namespaces/default/pods/web", "application/json", string(body), &afterMain)
	if afterMain.Status.Phase != core.PodPending {
		t.Fatalf("status changed through the main resource: %s", afterMain.Status.Phase)
	}
	afterMain.Status.Phase = core.PodRunning
	body, _ = json.Marshal(afterMain)
	if code := ts.do(t, "PUT", "/api/v1/namespaces/default/pods/web/status", "application/json", string(body), &afterStatus); code != 200 || afterStatus.Status.Phase != core.PodRunning {
		t.Fatalf("status update: %d %s", code, afterStatus.Status.Phase)
	}
	// Patches of three kinds.
	var patched core.Pod
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/web", "application/merge-patch+json", `{"metadata":{"labels":{"tier":"front"}}}`, &patched); code != 200 || patched.Labels["tier"] != "front" || patched.Labels["app"] != "changed" {
		t.Fatalf("merge patch: %d %v", code, patched.Labels)
	}
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/web", "application/json-patch+json", `[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.26"}]`, &patched); code != 200 || patched.Spec.Containers[0].Image != "nginx:1.26" {
		t.Fatalf("json patch: %d %v", code, patched.Spec.Containers[0].Image)
	}
	// Strategic merge: change the first container by name; the second stays
	// (a merge patch would have replaced the list).
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/web", "application/strategic-merge-patch+json", `{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}`, &patched); code != 200 || len(patched.Spec.Containers) != 2 || patched.Spec.Containers[0].Image != "nginx:1.27" || patched.Spec.Containers[1].Name != "log" {
		t.Fatalf("strategic patch: %d %+v", code, patched.Spec.Containers)
	}
	// Bind to a node, then a graceful delete leaves the pod terminating.
	ts.do(t, "POST", "/api/v1/nodes", "application/json", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`, nil)
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/pods/web/binding", "application/json", `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"n1"}}`, &st); code != 201 {
		t.Fatalf("binding: %d %+v", code, st)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/pods/web/binding", "application/json", `{"metadata":{"name":"web"},"target":{"kind":"Node","name":"n2"}}`, &st); code != 409 {
		t.Fatalf("second binding: %d", code)
	}
	var terminating core.Pod
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/default/pods/web", "", "", &terminating); code != 202 || terminating.DeletionTimestamp == nil || *terminating.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("graceful delete: %d %+v", code, terminating.ObjectMeta)
	}
	// The kubelet confirms with a zero grace period: gone.
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0", "", "", nil); code != 200 {
		t.Fatalf("final delete: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/pods/web", "", "", &st); code != 404 || st.Reason != meta.StatusReasonNotFound {
		t.Fatalf("get after delete: %d %+v", code, st)
	}
}

func TestListSelectorsAndPagination(t *testing.T) {
	ts := newTestServer(t, Config{})
	for i := range 12 {
		app := "a"
		if i%3 == 0 {
			app = "b"
		}
		ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(podJSON, fmt.Sprint("p", i), app), nil)
	}
	var list core.PodList
	ts.do(t, "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Db", "", "", &list)
	if len(list.Items) != 4 || list.Kind != "PodList" || list.ResourceVersion == "" {
		t.Fatalf("label selector: %d items kind %q rv %q", len(list.Items), list.Kind, list.ResourceVersion)
	}
	ts.do(t, "GET", "/api/v1/pods?fieldSelector=metadata.name%3Dp3", "", "", &list)
	if len(list.Items) != 1 || list.Items[0].Name != "p3" {
		t.Fatalf("field selector: %d", len(list.Items))
	}
	var st meta.Status
	if code := ts.do(t, "GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx", "", "", &st); code != 400 {
		t.Fatalf("unsupported field: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/pods?labelSelector=a%20in%20(", "", "", &st); code != 400 {
		t.Fatalf("bad label selector: %d", code)
	}
	seen := map[string]bool{}
	next := "/api/v1/namespaces/default/pods?limit=5"
	for pages := 0; next != ""; pages++ {
		var page core.PodList
		ts.do(t, "GET", next, "", "", &page)
		for _, p := range page.Items {
			if seen[p.Name] {
				t.Fatalf("duplicate %s across pages", p.Name)
			}
			seen[p.Name] = true
		}
		next = ""
		if page.Continue != "" {
			next = "/api/v1/namespaces/default/pods?limit=5&continue=" + page.Continue
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 12 {
		t.Fatalf("paged %d pods, want 12", len(seen))
	}
}

func TestWatchStream(t *testing.T) {
	ts := newTestServer(t, Config{})
	var created core.Pod
	ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(podJSON, "w1", "x"), &created)
	resp, err := http.Get(ts.URL + "/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + created.ResourceVersion)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/w1", "application/merge-patch+json", `{"metadata":{"labels":{"v":"2"}}}`, nil)
	ts.do(t, "DELETE", "/api/v1/namespaces/default/pods/w1", "", "", nil)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var types []string
	for len(types) < 2 && sc.Scan() {
		var ev struct {
			Type   string   `json:"type"`
			Object core.Pod `json:"object"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("bad event line %s: %v", sc.Bytes(), err)
		}
		if ev.Object.Name != "w1" || ev.Object.Kind != "Pod" {
			t.Fatalf("event object %+v", ev.Object.ObjectMeta)
		}
		types = append(types, ev.Type)
	}
	if strings.Join(types, ",") != "MODIFIED,DELETED" {
		t.Fatalf("events %v", types)
	}
	// A watch from a compacted-away position answers 410.
	var st meta.Status
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=abc", "", "", &st); code != 400 {
		t.Fatalf("bad rv watch: %d", code)
	}
}

func TestDeploymentScaleAndGeneration(t *testing.T) {
	ts := newTestServer(t, Config{})
	dep := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,
"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`
	var d apps.Deployment
	if code := ts.do(t, "POST", "/apis/apps/v1/namespaces/default/deployments", "application/json", dep, &d); code != 201 || d.Generation != 1 {
		t.Fatalf("create: %d gen %d", code, d.Generation)
	}
	var sc struct {
		Kind string `json:"kind"`
		Spec struct {
			Replicas int32 `json:"replicas"`
		} `json:"spec"`
		Status struct {
			Selector string `json:"selector"`
		} `json:"status"`
	}
	ts.do(t, "GET", "/apis/apps/v1/namespaces/default/deployments/d/scale", "", "", &sc)
	if sc.Kind != "Scale" || sc.Spec.Replicas != 2 || sc.Status.Selector != "app=d" {
		t.Fatalf("scale: %+v", sc)
	}
	if code := ts.do(t, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d/scale", "application/merge-patch+json", `{"spec":{"replicas":5}}`, &sc); code != 200 || sc.Spec.Replicas != 5 {
		t.Fatalf("scale patch: %d %+v", code, sc)
	}
	ts.do(t, "GET", "/apis/apps/v1/namespaces/default/deployments/d", "", "", &d)
	if *d.Spec.Replicas != 5 || d.Generation != 2 {
		t.Fatalf("after scale: replicas %d generation %d", *d.Spec.Replicas, d.Generation)
	}
	// A metadata-only change does not bump the generation.
	ts.do(t, "PATCH", "/apis/apps/v1/namespaces/default/deployments/d", "application/merge-patch+json", `{"metadata":{"labels":{"x":"y"}}}`, &d)
	if d.Generation != 2 {
		t.Fatalf("label change bumped generation to %d", d.Generation)
	}
}

func TestFinalizersAndPropagation(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","finalizers":["example.com/hold"]},"data":{"k":"v"}}`, nil)
	var cm core.ConfigMap
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/default/configmaps/c", "", "", &cm); code != 202 || cm.DeletionTimestamp == nil {
		t.Fatalf("delete with finalizer: %d %+v", code, cm.ObjectMeta)
	}
	// Removing the last finalizer completes the delete.
	ts.do(t, "PATCH", "/api/v1/namespaces/default/configmaps/c", "application/merge-patch+json", `{"metadata":{"finalizers":null}}`, nil)
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/configmaps/c", "", "", nil); code != 404 {
		t.Fatalf("after finalizer removal: %d", code)
	}
	// Orphan propagation holds the object with the orphan finalizer.
	ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"o"}}`, nil)
	ts.do(t, "DELETE", "/api/v1/namespaces/default/configmaps/o", "application/json", `{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Orphan"}`, &cm)
	if !cm.HasFinalizer(FinalizerOrphan) {
		t.Fatalf("orphan finalizer missing: %v", cm.Finalizers)
	}
	// Preconditions.
	ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"}}`, nil)
	var st meta.Status
	if code := ts.do(t, "DELETE", "/api/v1/namespaces/default/configmaps/p", "application/json", `{"preconditions":{"uid":"nope"}}`, &st); code != 409 {
		t.Fatalf("precondition: %d", code)
	}
}

func TestErrorsAndLimits(t *testing.T) {
	ts := newTestServer(t, Config{MaxRequestBytes: 1024})
	var st meta.Status
	big := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":"%s"}}`, strings.Repeat("x", 2000))
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", big, &st); code != 413 || st.Kind != "Status" {
		t.Fatalf("too large: %d %+v", code, st)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"bogus":1}`, &st); code != 400 || !strings.Contains(st.Message, "bogus") {
		t.Fatalf("strict decoding: %d %q", code, st.Message)
	}
	// Without a directive the server warns (Kubernetes' default) and creates.
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/namespaces/default/configmaps", strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"warned"},"bogus":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(resp.Header.Get("Warning"), "bogus") {
		t.Fatalf("default fieldValidation: %d warning %q", resp.StatusCode, resp.Header.Get("Warning"))
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Ignore", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"bogus":1}`, nil); code != 201 {
		t.Fatalf("fieldValidation=Ignore: %d", code)
	}
	// Patches: unknown and duplicate fields of the result, whatever the
	// patch type (a merge patch's are checked on the patch itself).
	for _, tc := range []struct{ ct, body, field string }{
		{"application/merge-patch+json", `{"data":{"k":"v"},"bogus":1}`, "bogus"},
		{"application/merge-patch+json", `{"metadata":{"labelz":{"a":"b"}}}`, "metadata.labelz"},
		{"application/merge-patch+json", `{"data":{"k":"v"},"data":{"k":"w"}}`, "duplicate field"},
		{"application/strategic-merge-patch+json", `{"data":{"k":"v"},"bogus":1}`, "bogus"},
		{"application/json-patch+json", `[{"op":"add","path":"/bogus","value":1}]`, "bogus"},
	} {
		if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/configmaps/warned?fieldValidation=Strict", tc.ct, tc.body, &st); code != 400 || !strings.Contains(st.Message, tc.field) {
			t.Fatalf("strict %s %s: %d %q", tc.ct, tc.body, code, st.Message)
		}
		req, _ := http.NewRequest("PATCH", ts.URL+"/api/v1/namespaces/default/configmaps/warned", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Warning"), tc.field) {
			t.Fatalf("warn %s %s: %d warning %q", tc.ct, tc.body, resp.StatusCode, resp.Header.Get("Warning"))
		}
	}
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/configmaps/warned?fieldValidation=Strict", "application/merge-patch+json", `{"data":{"k":"ok"}}`, nil); code != 200 {
		t.Fatalf("clean strict merge patch: %d", code)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "text/plain", `x`, &st); code != 415 {
		t.Fatalf("unsupported media type: %d", code)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{not json`, &st); code != 400 {
		t.Fatalf("garbage: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/widgets", "", "", &st); code != 404 {
		t.Fatalf("unknown resource: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/nodes?limit=abc", "", "", &st); code != 400 {
		t.Fatalf("bad limit: %d", code)
	}
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/configmaps/s", "application/json-patch+json", `[{"op":"test","path":"/data","value":1}]`, &st); code != 422 {
		t.Fatalf("failed json patch test: %d", code)
	}
}

func TestDiscoveryAndTables(t *testing.T) {
	ts := newTestServer(t, Config{})
	var v APIVersions
	ts.do(t, "GET", "/api", "", "", &v)
	if len(v.Versions) != 1 || v.Versions[0] != "v1" {
		t.Fatalf("/api: %+v", v)
	}
	var groups APIGroupList
	ts.do(t, "GET", "/apis", "", "", &groups)
	found := false
	for _, g := range groups.Groups {
		found = found || g.Name == "apps"
	}
	if !found {
		t.Fatalf("apps group missing: %+v", groups)
	}
	var rl APIResourceList
	ts.do(t, "GET", "/api/v1", "", "", &rl)
	names := map[string]APIResource{}
	for _, r := range rl.Resources {
		names[r.Name] = r
	}
	if p, ok := names["pods"]; !ok || !p.Namespaced || p.Kind != "Pod" || len(p.ShortNames) == 0 {
		t.Fatalf("pods in discovery: %+v", p)
	}
	for _, sub := range []string{"pods/status", "pods/binding", "pods/log", "namespaces/status"} {
		if _, ok := names[sub]; !ok {
			t.Errorf("%s missing from discovery", sub)
		}
	}
	if n := names["nodes"]; n.Namespaced {
		t.Error("nodes must be cluster-scoped")
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/namespaces", nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var table Table
	json.NewDecoder(resp.Body).Decode(&table)
	if table.Kind != "Table" || len(table.Rows) != len(SystemNamespaces) || table.ColumnDefinitions[0].Name != "Name" {
		t.Fatalf("table: %+v", table)
	}
	var body bytes.Buffer
	json.NewEncoder(&body).Encode(table.Rows[0].Object)
	if !strings.Contains(body.String(), "PartialObjectMetadata") {
		t.Fatalf("row object: %s", body.String())
	}
}

// The watch cache keeps most objects as JSON only (those whose last event
// is older than storage.DecodedEvents): label and field selectors, watches
// and tables must see them as they see decoded ones.
func TestSelectorsOnJSONOnlyObjects(t *testing.T) {
	ts := newTestServer(t, Config{})
	const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"%s"}},
"spec":{"nodeName":"%s","containers":[{"name":"web","image":"nginx:1.25"}]}}`
	for i := range 12 {
		app, node := "a", "n1"
		if i%3 == 0 {
			app = "b"
		}
		if i%2 == 0 {
			node = "n2"
		}
		if code := ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(pod, fmt.Sprint("p", i), app, node), nil); code != 201 {
			t.Fatalf("create p%d: %d", i, code)
		}
	}
	// Push those pods' events out of the decoded part of the window.
	ts.do(t, "POST", "/api/v1/namespaces/default/pods", "application/json", fmt.Sprintf(podJSON, "churn", "c"), nil)
	var last core.Pod
	for i := range storage.DecodedEvents + 1 {
		if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/churn", "application/merge-patch+json",
			fmt.Sprintf(`{"metadata":{"annotations":{"n":"%d"}}}`, i), &last); code != 200 {
			t.Fatalf("patch %d: %d", i, code)
		}
	}
	var list core.PodList
	ts.do(t, "GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Db&fieldSelector=spec.nodeName%3Dn2", "", "", &list)
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	if fmt.Sprint(names) != "[p0 p6]" { // i%3 == 0 and i%2 == 0
		t.Fatalf("selected %v, want [p0 p6]", names)
	}
	// A watch with a label selector from the last patch on, then a change
	// that moves p3 out of it (a label change) and one that moves p1 in.
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	req, _ := http.NewRequestWithContext(wctx, "GET", ts.URL+"/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Db&resourceVersion="+last.ResourceVersion, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, p := range []string{`{"metadata":{"labels":{"app":"a"}}}`, `{"metadata":{"labels":{"app":"b"}}}`} {
		target := "p3"
		if strings.Contains(p, `"b"`) {
			target = "p1"
		}
		if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/pods/"+target, "application/merge-patch+json", p, nil); code != 200 {
			t.Fatalf("patch %s: %d", target, code)
		}
	}
	dec := json.NewDecoder(resp.Body)
	var got []string
	for range 2 {
		var ev struct {
			Type   string
			Object core.Pod
		}
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Type+" "+ev.Object.Name)
	}
	if fmt.Sprint(got) != "[DELETED p3 ADDED p1]" {
		t.Fatalf("watch events %v, want [DELETED p3 ADDED p1]", got)
	}
	// A table of every pod has each pod's node.
	req, _ = http.NewRequest("GET", ts.URL+"/api/v1/namespaces/default/pods", nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	tresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer tresp.Body.Close()
	var table Table
	if err := json.NewDecoder(tresp.Body).Decode(&table); err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, c := range table.ColumnDefinitions {
		if c.Name == "Node" {
			col = i
		}
	}
	if len(table.Rows) != 13 || col < 0 {
		t.Fatalf("table of %d rows, node column %d", len(table.Rows), col)
	}
	for _, row := range table.Rows {
		if name := row.Cells[0].(string); name != "churn" && row.Cells[col] == "<none>" {
			t.Fatalf("row %v has no node", row.Cells)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Second: "5s", 150 * time.Second: "2m30s", 20 * time.Minute: "20m", 5*time.Hour + 3*time.Minute: "5h3m",
		30 * time.Hour: "30h", 50 * time.Hour: "2d2h", 30 * 24 * time.Hour: "30d", 3 * 365 * 24 * time.Hour: "3y",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSecretsEncryptedAtRest(t *testing.T) {
	trs, err := encryption.Parse([]byte(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aesgcm: {keys: [{name: k1, secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}]}
  - identity: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{Transformers: trs})
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/secrets", "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"stringData":{"password":"hunter2"}}`, nil); code != 201 {
		t.Fatalf("create secret: %d", code)
	}
	kv, err := ts.s.cacher.Store().Get(context.Background(), "/registry/secrets/default/db", store.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(kv.Value), "k8s:enc:aesgcm:v1:k1:") || strings.Contains(string(kv.Value), "aHVudGVyMg") {
		t.Fatalf("secret stored in the clear: %q", kv.Value)
	}
	var sec core.Secret
	ts.do(t, "GET", "/api/v1/namespaces/default/secrets/db", "", "", &sec)
	if string(sec.Data["password"]) != "hunter2" {
		t.Fatalf("read back %q", sec.Data["password"])
	}
	// ConfigMaps are not configured: stored as plain JSON.
	ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}`, nil)
	kv, _ = ts.s.cacher.Store().Get(context.Background(), "/registry/configmaps/default/c", store.GetOptions{})
	if kv == nil || !strings.HasPrefix(string(kv.Value), "{") {
		t.Fatalf("configmap should be plaintext: %v", kv)
	}
}

func TestMetricsAndAudit(t *testing.T) {
	reg := prometheus.NewRegistry()
	var audit bytes.Buffer
	var mu sync.Mutex
	ts := newTestServer(t, Config{Metrics: reg, AuditLog: lockedWriter{&mu, &audit}})
	ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m"}}`, nil)
	ts.do(t, "GET", "/api/v1/namespaces/default/configmaps/missing", "", "", nil)
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`apiserver_request_total{code="201",group="",resource="configmaps",subresource="",verb="create"} 1`,
		`apiserver_request_total{code="404",group="",resource="configmaps",subresource="",verb="get"} 1`,
		`apiserver_storage_request_duration_seconds_count{operation="create"}`,
		`apiserver_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var created bool
	for _, line := range strings.Split(strings.TrimSpace(audit.String()), "\n") {
		var ev struct {
			Verb      string `json:"verb"`
			ObjectRef struct {
				Name string `json:"name"`
			} `json:"objectRef"`
			ResponseStatus struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
			User struct {
				Username string `json:"username"`
			} `json:"user"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if ev.Verb == "create" && ev.ObjectRef.Name == "" && ev.ResponseStatus.Code == 201 && ev.User.Username != "" {
			created = true
		}
	}
	if !created {
		t.Fatalf("no audit event for the create:\n%s", audit.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestAggregatedDiscovery(t *testing.T) {
	ts := newTestServer(t, Config{})
	req, _ := http.NewRequest("GET", ts.URL+"/apis", nil)
	req.Header.Set("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "as=APIGroupDiscoveryList") {
		t.Fatalf("content type %q", ct)
	}
	var doc struct {
		Kind  string `json:"kind"`
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Versions []struct {
				Version   string `json:"version"`
				Resources []struct {
					Resource     string `json:"resource"`
					Scope        string `json:"scope"`
					ResponseKind struct {
						Kind string `json:"kind"`
					} `json:"responseKind"`
					Subresources []struct {
						Subresource  string `json:"subresource"`
						ResponseKind struct {
							Group string `json:"group"`
							Kind  string `json:"kind"`
						} `json:"responseKind"`
					} `json:"subresources"`
				} `json:"resources"`
			} `json:"versions"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range doc.Items {
		if g.Metadata.Name != "apps" {
			continue
		}
		for _, r := range g.Versions[0].Resources {
			if r.Resource == "deployments" && r.Scope == "Namespaced" && r.ResponseKind.Kind == "Deployment" {
				for _, sr := range r.Subresources {
					if sr.Subresource == "scale" && sr.ResponseKind.Group == "autoscaling" && sr.ResponseKind.Kind == "Scale" {
						found = true
					}
				}
			}
		}
	}
	if doc.Kind != "APIGroupDiscoveryList" || !found {
		t.Fatalf("deployments with scale missing from aggregated discovery: %+v", doc)
	}
}

func TestTooManyRequests(t *testing.T) {
	ts := newTestServer(t, Config{MaxMutatingInFlight: 1, MaxInFlight: 1})
	ts.s.mutating <- struct{}{} // one write in flight
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/namespaces/default/configmaps", strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("write over the limit: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Reads have their own budget; watches are long-running and exempt.
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/configmaps", "", "", nil); code != 200 {
		t.Fatalf("read while writes are saturated: %d", code)
	}
	ts.s.inflight <- struct{}{}
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/configmaps", "", "", nil); code != 429 {
		t.Fatalf("read over the limit: %d", code)
	}
	if code := ts.do(t, "GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1", "", "", nil); code != 200 {
		t.Fatalf("watch while saturated: %d", code)
	}
	<-ts.s.mutating
	<-ts.s.inflight
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/configmaps", "application/json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, nil); code != 201 {
		t.Fatalf("write after the limit cleared: %d", code)
	}
}
