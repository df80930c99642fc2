package ocibuild

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed internal/pause/main.go internal/testserver/main.go
var programs embed.FS

// Program names accepted by BuildGo.
const (
	ProgramPause      = "pause"
	ProgramTestServer = "testserver"
)

// BuildGo compiles one of the programs shipped with this package
// (ProgramPause, ProgramTestServer) into a static binary at out, with
// CGO_ENABLED=0, in a scratch module under a temp dir: it needs the go
// command on PATH and nothing from the network.
func BuildGo(ctx context.Context, program, out string) error {
	src, err := programs.ReadFile("internal/" + program + "/main.go")
	if err != nil {
		return fmt.Errorf("%w: unknown program %q", ErrInvalid, program)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("ocibuild: build %s: %w", program, err)
	}
	dir, err := os.MkdirTemp("", "ocibuild-"+program)
	if err != nil {
		return fmt.Errorf("ocibuild: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		return fmt.Errorf("ocibuild: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module longshore.local/"+program+"\n\ngo 1.22\n"), 0o644); err != nil {
		return fmt.Errorf("ocibuild: %w", err)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("ocibuild: %w", err)
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", abs, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ocibuild: go build %s: %w: %s", program, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// goImage builds program into workDir and returns an image running it as
// /<program>.
func goImage(ctx context.Context, ref, program, workDir string, cmd []string) (*Image, error) {
	bin := filepath.Join(workDir, program)
	if err := BuildGo(ctx, program, bin); err != nil {
		return nil, err
	}
	return &Image{
		Ref:        ref,
		Files:      []File{{Path: "/" + program, Mode: 0o755, Source: bin}, {Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777}},
		Entrypoint: []string{"/" + program},
		Cmd:        cmd,
		Env:        []string{"PATH=/"},
	}, nil
}

// Pause returns the pause image named ref; its binary is compiled into
// workDir (which must exist).
func Pause(ctx context.Context, ref, workDir string) (*Image, error) {
	return goImage(ctx, ref, ProgramPause, workDir, nil)
}

// TestServer returns the test server image named ref, serving on :8080 by
// default; its binary is compiled into workDir (which must exist).
func TestServer(ctx context.Context, ref, workDir string) (*Image, error) {
	return goImage(ctx, ref, ProgramTestServer, workDir, []string{"serve"})
}

// DefaultBusybox is where Debian's busybox-static puts the binary.
const DefaultBusybox = "/bin/busybox"

// Busybox returns an image named ref with the static busybox at
// busyboxPath ("" means DefaultBusybox) as /bin/busybox, a /bin symlink for
// each of its applets, and the usual empty directories. Its default command
// is sh. It fails if the binary is missing or cannot list its applets.
func Busybox(ctx context.Context, ref, busyboxPath string) (*Image, error) {
	if busyboxPath == "" {
		busyboxPath = DefaultBusybox
	}
	out, err := exec.CommandContext(ctx, busyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("ocibuild: %s --list: %w", busyboxPath, err)
	}
	files := []File{{Path: "/bin/busybox", Mode: 0o755, Source: busyboxPath}}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		files = append(files, File{Path: "/bin/" + applet, Mode: fs.ModeSymlink, Link: "busybox"})
	}
	for _, d := range []string{"/etc", "/root", "/var", "/proc", "/sys", "/dev"} {
		files = append(files, File{Path: d, Mode: fs.ModeDir | 0o755})
	}
	files = append(files, File{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777})
	return &Image{
		Ref:   ref,
		Files: files,
		Cmd:   []string{"sh"},
		Env:   []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
	}, nil
}
