package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

func startServer(t testing.TB) *client.Client { return apiservertest.Start(t) }

func newPod(name string) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "x"}},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img:1"}}}}
}

func TestTypedCRUD(t *testing.T) {
	c := startServer(t)
	ctx := context.Background()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	created, err := pods.Create(ctx, newPod("a"), client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.UID == "" || created.Kind != "Pod" {
		t.Fatalf("created %+v", created.TypeMeta)
	}
	if _, err := pods.Create(ctx, newPod("a"), client.WriteOptions{}); !apierror.IsAlreadyExists(err) {
		t.Fatalf("duplicate create: %v", err)
	}
	got, err := pods.Get(ctx, "a")
	if err != nil || got.ResourceVersion != created.ResourceVersion {
		t.Fatalf("get: %v %v", got, err)
	}
	got.Labels["v"] = "2"
	upd, err := pods.Update(ctx, got, client.WriteOptions{})
	if err != nil || upd.Labels["v"] != "2" {
		t.Fatalf("update: %v", err)
	}
	if _, err := pods.Update(ctx, got, client.WriteOptions{}); !apierror.IsConflict(err) {
		t.Fatalf("stale update: %v", err)
	}
	p, err := pods.Patch(ctx, "a", client.MergePatch, []byte(`{"metadata":{"labels":{"p":"1"}}}`), client.WriteOptions{})
	if err != nil || p.Labels["p"] != "1" {
		t.Fatalf("patch: %v", err)
	}
	pods.Create(ctx, newPod("b"), client.WriteOptions{})
	l, err := pods.List(ctx, client.ListOptions{LabelSelector: "app=x"})
	if err != nil || len(l.Items) != 2 || l.ResourceVersion == "" {
		t.Fatalf("list: %v %v", l, err)
	}
	all, err := client.MustFor[*core.Pod](c).ListAll(ctx, client.ListOptions{Limit: 1})
	if err != nil || len(all.Items) != 2 {
		t.Fatalf("list all pages: %v %v", all, err)
	}
	if err := pods.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "a"); !apierror.IsNotFound(err) {
		t.Fatalf("get deleted: %v", err)
	}
	ns := client.MustFor[*core.Namespace](c)
	if _, err := ns.Get(ctx, "kube-system"); err != nil {
		t.Fatalf("cluster-scoped get: %v", err)
	}
}

func TestWatchResumeAcrossServerTimeouts(t *testing.T) {
	c := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	first, _ := pods.Create(ctx, newPod("w0"), client.WriteOptions{})
	one := int64(1)
	var names []string
	done := make(chan error, 1)
	go func() {
		done <- pods.WatchResume(ctx, client.ListOptions{ResourceVersion: first.ResourceVersion, TimeoutSeconds: &one}, func(ev client.Event[*core.Pod]) error {
			names = append(names, string(ev.Type)+":"+ev.Object.Name)
			if len(names) == 3 {
				return io.EOF
			}
			return nil
		})
	}()
	// Writes spread over more than the 1s server timeout: the watch is
	// reopened in between and must neither lose nor repeat events.
	pods.Create(ctx, newPod("w1"), client.WriteOptions{})
	time.Sleep(1500 * time.Millisecond)
	pods.Create(ctx, newPod("w2"), client.WriteOptions{})
	pods.Delete(ctx, "w1", nil)
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("WatchResume: %v", err)
	}
	want := []string{"ADDED:w1", "ADDED:w2", "DELETED:w1"}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("events %v, want %v", names, want)
		}
	}
}

func TestRetriesOn429(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"TooManyRequests","code":429}`)
			return
		}
		io.WriteString(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x"}}`)
	}))
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL, QPS: -1})
	ns, err := client.MustFor[*core.Namespace](c).Get(context.Background(), "x")
	if err != nil || ns.Name != "x" || calls.Load() != 3 {
		t.Fatalf("after retries: %v %v calls=%d", ns, err, calls.Load())
	}
	c2, _ := client.New(&client.Config{Host: hs.URL, QPS: -1, MaxRetries: -1})
	calls.Store(0)
	if _, err := client.MustFor[*core.Namespace](c2).Get(context.Background(), "x"); !apierror.IsTooManyRequests(err) {
		t.Fatalf("without retries: %v", err)
	}
}

func TestKubeconfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	kc := client.NewKubeconfig("longshore", &client.Config{Host: "https://127.0.0.1:6443", CAData: []byte("ca"), CertData: []byte("crt"), KeyData: []byte("key"), Namespace: "team"})
	if err := kc.Write(path); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig mode %v", st.Mode().Perm())
	}
	cfg, err := client.LoadKubeconfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || string(cfg.CAData) != "ca" || string(cfg.KeyData) != "key" || cfg.Namespace != "team" {
		t.Fatalf("loaded %+v", cfg)
	}
	if _, err := client.LoadKubeconfig(path, "missing"); !errors.Is(err, client.ErrKubeconfig) {
		t.Fatalf("missing context: %v", err)
	}
	os.WriteFile(path, []byte("clusters: [\n"), 0o600)
	if _, err := client.LoadKubeconfig(path, ""); !errors.Is(err, client.ErrKubeconfig) {
		t.Fatalf("garbage: %v", err)
	}
	// kubectl's file layout with relative paths.
	os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("CA"), 0o600)
	os.WriteFile(filepath.Join(dir, "tok"), []byte("secret\n"), 0o600)
	os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://k8s.example:6443", certificate-authority: ca.crt}
users:
- name: u
  user: {tokenFile: tok}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`), 0o600)
	cfg, err = client.LoadKubeconfig(path, "")
	if err != nil || string(cfg.CAData) != "CA" || cfg.BearerToken != "secret" || cfg.Namespace != "default" {
		t.Fatalf("kubectl layout: %+v %v", cfg, err)
	}
}

// widget is a custom resource with a Go type of its own.
type widget struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            struct {
		Size int `json:"size"`
	} `json:"spec"`
}

func (w *widget) DeepCopyObject() meta.Object { c := *w; return &c }

func TestTypedClientForACustomScheme(t *testing.T) {
	sc := api.NewBuiltinScheme()
	if err := sc.AddKinds(meta.GroupVersion{Group: "example.com", Version: "v1"}, []meta.KindInfo{{
		Kind: "Widget", Resource: "widgets", Namespaced: true, New: func() meta.Object { return &widget{} }}}); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(&client.Config{Host: "http://127.0.0.1:1", Scheme: sc})
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.For[*widget](c)
	if err != nil {
		t.Fatal(err)
	}
	if g := r.GVR(); g.Group != "example.com" || g.Resource != "widgets" || !g.Namespaced {
		t.Fatalf("GVR %+v", g)
	}
	plain, _ := client.New(&client.Config{Host: "http://127.0.0.1:1"})
	if _, err := client.For[*widget](plain); err == nil {
		t.Fatal("the built-in scheme must not know the custom type")
	}
}
