package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/store/bolt"
)

// kubectlEnv runs the machine's kubectl against a secure Longshore API
// server on a durable bolt store, started by the test.
type kubectlEnv struct {
	t          *testing.T
	kubectl    string
	kubeconfig string
	dir        string
}

func startKubectlEnv(t *testing.T) *kubectlEnv {
	t.Helper()
	paths := testenv.Need(t, "kubectl")
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
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ctx, ln, sec.TLS) }()
	t.Cleanup(func() { cancel(); <-done })
	kc := filepath.Join(dir, "admin.kubeconfig")
	if err := sec.WriteKubeconfig(kc, "https://"+ln.Addr().String(), "longshore-admin", "system:masters"); err != nil {
		t.Fatal(err)
	}
	// A second, unprivileged user for auth can-i.
	if err := sec.WriteKubeconfig(filepath.Join(dir, "dev.kubeconfig"), "https://"+ln.Addr().String(), "dev"); err != nil {
		t.Fatal(err)
	}
	return &kubectlEnv{t: t, kubectl: paths[0], kubeconfig: kc, dir: dir}
}

// run runs kubectl and fails the test on a non-zero exit.
func (e *kubectlEnv) run(args ...string) string {
	e.t.Helper()
	out, err := e.try(args...)
	if err != nil {
		e.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *kubectlEnv) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.kubectl, append([]string{"--kubeconfig", e.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "KUBECACHEDIR="+filepath.Join(e.dir, "cache"))
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

func (e *kubectlEnv) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        ports: [{containerPort: 8080, name: http}]
        env: [{name: MODE, value: fast}]
      - name: log
        image: registry.example/log:1.0
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {tier: config}}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.ops.example.com}
spec:
  group: ops.example.com
  scope: Namespaced
  names: {plural: backups, singular: backup, kind: Backup, shortNames: [bk]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Schedule, type: string, jsonPath: .spec.schedule}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [schedule]
            properties:
              schedule: {type: string}
              keep: {type: integer, minimum: 1, default: 3}
`

const backup = `apiVersion: ops.example.com/v1
kind: Backup
metadata: {name: nightly}
spec: {schedule: "0 3 * * *"}
`

func TestKubectlEndToEnd(t *testing.T) {
	e := startKubectlEnv(t)
	e.run("apply", "-f", e.write("app.yaml", manifests))
	// The CRD's resource appears once established.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := e.try("apply", "-f", e.write("backup.yaml", backup)); err == nil {
			mustContain(t, out, "backup.ops.example.com/nightly created")
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("custom resource never accepted: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// get: table, json, yaml, selectors, all namespaces.
	mustContain(t, e.run("get", "deployments"), "NAME", "web")
	mustContain(t, e.run("get", "backups"), "SCHEDULE", "0 3 * * *")
	var dep struct {
		Spec struct {
			Replicas int `json:"replicas"`
			Strategy struct {
				Type string `json:"type"`
			} `json:"strategy"`
		} `json:"spec"`
		Metadata struct {
			Generation int `json:"generation"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(e.run("get", "deployment", "web", "-o", "json")), &dep); err != nil {
		t.Fatal(err)
	}
	if dep.Spec.Replicas != 2 || dep.Spec.Strategy.Type != "RollingUpdate" || dep.Metadata.Generation != 1 {
		t.Fatalf("deployment as stored: %+v", dep)
	}
	mustContain(t, e.run("get", "configmap", "settings", "-o", "yaml"), "mode: fast", "kind: ConfigMap")
	mustContain(t, e.run("get", "configmaps", "-l", "tier=config"), "settings")
	if out := e.run("get", "configmaps", "-l", "tier=none"); strings.Contains(out, "settings") {
		t.Fatalf("label selector did not filter:\n%s", out)
	}
	mustContain(t, e.run("get", "configmaps", "--field-selector", "metadata.name=settings"), "settings")
	mustContain(t, e.run("get", "namespaces", "-A"), "kube-system", "kube-node-lease")
	mustContain(t, e.run("get", "secret", "creds", "-o", "jsonpath={.data.password}"), "aHVudGVyMg==")
	mustContain(t, e.run("describe", "configmap", "settings"), "Name:", "settings", "mode")

	// label, annotate, patch (merge, json, strategic), scale.
	e.run("label", "configmap", "settings", "owner=ops")
	e.run("annotate", "configmap", "settings", "note=hello")
	mustContain(t, e.run("get", "configmap", "settings", "--show-labels"), "owner=ops")
	e.run("patch", "configmap", "settings", "--type", "merge", "-p", `{"data":{"extra":"1"}}`)
	e.run("patch", "configmap", "settings", "--type", "json", "-p", `[{"op":"add","path":"/data/json","value":"2"}]`)
	e.run("patch", "deployment", "web", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:1.1"}]}}}}`)
	images := e.run("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[*].image}")
	if images != "registry.example/web:1.1 registry.example/log:1.0" {
		t.Fatalf("strategic patch must change one container and keep the other: %q", images)
	}
	mustContain(t, e.run("get", "configmap", "settings", "-o", "jsonpath={.data}"), `"extra":"1"`, `"json":"2"`)
	e.run("scale", "deployment", "web", "--replicas", "4")
	if got := e.run("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"); got != "4" {
		t.Fatalf("scaled replicas = %q", got)
	}

	// A second apply of a changed manifest updates in place.
	changed := strings.Replace(manifests, "replicas: 2", "replicas: 3", 1)
	changed = strings.Replace(changed, "data: {mode: fast}", "data: {mode: slow}", 1)
	out := e.run("apply", "-f", e.write("app2.yaml", changed))
	mustContain(t, out, "deployment.apps/web configured", "configmap/settings configured", "service/web unchanged")
	if got := e.run("get", "configmap", "settings", "-o", "jsonpath={.data.mode}"); got != "slow" {
		t.Fatalf("re-applied configmap mode = %q", got)
	}

	// Discovery and access reviews.
	mustContain(t, e.run("api-resources"), "deployments", "backups", "customresourcedefinitions", "pods")
	if out := strings.TrimSpace(e.run("auth", "can-i", "delete", "pods")); out != "yes" {
		t.Fatalf("admin can-i delete pods: %q", out)
	}
	dev := filepath.Join(e.dir, "dev.kubeconfig")
	out, _ = e.try("--kubeconfig", dev, "auth", "can-i", "delete", "pods")
	if strings.TrimSpace(out) != "no" {
		t.Fatalf("dev can-i delete pods: %q", out)
	}
	if out, err := e.try("--kubeconfig", dev, "get", "secrets"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Fatalf("dev must be forbidden to list secrets: %v\n%s", err, out)
	}

	// Namespaces and watches.
	e.run("create", "namespace", "team-a")
	mustContain(t, e.run("get", "namespace", "team-a"), "Active")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watch := exec.CommandContext(ctx, e.kubectl, "--kubeconfig", e.kubeconfig, "get", "configmaps", "-n", "team-a", "-w", "--output-watch-events")
	watch.Env = append(os.Environ(), "HOME="+e.dir)
	var wbuf syncBuffer
	watch.Stdout, watch.Stderr = &wbuf, &wbuf
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	e.run("create", "configmap", "watched", "-n", "team-a", "--from-literal=a=b")
	for !strings.Contains(wbuf.String(), "watched") {
		if ctx.Err() != nil {
			t.Fatalf("kubectl get -w never showed the new object:\n%s", wbuf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	mustContain(t, wbuf.String(), "ADDED")
	watch.Process.Kill()
	watch.Wait()

	// Deletes: with --cascade=orphan the object keeps an orphan finalizer
	// until the garbage collector runs; background deletes are immediate.
	e.run("delete", "service", "web")
	if out, err := e.try("get", "service", "web"); err == nil || !strings.Contains(out, "NotFound") {
		t.Fatalf("deleted service still there: %s", out)
	}
	e.run("delete", "backup", "nightly")
	e.run("delete", "configmap", "settings", "--cascade=background")
	e.run("delete", "deployment", "web", "--cascade=orphan", "--wait=false")
	mustContain(t, e.run("get", "deployment", "web", "-o", "jsonpath={.metadata.finalizers}"), "orphan")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
