package kubelet_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/kubelet"
	"github.com/longshore/longshore/store/memory"
)

// TestSecureClusterLogs runs a secure API server and a kubelet serving its
// API over HTTPS on loopback: the pod's service account token volume is
// filled through the token subresource, the API server's pods/log reaches
// the kubelet with its client certificate, unauthenticated callers are
// refused, and (where kubectl is installed) kubectl logs works.
// secureCluster is a secure API server and a kubelet serving its API over
// HTTPS on loopback with a certificate of the cluster CA.
type secureCluster struct {
	c      *client.Client
	sec    *apiserver.Secure
	host   string
	opts   kubelet.Options
	kubeln net.Listener
}

func startSecureCluster(t testing.TB, rt cri.RuntimeService, img cri.ImageService) *secureCluster {
	t.Helper()
	st := memory.New(nil)
	t.Cleanup(func() { st.Close() })
	pki := t.TempDir()
	srv, sec, err := apiserver.NewSecure(apiserver.Config{Store: st}, apiserver.SecureOptions{PKIDir: pki, Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	apiLn, err := tls.Listen("tcp", "127.0.0.1:0", sec.TLS)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(apiLn) }()
	t.Cleanup(func() { hs.Close() })
	host := "https://" + apiLn.Addr().String()
	cfg, err := sec.ClientConfig(host, "system:node:n1", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// The kubelet's serving certificate, from the cluster CA, for 127.0.0.1.
	serving, err := sec.Bundle.CA.IssueServing(certs.ServingOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := serving.TLS()
	if err != nil {
		t.Fatal(err)
	}
	kln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		ClientCAs: sec.Bundle.CA.Pool(), ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions(t, "n1")
	opts.KubeletPort = int32(kln.Addr().(*net.TCPAddr).Port)
	k, err := kubelet.New(c, rt, img, &opts)
	if err != nil {
		t.Fatal(err)
	}
	ks := &http.Server{Handler: k.Handler(kubelet.ServerOptions{ClientCAs: sec.Bundle.CA.Pool()})}
	go func() { _ = ks.Serve(kln) }()
	t.Cleanup(func() { ks.Close() })
	kctx, kcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	t.Cleanup(func() { kcancel(); <-done })

	return &secureCluster{c: c, sec: sec, host: host, opts: opts, kubeln: kln}
}

func TestSecureClusterLogs(t *testing.T) {
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := startSecureCluster(t, rt, rt)
	c, sec, host, opts, kln := sc.c, sc.sec, sc.host, sc.opts, sc.kubeln
	ctx := context.Background()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"}, Spec: core.PodSpec{NodeName: "n1",
		Containers: []core.Container{{Name: "app", Image: "img:1", Command: []string{"sh", "-c", "echo hello-from-pod; sleep 3600"}}}}}
	created, err := pods.Create(ctx, p, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{c: c}
	e.waitPod(t, "web", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })

	t.Run("service account token volume", func(t *testing.T) {
		var vol string
		for _, v := range created.Spec.Volumes {
			if v.Projected != nil {
				vol = v.Name
			}
		}
		if vol == "" {
			t.Fatal("no projected volume injected")
		}
		dir := filepath.Join(opts.RootDir, "pods", created.UID, "volumes", vol)
		tok, err := os.ReadFile(filepath.Join(dir, "token"))
		if err != nil || strings.Count(string(tok), ".") != 2 {
			t.Errorf("token %q, %v", tok, err)
		}
		if ns, _ := os.ReadFile(filepath.Join(dir, "namespace")); string(ns) != "default" {
			t.Errorf("namespace file %q", ns)
		}
	})
	t.Run("pods/log through the API server", func(t *testing.T) {
		var body []byte
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := c.Do(ctx, &client.Request{Method: http.MethodGet, Path: "/api/v1/namespaces/default/pods/web/log", Accept: "*/*"})
			if err == nil {
				body = resp.Body
				if strings.Contains(string(body), "hello-from-pod") {
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("logs %q", body)
	})
	t.Run("unauthenticated refused", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: sec.Bundle.CA.Pool()}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get("https://" + kln.Addr().String() + "/pods")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("kubectl logs", func(t *testing.T) {
		testenv.Need(t, "kubectl")
		kc := filepath.Join(t.TempDir(), "kubeconfig")
		if err := sec.WriteKubeconfig(kc, host, "admin", "system:masters"); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("kubectl", "--kubeconfig", kc, "logs", "web").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "hello-from-pod") {
			t.Errorf("kubectl logs: %v: %s", err, out)
		}
	})
}

func TestKubeletAPIEndpoints(t *testing.T) {
	c := startAPI(t)
	rt, err := fake.New(&fake.Options{Images: []string{"img:1"}})
	if err != nil {
		t.Fatal(err)
	}
	opts := fastOptions(t, "n1")
	k, err := kubelet.New(c, rt, rt, &opts)
	if err != nil {
		t.Fatal(err)
	}
	kctx, kcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(kctx) }()
	t.Cleanup(func() { kcancel(); <-done })
	e := &env{c: c}
	e.create(t, pod("web", ctr("app", "sh", "-c", "echo one; echo two; echo three; sleep 3600")))
	e.create(t, pod("crash", ctr("app", "sh", "-c", "echo boom; exit 1")))
	e.waitPod(t, "web", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
	e.waitPod(t, "crash", "restarted", func(p *core.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	hs := httptest.NewServer(k.Handler(kubelet.ServerOptions{Tokens: []string{"s3cret"}}))
	defer hs.Close()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		name, path, token string
		code              int
		want              string
	}{
		{"no token", "/healthz", "", 401, ""},
		{"wrong token", "/healthz", "nope", 401, ""},
		{"healthz", "/healthz", "s3cret", 200, "ok"},
		{"pods", "/pods", "s3cret", 200, `"name":"web"`},
		{"logs", "/containerLogs/default/web/app", "s3cret", 200, "one\ntwo\nthree\n"},
		{"logs tail", "/containerLogs/default/web/app?tailLines=1", "s3cret", 200, "three\n"},
		{"logs unknown pod", "/containerLogs/default/nope/app", "s3cret", 404, ""},
		{"logs previous", "/containerLogs/default/crash/app?previous=true&timestamps=true", "s3cret", 200, "Z boom\n"},
		{"exec", "/exec/default/web/app?command=echo&command=hi", "s3cret", 200, "hi"},
		{"metrics", "/metrics", "s3cret", 200, "kubelet_running_pods 3"},
		{"stats", "/stats/summary", "s3cret", 200, `"nodeName":"n1"`},
	}
	t.Run("logs follow", func(t *testing.T) {
		e.create(t, pod("follow", ctr("app", "sh", "-c", "echo a; sleep 1; echo b")))
		e.waitPod(t, "follow", "Running", func(p *core.Pod) bool { return p.Status.Phase == core.PodRunning })
		// Follow returns once the container has exited, with what it wrote
		// meanwhile.
		code, body := get("/containerLogs/default/follow/app?follow=true", "s3cret")
		if code != 200 || body != "a\nb\n" {
			t.Errorf("follow = %d %q", code, body)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			deadline := time.Now().Add(5 * time.Second)
			for {
				code, body := get(tc.path, tc.token)
				ok := code == tc.code && strings.Contains(body, tc.want)
				if tc.name == "logs tail" {
					ok = ok && body == tc.want
				}
				if ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("GET %s = %d %q", tc.path, code, body)
				}
				time.Sleep(50 * time.Millisecond) // the log is written as the container runs
			}
		})
	}
}
