package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/longshore/longshore/store/memory"
)

var (
	fuzzOnce   sync.Once
	fuzzServer *Server
)

func fuzzTarget(t testing.TB) *Server {
	fuzzOnce.Do(func() {
		s, err := New(Config{Store: memory.New(nil), MaxRequestBytes: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		fuzzServer = s
	})
	return fuzzServer
}

// FuzzRequest sends arbitrary methods, paths, content types and bodies to
// the server. Whatever arrives, the server must not panic (a recovered panic
// answers 500 and fails the fuzz run), and every error must be a Status.
func FuzzRequest(f *testing.F) {
	seeds := []struct{ method, path, ct, body string }{
		{"POST", "/api/v1/namespaces/default/pods", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}`},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"},
		{"PATCH", "/api/v1/namespaces/default/configmaps/c", "application/strategic-merge-patch+json", `{"data":{"x":null}}`},
		{"PATCH", "/api/v1/namespaces/default/configmaps/c", "application/json-patch+json", `[{"op":"move","from":"/data","path":"/data/x"}]`},
		{"PUT", "/api/v1/namespaces/default/pods/p/status", "application/json", `{"status":{"phase":7}}`},
		{"DELETE", "/api/v1/namespaces/default/pods", "application/json", `{"propagationPolicy":"Sideways"}`},
		{"GET", "/api/v1/pods?labelSelector=a+in+(b,&fieldSelector=spec.nodeName%3D%3D&limit=-3", "", ""},
		{"GET", "/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion=99999999999999999999", "", ""},
		{"POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", `{"spec":{"versions":[{"schema":{"openAPIV3Schema":{"type":"array"}}}]}}`},
		{"POST", "/api/v1/namespaces/default/pods", "application/vnd.kubernetes.protobuf", "k8s\x00\n\x0c\n\x02v1\x12\x03Pod\x12\x00"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, ct string, body []byte) {
		s := fuzzTarget(t)
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t") || strings.ContainsAny(method, " \r\n\t/") || method == "" {
			return // not an HTTP request line the server could receive
		}
		if strings.Contains(path, "watch") {
			path += "&timeoutSeconds=0"
		}
		req, err := http.NewRequest(method, "http://x"+path, strings.NewReader(string(body)))
		if err != nil {
			return
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // watches end at once
		if !strings.Contains(path, "watch") {
			ctx = context.Background()
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code == http.StatusInternalServerError && strings.Contains(rec.Body.String(), "panic") {
			t.Fatalf("panic answering %s %s: %s", method, path, rec.Body.String())
		}
		if rec.Code >= 400 {
			var st struct {
				Kind string `json:"kind"`
				Code int    `json:"code"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Code != rec.Code {
				t.Fatalf("%s %s answered %d without a Status: %q", method, path, rec.Code, rec.Body.String())
			}
		}
	})
}
