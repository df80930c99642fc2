package containerdproc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/internal/testenv"
)

// Registry is a loopback OCI registry (Debian's docker-registry, the
// distribution registry) serving plain HTTP from a temp dir. Give Addr to
// Options.RegistryMirrors so containerd's CRI pulls from it.
type Registry struct {
	// Addr is "127.0.0.1:PORT".
	Addr   string
	skopeo string
}

// StartRegistryForTest starts a registry for t, gated on docker-registry and
// skopeo, and stops it in t.Cleanup.
func StartRegistryForTest(t testing.TB) *Registry {
	t.Helper()
	bins := testenv.Need(t, "docker-registry", "skopeo")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bins[0], "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry on %s not answering: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Registry{Addr: addr, skopeo: bins[1]}
}

// Push copies an OCI archive into the registry as name:tag (a repository
// path such as "longshore/busybox:1") and returns the pullable reference.
func (r *Registry) Push(ctx context.Context, archive, nameTag string) (string, error) {
	ref := r.Addr + "/" + nameTag
	out, err := exec.CommandContext(ctx, r.skopeo, "copy", "--dest-tls-verify=false", "oci-archive:"+archive, "docker://"+ref).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("containerdproc: skopeo copy to %s: %w: %s", ref, err, bytes.TrimSpace(out))
	}
	return ref, nil
}

// PushImage writes img as an archive in dir and pushes it as nameTag.
func (r *Registry) PushImage(ctx context.Context, img *ocibuild.Image, dir, nameTag string) (string, error) {
	archive := filepath.Join(dir, fmt.Sprintf("push-%d.tar", time.Now().UnixNano()))
	if _, err := ocibuild.WriteFile(archive, img); err != nil {
		return "", fmt.Errorf("containerdproc: %w", err)
	}
	defer os.Remove(archive)
	return r.Push(ctx, archive, nameTag)
}
