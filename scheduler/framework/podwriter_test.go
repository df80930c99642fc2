package framework

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

func TestClientPodWriter(t *testing.T) {
	type call struct {
		method, path, contentType string
		body                      map[string]any
	}
	var calls []call
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := call{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type")}
		_ = json.Unmarshal(b, &c.body)
		calls = append(calls, c)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"}}`))
	}))
	defer srv.Close()
	c, err := client.New(&client.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	w := &ClientPodWriter{Client: c}
	pod := testPod("p", "", container(nil))
	grace := int64(7)
	pod.Spec.TerminationGracePeriodSeconds = &grace
	if err := w.DeletePod(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	if err := w.SetNominatedNodeName(context.Background(), pod, "n1"); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	del := calls[0]
	var opts meta.DeleteOptions
	raw, _ := json.Marshal(del.body)
	_ = json.Unmarshal(raw, &opts)
	if del.method != http.MethodDelete || del.path != "/api/v1/namespaces/default/pods/p" || opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds != 7 ||
		opts.Preconditions == nil || *opts.Preconditions.UID != "p-uid" {
		t.Errorf("delete call %+v", del)
	}
	patch := calls[1]
	status, _ := patch.body["status"].(map[string]any)
	if patch.method != http.MethodPatch || patch.path != "/api/v1/namespaces/default/pods/p/status" || patch.contentType != string(client.MergePatch) || status["nominatedNodeName"] != "n1" {
		t.Errorf("patch call %+v", patch)
	}
}
