// Package testenv gates Longshore's end-to-end tests on the real components
// they need (containerd, runc, CNI plugins, nftables, etcd, kubectl, root).
//
// A test calls Need before touching a component. On a developer's machine
// without it, the test is skipped with a message saying what is missing; with
// LONGSHORE_E2E=require in the environment (CI sets it after installing the
// components) the test fails instead, so a skipped end-to-end test can never
// pass for a run.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// EnvVar is the variable that turns missing components from skips into
// failures when set to "require".
const EnvVar = "LONGSHORE_E2E"

// Required reports whether end-to-end tests must run (LONGSHORE_E2E=require).
func Required() bool { return os.Getenv(EnvVar) == "require" }

// Missing skips the test, or fails it when end-to-end tests are required,
// with a message naming what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("end-to-end prerequisite missing (%s=require): %s", EnvVar, msg)
	}
	t.Skipf("skipping end-to-end test: %s (set %s=require to make this a failure)", msg, EnvVar)
}

// Need checks that each named program is on PATH (or is an absolute path
// that exists) and returns their resolved paths in order. It calls Missing
// for the first one that is not found.
func Need(t testing.TB, programs ...string) []string {
	t.Helper()
	paths := make([]string, 0, len(programs))
	for _, p := range programs {
		path, err := exec.LookPath(p)
		if err != nil {
			Missing(t, "program %q not found: %v", p, err)
			return nil
		}
		paths = append(paths, path)
	}
	return paths
}

// NeedRoot calls Missing unless the test runs as root (network namespaces,
// nftables and containerd need it).
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "must run as root (uid %d)", os.Geteuid())
	}
}

// NeedFile calls Missing unless path exists (e.g. a CNI plugin binary).
func NeedFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s: %v", path, err)
	}
}
