package apiserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/storage"
)

// listFixture returns the pods resource and a list of n entries of about
// size bytes each, shaped like the cache's.
func listFixture(n, size int) (*resource, *storage.ListResult) {
	res := &resource{listGVK: meta.GroupVersionKind{Version: "v1", Kind: "PodList"}}
	out := &storage.ListResult{Revision: 42}
	pad := strings.Repeat("x", max(size-80, 0))
	for i := range n {
		js := fmt.Appendf(nil, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"pod-%05d"},"spec":{"pad":%q}}`, i, pad)
		out.Items = append(out.Items, &storage.Entry{Key: fmt.Sprintf("/registry/pods/ns/pod-%05d", i), JSON: js})
	}
	return res, out
}

// TestWriteListStreams checks the streamed list body: valid JSON with every
// item in order and an exact Content-Length, for lists below, at and well
// above the streaming chunk, as JSON and as YAML.
func TestWriteListStreams(t *testing.T) {
	tests := []struct {
		name    string
		n, size int
		accept  string
	}{
		{"empty", 0, 0, "application/json"},
		{"one", 1, 500, ""},
		{"around a chunk", 100, 2700, "application/json"},
		{"item larger than a chunk", 3, 300 << 10, "application/json"},
		{"many", 2000, 700, "application/json"},
		{"yaml", 20, 300, "application/yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, list := listFixture(tc.n, tc.size)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			rec := httptest.NewRecorder()
			if err := writeList(rec, req, res, list); err != nil {
				t.Fatal(err)
			}
			body := rec.Body.Bytes()
			if tc.accept == "application/yaml" {
				if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
					t.Fatalf("Content-Type %q", ct)
				}
				if !strings.Contains(string(body), "name: pod-00019") {
					t.Fatalf("yaml body misses the last item:\n%s", body)
				}
				return
			}
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Fatalf("Content-Length %s, body %d bytes", cl, len(body))
			}
			var got struct {
				Kind     string `json:"kind"`
				Metadata struct {
					ResourceVersion string `json:"resourceVersion"`
				} `json:"metadata"`
				Items []struct {
					Metadata struct {
						Name string `json:"name"`
					} `json:"metadata"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("invalid JSON (%d bytes): %v", len(body), err)
			}
			if got.Kind != "PodList" || got.Metadata.ResourceVersion != "42" || len(got.Items) != tc.n {
				t.Fatalf("kind %q, rv %q, %d items; want PodList, 42, %d", got.Kind, got.Metadata.ResourceVersion, len(got.Items), tc.n)
			}
			for i, it := range got.Items {
				if want := fmt.Sprintf("pod-%05d", i); it.Metadata.Name != want {
					t.Fatalf("item %d is %q, want %q", i, it.Metadata.Name, want)
				}
			}
		})
	}
}

// discard is a ResponseWriter that only counts bytes, so that the benchmark
// measures writeList rather than a recorder's buffer.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func BenchmarkWriteList(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			res, list := listFixture(n, 3000)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := &discard{h: http.Header{}}
				if err := writeList(w, req, res, list); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(w.n))
			}
		})
	}
}

// BenchmarkHandlers measures the API server's handlers over plain HTTP on
// loopback with the memory store: the request path's own cost (decoding,
// defaulting, validation, admission, the write, the response) without TLS
// or disk.
func BenchmarkHandlers(b *testing.B) {
	ts := newTestServer(b, Config{})
	const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"web","tier":"frontend"}},
"spec":{"containers":[{"name":"web","image":"registry.example.com/web:v1.42.7","ports":[{"containerPort":8080}],
"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}}},
{"name":"log","image":"registry.example.com/fluent-bit:2.2.0"}]}}`
	send := func(b *testing.B, method, path, ct, body string, want int) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want {
			b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	const base = "/api/v1/namespaces/default/pods"
	// The reads and patches work on pods of their own, so that each
	// sub-benchmark also runs alone (-bench Handlers/get).
	const n = 100
	for i := range n {
		send(b, http.MethodPost, base, "application/json", fmt.Sprintf(pod, fmt.Sprintf("p-%06d", i)), http.StatusCreated)
	}
	created := 0 // across -count runs, which share the server
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			send(b, http.MethodPost, base, "application/json", fmt.Sprintf(pod, fmt.Sprintf("c-%07d", created)), http.StatusCreated)
			created++
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			send(b, http.MethodGet, base+fmt.Sprintf("/p-%06d", i%n), "", "", http.StatusOK)
			i++
		}
	})
	b.Run("merge-patch", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			send(b, http.MethodPatch, base+fmt.Sprintf("/p-%06d", i%n), "application/merge-patch+json",
				fmt.Sprintf(`{"metadata":{"annotations":{"n":"%d"}}}`, i), http.StatusOK)
			i++
		}
	})
	b.Run("list", func(b *testing.B) {
		// The n pods of the namespace "list" only, whatever the create
		// sub-benchmark left in "default".
		lbase := "/api/v1/namespaces/list/pods"
		send(b, http.MethodPost, "/api/v1/namespaces", "application/json", `{"metadata":{"name":"list"}}`, 0)
		for i := range n {
			send(b, http.MethodPost, lbase, "application/json", fmt.Sprintf(pod, fmt.Sprintf("l-%06d", i)), 0)
		}
		b.ReportAllocs()
		for b.Loop() {
			send(b, http.MethodGet, lbase, "", "", http.StatusOK)
		}
	})
}

// TestSameSpec checks that the fast spec comparison the update path uses
// gives specEqual's answer.
func TestSameSpec(t *testing.T) {
	base := func() *core.Pod {
		return &core.Pod{
			ObjectMeta: meta.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
			Spec:       core.PodSpec{Containers: []core.Container{{Name: "c", Image: "i:1", Args: []string{"x"}}}},
		}
	}
	tests := []struct {
		name string
		edit func(p *core.Pod)
		want bool
	}{
		{"identical", func(p *core.Pod) {}, true},
		{"metadata only", func(p *core.Pod) {
			p.Labels["a"] = "c"
			p.Annotations = map[string]string{"n": "1"}
			p.ResourceVersion = "9"
		}, true},
		{"status only", func(p *core.Pod) { p.Status.Phase = core.PodRunning }, true},
		{"type meta only", func(p *core.Pod) { p.Kind, p.APIVersion = "Pod", "v1" }, true},
		{"image", func(p *core.Pod) { p.Spec.Containers[0].Image = "i:2" }, false},
		{"added toleration", func(p *core.Pod) { p.Spec.Tolerations = []core.Toleration{{Key: "k"}} }, false},
		{"empty versus nil slice", func(p *core.Pod) { p.Spec.Tolerations = []core.Toleration{} }, true},
		{"empty versus nil args", func(p *core.Pod) { p.Spec.Containers[0].Command = []string{} }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.edit(b)
			if got := sameSpec(a, b); got != tc.want {
				t.Fatalf("sameSpec = %v, want %v", got, tc.want)
			}
			if got := specEqual(a, b); got != tc.want {
				t.Fatalf("specEqual = %v, want %v (the test's expectation is wrong)", got, tc.want)
			}
		})
	}
	// Different kinds never compare equal on the fast path.
	if deepEqualOutsideMeta(base(), &core.ConfigMap{}) {
		t.Error("a pod and a config map compare equal")
	}
}
