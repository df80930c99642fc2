package kubelet

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		name  string
		files map[string]volumeFile
		want  map[string]string
	}{
		{"first", map[string]volumeFile{"a": {[]byte("1"), 0o644}, "sub/b": {[]byte("2"), 0o600}}, map[string]string{"a": "1", "sub/b": "2"}},
		{"update", map[string]volumeFile{"a": {[]byte("3"), 0o644}}, map[string]string{"a": "3"}},
		{"same", map[string]volumeFile{"a": {[]byte("3"), 0o644}}, map[string]string{"a": "3"}},
	}
	var lastTarget string
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := writeAtomic(dir, s.files); err != nil {
				t.Fatal(err)
			}
			for p, v := range s.want {
				b, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil || string(b) != v {
					t.Errorf("%s = %q, %v; want %q", p, b, err, v)
				}
			}
			if _, err := os.Lstat(filepath.Join(dir, "sub")); s.name != "first" && err == nil {
				t.Error("stale entry sub kept")
			}
			target, err := os.Readlink(filepath.Join(dir, "..data"))
			if err != nil {
				t.Fatal(err)
			}
			if s.name == "same" && target != lastTarget {
				t.Errorf("unchanged payload rewritten: %s -> %s", lastTarget, target)
			}
			if s.name == "update" && target == lastTarget {
				t.Error("..data not swapped")
			}
			lastTarget = target
			if l, _ := os.Readlink(filepath.Join(dir, "a")); l != "..data/a" {
				t.Errorf("a links to %q", l)
			}
			ents, _ := os.ReadDir(dir)
			payloads := 0
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "..") && e.Name() != "..data" {
					payloads++
				}
			}
			if payloads != 1 {
				t.Errorf("%d payload dirs", payloads)
			}
		})
	}
	if err := writeAtomic(dir, map[string]volumeFile{"../x": {nil, 0o644}}); err == nil {
		t.Error("path escaping the volume accepted")
	}
}

func TestReadLogLines(t *testing.T) {
	cases := []struct {
		name, in   string
		timestamps bool
		want       []string
		rest       string
	}{
		{"full", "2026-01-01T00:00:00Z stdout F hello\n2026-01-01T00:00:01Z stderr F world\n", false, []string{"hello\n", "world\n"}, ""},
		{"partial joined", "t1 stdout P hel\nt2 stdout F lo\n", true, []string{"t1 hello\n"}, ""},
		{"incomplete tail", "t1 stdout F a\nt2 stdout F b", false, []string{"a\n"}, "t2 stdout F b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, rest := readLogLines(bufio.NewReader(strings.NewReader(c.in)), c.timestamps, "")
			if strings.Join(got, "|") != strings.Join(c.want, "|") || rest != c.rest {
				t.Errorf("got %q rest %q", got, rest)
			}
		})
	}
}

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"A": "x", "B": "y"}
	cases := map[string]string{"$(A)-$(B)": "x-y", "$$(A)": "$(A)", "$(C)": "$(C)", "plain": "plain", "$": "$"}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			if got := expandVars(in, vars); got != want {
				t.Errorf("expandVars(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestContainerResources(t *testing.T) {
	rl := func(kv ...string) core.ResourceList {
		out := core.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			out[core.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return out
	}
	cases := []struct {
		name                    string
		req, lim                core.ResourceList
		shares, quota, mem, oom int64
		qos                     core.PodQOSClass
	}{
		{"best effort", nil, nil, 2, 0, 0, 1000, core.PodQOSBestEffort},
		{"guaranteed", rl("cpu", "500m", "memory", "1Gi"), rl("cpu", "500m", "memory", "1Gi"), 512, 50000, 1 << 30, -997, core.PodQOSGuaranteed},
		{"burstable", rl("cpu", "250m", "memory", "1Gi"), rl("cpu", "1"), 256, 100000, 0, 875, core.PodQOSBurstable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pod := &core.Pod{Spec: core.PodSpec{Containers: []core.Container{{Name: "a", Resources: core.ResourceRequirements{Requests: c.req, Limits: c.lim}}}}}
			r := containerResources(pod, &pod.Spec.Containers[0], resource.MustParse("8Gi"))
			if r.CpuShares != c.shares || r.CpuQuota != c.quota || r.MemoryLimitInBytes != c.mem || r.OomScoreAdj != c.oom {
				t.Errorf("got shares %d quota %d mem %d oom %d", r.CpuShares, r.CpuQuota, r.MemoryLimitInBytes, r.OomScoreAdj)
			}
			if q := QOSClass(pod); q != c.qos {
				t.Errorf("qos %s", q)
			}
		})
	}
}
