package testenv

import (
	"strings"
	"testing"
)

// recorder captures Skip and Fatal without ending the calling test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = f }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = f }

func TestMissingSkipsOrFails(t *testing.T) {
	t.Setenv(EnvVar, "")
	r := &recorder{TB: t}
	Need(r, "definitely-not-a-program-longshore")
	if r.skipped == "" || r.failed != "" {
		t.Fatalf("without %s a missing program must skip: skipped=%q failed=%q", EnvVar, r.skipped, r.failed)
	}
	t.Setenv(EnvVar, "require")
	r = &recorder{TB: t}
	Need(r, "definitely-not-a-program-longshore")
	if r.failed == "" || !strings.Contains(r.failed, "prerequisite") {
		t.Fatalf("with %s=require a missing program must fail: skipped=%q failed=%q", EnvVar, r.skipped, r.failed)
	}
}

func TestNeedFindsPrograms(t *testing.T) {
	r := &recorder{TB: t}
	paths := Need(r, "sh")
	if r.skipped != "" || r.failed != "" || len(paths) != 1 {
		t.Fatalf("sh must be found: %v %q %q", paths, r.skipped, r.failed)
	}
}
