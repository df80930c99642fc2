package deployment

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/store/bolt"
)

// TestKubectlRollout drives rollout status, history, undo, pause and
// resume with the machine's kubectl against a secure in-process server.
func TestKubectlRollout(t *testing.T) {
	kubectl := testenv.Need(t, "kubectl")[0]
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, sec, err := apiserver.NewSecure(apiserver.Config{Store: db}, apiserver.SecureOptions{PKIDir: filepath.Join(dir, "pki")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, ln, sec.TLS) }()
	t.Cleanup(func() { cancel(); <-done })
	kc := filepath.Join(dir, "admin.kubeconfig")
	if err := sec.WriteKubeconfig(kc, "https://"+ln.Addr().String(), "longshore-admin", "system:masters"); err != nil {
		t.Fatal(err)
	}
	cfg, err := client.LoadKubeconfig(kc, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS = -1
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	startEnv(t, c)

	run := func(args ...string) string {
		t.Helper()
		cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, kubectl, append([]string{"--kubeconfig", kc, "-n", "default"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "KUBECACHEDIR="+filepath.Join(dir, "cache"))
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, buf.String())
		}
		return buf.String()
	}
	manifest := filepath.Join(dir, "deploy.yaml")
	write := func(image string) {
		t.Helper()
		y := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: image ` + image + `
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: ` + image + `
`
		if err := os.WriteFile(manifest, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("img:1")
	run("apply", "-f", manifest)
	if out := run("rollout", "status", "deployment/web", "--timeout=60s"); !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("rollout status: %s", out)
	}
	write("img:2")
	run("apply", "-f", manifest)
	if out := run("rollout", "status", "deployment/web", "--timeout=60s"); !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("rollout status after update: %s", out)
	}
	hist := run("rollout", "history", "deployment/web")
	if !strings.Contains(hist, "image img:1") || !strings.Contains(hist, "image img:2") {
		t.Fatalf("rollout history lacks the change causes:\n%s", hist)
	}
	if out := run("rollout", "history", "deployment/web", "--revision=1"); !strings.Contains(out, "img:1") {
		t.Fatalf("history of revision 1:\n%s", out)
	}
	run("rollout", "undo", "deployment/web")
	run("rollout", "status", "deployment/web", "--timeout=60s")
	if img := run("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}"); img != "img:1 3" {
		t.Fatalf("after undo: image and revision %q, want \"img:1 3\"", img)
	}
	hist = run("rollout", "history", "deployment/web")
	if !strings.Contains(hist, "3 ") || strings.Contains(hist, "\n1 ") {
		t.Fatalf("history after undo should list revisions 2 and 3:\n%s", hist)
	}
	run("rollout", "pause", "deployment/web")
	if p := run("get", "deployment", "web", "-o", "jsonpath={.spec.paused}"); p != "true" {
		t.Fatalf("paused = %q", p)
	}
	run("set", "image", "deployment/web", "c=img:3")
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(run("get", "replicasets", "-l", "app=web", "-o", "name"), "\n"); n != 2 {
		t.Fatalf("%d replica sets while paused, want 2", n)
	}
	run("rollout", "resume", "deployment/web")
	if out := run("rollout", "status", "deployment/web", "--timeout=60s"); !strings.Contains(out, "successfully rolled out") {
		t.Fatalf("rollout status after resume: %s", out)
	}
	if img := run("get", "deployment", "web", "-o", "jsonpath={.status.updatedReplicas}/{.status.availableReplicas}"); img != "3/3" {
		t.Fatalf("status after resume %q", img)
	}
}
