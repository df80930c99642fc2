package apiserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/store"
)

const widgetCRD = `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
"metadata":{"name":"widgets.example.com"},
"spec":{"group":"example.com","scope":"Namespaced",
 "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
 "versions":[{"name":"v1","served":true,"storage":true,
  "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
  "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"}],
  "schema":{"openAPIV3Schema":{"type":"object","properties":{
   "spec":{"type":"object","required":["size"],"properties":{
     "size":{"type":"integer","minimum":1,"maximum":10},
     "color":{"type":"string","enum":["red","blue"],"default":"red"},
     "replicas":{"type":"integer"},
     "name":{"type":"string","pattern":"^[a-z]+$","maxLength":8},
     "tags":{"type":"array","items":{"type":"string"},"maxItems":2}}},
   "status":{"type":"object","properties":{"replicas":{"type":"integer"},"phase":{"type":"string"}}}}}}}]}}`

func waitEstablished(t *testing.T, ts *testServer, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var crd apiextensions.CustomResourceDefinition
		ts.do(t, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+name, "", "", &crd)
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensions.Established && c.Status == meta.ConditionTrue {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never established", name)
}

func TestCustomResources(t *testing.T) {
	ts := newTestServer(t, Config{})
	var st meta.Status
	var created map[string]any
	if code := ts.do(t, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", widgetCRD, &created); code != 201 {
		t.Fatalf("create CRD: %d %+v", code, created)
	}
	waitEstablished(t, ts, "widgets.example.com")
	// Served and discoverable.
	var rl APIResourceList
	ts.do(t, "GET", "/apis/example.com/v1", "", "", &rl)
	if len(rl.Resources) == 0 || rl.Resources[0].Name != "widgets" || rl.Resources[0].Kind != "Widget" {
		t.Fatalf("discovery: %+v", rl)
	}
	base := "/apis/example.com/v1/namespaces/default/widgets"
	var w map[string]any
	if code := ts.do(t, "POST", base, "application/json", `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3,"junk":true}}`, &w); code != 201 {
		t.Fatalf("create widget: %d %v", code, w)
	}
	spec := w["spec"].(map[string]any)
	if spec["color"] != "red" {
		t.Fatalf("default not applied: %v", spec)
	}
	if _, ok := spec["junk"]; ok {
		t.Fatalf("unknown field not pruned: %v", spec)
	}
	if _, ok := w["status"]; ok {
		t.Fatalf("status must be dropped on create: %v", w)
	}
	// Schema violations: 422 with the field paths.
	for _, tc := range []struct{ body, field string }{
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad1"},"spec":{"size":11}}`, "spec.size"},
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad2"},"spec":{}}`, "spec.size"},
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad3"},"spec":{"size":2,"color":"green"}}`, "spec.color"},
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad4"},"spec":{"size":"two"}}`, "spec.size"},
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad5"},"spec":{"size":2,"name":"UPPER"}}`, "spec.name"},
		{`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad6"},"spec":{"size":2,"tags":["a","b","c"]}}`, "spec.tags"},
	} {
		st = meta.Status{}
		if code := ts.do(t, "POST", base, "application/json", tc.body, &st); code != 422 {
			t.Errorf("%s: code %d, want 422", tc.body, code)
			continue
		}
		if st.Details == nil || len(st.Details.Causes) == 0 || st.Details.Causes[0].Field != tc.field {
			t.Errorf("%s: causes %+v, want field %s", tc.body, st.Details, tc.field)
		}
	}
	// Strict field validation reports the unknown field.
	if code := ts.do(t, "POST", base+"?fieldValidation=Strict", "application/json", `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"strict"},"spec":{"size":3,"junk":1}}`, &st); code != 400 || !strings.Contains(st.Message, "spec.junk") {
		t.Fatalf("strict: %d %s", code, st.Message)
	}
	// Status subresource and scale.
	if code := ts.do(t, "PATCH", base+"/w1/status", "application/merge-patch+json", `{"status":{"replicas":2,"phase":"Ready"},"spec":{"size":9}}`, &w); code != 200 {
		t.Fatalf("status patch: %d %v", code, w)
	}
	if w["status"].(map[string]any)["phase"] != "Ready" || w["spec"].(map[string]any)["size"].(float64) != 3 {
		t.Fatalf("status write leaked into spec or was lost: %v", w)
	}
	var sc map[string]any
	if code := ts.do(t, "PUT", base+"/w1/scale", "application/json", `{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"w1"},"spec":{"replicas":4}}`, &sc); code != 200 {
		t.Fatalf("scale: %d %v", code, sc)
	}
	ts.do(t, "GET", base+"/w1", "", "", &w)
	if w["spec"].(map[string]any)["replicas"].(float64) != 4 {
		t.Fatalf("scale not applied: %v", w)
	}
	// kubectl's Table with the additional printer column.
	req, _ := http.NewRequest("GET", ts.URL+base, nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var table Table
	json.NewDecoder(resp.Body).Decode(&table)
	resp.Body.Close()
	if len(table.ColumnDefinitions) != 3 || table.ColumnDefinitions[1].Name != "Size" || len(table.Rows) != 1 || table.Rows[0].Cells[1].(float64) != 3 {
		t.Fatalf("table: %+v", table)
	}
	// Deleting the definition deletes its objects and stops serving.
	if code := ts.do(t, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", "", "", nil); code != 200 && code != 202 {
		t.Fatalf("delete CRD: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if code := ts.do(t, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", "", "", nil); code == 404 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := ts.do(t, "GET", base, "", "", nil); code != 404 {
		t.Fatalf("widgets still served after the CRD is gone: %d", code)
	}
	if kvs, _ := ts.s.cacher.Store().List(t.Context(), "/registry/example.com/widgets/", storeListAll()); len(kvs.KVs) != 0 {
		t.Fatalf("%d widgets left in the store", len(kvs.KVs))
	}
}

func TestCRDValidation(t *testing.T) {
	ts := newTestServer(t, Config{})
	bad := strings.Replace(widgetCRD, `"name":"widgets.example.com"`, `"name":"wrong.example.com"`, 1)
	var st meta.Status
	if code := ts.do(t, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", bad, &st); code != 422 || !strings.Contains(st.Message, "metadata.name") {
		t.Fatalf("wrong name: %d %s", code, st.Message)
	}
	noStorage := strings.Replace(widgetCRD, `"storage":true`, `"storage":false`, 1)
	if code := ts.do(t, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", noStorage, &st); code != 422 {
		t.Fatalf("no storage version: %d %s", code, st.Message)
	}
	untyped := strings.Replace(widgetCRD, `"size":{"type":"integer","minimum":1,"maximum":10}`, `"size":{"minimum":1}`, 1)
	if code := ts.do(t, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", untyped, &st); code != 422 || !strings.Contains(st.Message, "type") {
		t.Fatalf("non-structural schema: %d %s", code, st.Message)
	}
}

func storeListAll() store.ListOptions { return store.ListOptions{} }
