package ocibuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/longshore/longshore/internal/testenv"
)

// readArchive returns the archive's entries by name.
func readArchive(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = b
	}
}

func blob(t testing.TB, entries map[string][]byte, d digest.Digest) []byte {
	t.Helper()
	b, ok := entries[blobPath(d)]
	if !ok {
		t.Fatalf("blob %s missing", d)
	}
	if digest.FromBytes(b) != d {
		t.Fatalf("blob %s has digest %s", d, digest.FromBytes(b))
	}
	return b
}

func TestWriteLayout(t *testing.T) {
	var buf bytes.Buffer
	built, err := Write(&buf, &Image{
		Ref: "localhost/test/app:v1",
		Files: []File{
			{Path: "/bin/app", Mode: 0o755, Data: []byte("#!/bin/sh\n")},
			{Path: "/bin/sh", Mode: fs.ModeSymlink, Link: "app"},
			{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		},
		Entrypoint: []string{"/bin/app"},
		Cmd:        []string{"serve"},
		Env:        []string{"A=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	entries := readArchive(t, buf.Bytes())
	var layout ocispec.ImageLayout
	if err := json.Unmarshal(entries["oci-layout"], &layout); err != nil || layout.Version != ocispec.ImageLayoutVersion {
		t.Fatalf("oci-layout = %s, %v", entries["oci-layout"], err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(entries["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json = %s, %v", entries["index.json"], err)
	}
	md := index.Manifests[0]
	if md.Digest != built.Manifest || md.Annotations["io.containerd.image.name"] != "localhost/test/app:v1" || md.Annotations[ocispec.AnnotationRefName] != "v1" {
		t.Fatalf("index descriptor = %+v, built %+v", md, built)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(blob(t, entries, md.Digest), &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.Digest != built.Config || len(m.Layers) != 1 {
		t.Fatalf("manifest = %+v", m)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(blob(t, entries, m.Config.Digest), &cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Config.Entrypoint, " ") != "/bin/app" || strings.Join(cfg.Config.Cmd, " ") != "serve" || cfg.OS != "linux" {
		t.Fatalf("config = %+v", cfg)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob(t, entries, m.Layers[0].Digest)))
	if err != nil {
		t.Fatal(err)
	}
	layerTar, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(layerTar) != cfg.RootFS.DiffIDs[0] {
		t.Fatalf("diff ID %s does not match the layer %s", cfg.RootFS.DiffIDs[0], digest.FromBytes(layerTar))
	}
	tr := tar.NewReader(bytes.NewReader(layerTar))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, fmt.Sprintf("%s:%c:%o:%s", hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Linkname))
	}
	want := "bin/:5:755: bin/app:0:755: bin/sh:2:777:app tmp/:5:1777:"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("layer entries = %s, want %s", got, want)
	}
	// Same input, same bytes.
	var again bytes.Buffer
	if _, err := Write(&again, &Image{Ref: "localhost/test/app:v1", Files: []File{{Path: "/bin/app", Mode: 0o755, Data: []byte("#!/bin/sh\n")}, {Path: "/bin/sh", Mode: fs.ModeSymlink, Link: "app"}, {Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777}}, Entrypoint: []string{"/bin/app"}, Cmd: []string{"serve"}, Env: []string{"A=1"}}); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Fatalf("build is not reproducible (err %v)", err)
	}
}

func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		img  *Image
	}{
		{"nil", nil},
		{"no tag", &Image{Ref: "localhost/x@sha256:" + strings.Repeat("a", 64)}},
		{"bad ref", &Image{Ref: "bad ref:1"}},
		{"relative path", &Image{Ref: "x:1", Files: []File{{Path: "bin/x"}}}},
		{"root", &Image{Ref: "x:1", Files: []File{{Path: "/"}}}},
		{"duplicate", &Image{Ref: "x:1", Files: []File{{Path: "/a"}, {Path: "/a/"}}}},
		{"file and dir", &Image{Ref: "x:1", Files: []File{{Path: "/a"}, {Path: "/a/b"}}}},
		{"symlink without target", &Image{Ref: "x:1", Files: []File{{Path: "/a", Mode: fs.ModeSymlink}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Write(io.Discard, tt.img); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Write = %v, want ErrInvalid", err)
			}
		})
	}
}

// buildProgram compiles a shipped program once per test.
func buildProgram(t *testing.T, program string) string {
	t.Helper()
	testenv.Need(t, "go")
	bin := filepath.Join(t.TempDir(), program)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := BuildGo(ctx, program, bin); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("file", bin).Output()
	if err == nil && !strings.Contains(string(out), "statically linked") {
		t.Fatalf("%s is not static: %s", program, out)
	}
	return bin
}

func TestTestServerProgram(t *testing.T) {
	bin := buildProgram(t, ProgramTestServer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "-listen", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	host, _ := os.Hostname()
	var body string
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.TrimSpace(body) != host {
		t.Fatalf("GET / = %q, want hostname %q", body, host)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "ok" {
		t.Fatalf("/healthz = %q", b)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM must end the server with 0: %v", err)
	}

	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"crash", "3"}, 3},
		{[]string{"sleep", "0.01"}, 0},
		{[]string{"bogus"}, 2},
	} {
		err := exec.Command(bin, tt.args...).Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code {
			t.Errorf("testserver %v exited %d, want %d", tt.args, code, tt.code)
		}
	}
}

func TestPauseProgram(t *testing.T) {
	bin := buildProgram(t, ProgramPause)
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("pause exited on its own: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("pause after SIGINT: %v", err)
	}
}

// TestSkopeoReadsArchives checks the archives with an independent reader.
func TestSkopeoReadsArchives(t *testing.T) {
	skopeo := testenv.Need(t, "skopeo")
	testenv.NeedFile(t, DefaultBusybox)
	ctx := context.Background()
	img, err := Busybox(ctx, "localhost/longshore/busybox:test", "")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	built, err := WriteFile(archive, img)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(skopeo[0], "inspect", "--raw", "oci-archive:"+archive).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v: %s", err, out)
	}
	if digest.FromBytes(out) != built.Manifest {
		t.Fatalf("skopeo sees manifest %s, built %s", digest.FromBytes(out), built.Manifest)
	}
}
