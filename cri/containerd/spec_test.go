package containerd

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/containerd/containers"
	"github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestProcessArgs(t *testing.T) {
	ep, cmd := []string{"/entry"}, []string{"serve", "--flag"}
	tests := []struct {
		name          string
		command, args []string
		want          string
	}{
		{"image defaults", nil, nil, "[/entry serve --flag]"},
		{"args replace cmd", nil, []string{"run"}, "[/entry run]"},
		{"command replaces entrypoint and cmd", []string{"sh"}, nil, "[sh]"},
		{"command and args", []string{"sh", "-c"}, []string{"echo hi"}, "[sh -c echo hi]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(processArgs(ep, cmd, tt.command, tt.args)); got != tt.want {
				t.Fatalf("processArgs = %s, want %s", got, tt.want)
			}
		})
	}
	if got := processArgs(nil, nil, nil, nil); len(got) != 0 {
		t.Fatalf("no command anywhere = %v", got)
	}
}

// apply runs spec options on a minimal spec, as containerd would.
func apply(t *testing.T, s *specs.Spec, opts ...oci.SpecOpts) *specs.Spec {
	t.Helper()
	for _, o := range opts {
		if err := o(context.Background(), nil, &containers.Container{}, s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func baseSpec() *specs.Spec {
	caps := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}
	return &specs.Spec{
		Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
			Bounding: slices.Clone(caps), Effective: slices.Clone(caps), Permitted: slices.Clone(caps),
		}},
		Linux: &specs.Linux{},
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name      string
		add, drop []string
		has, not  []string
	}{
		{"add one", []string{"NET_ADMIN"}, nil, []string{"CAP_NET_ADMIN", "CAP_CHOWN"}, nil},
		{"drop one", nil, []string{"net_raw"}, []string{"CAP_CHOWN"}, []string{"CAP_NET_RAW"}},
		{"drop all add one", []string{"CAP_KILL"}, []string{"ALL"}, []string{"CAP_KILL"}, []string{"CAP_CHOWN", "CAP_NET_RAW"}},
		{"add all", []string{"ALL"}, nil, []string{"CAP_SYS_ADMIN", "CAP_CHOWN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := apply(t, baseSpec(), capabilityOpts(tt.add, tt.drop)...)
			for _, c := range tt.has {
				if !slices.Contains(s.Process.Capabilities.Bounding, c) {
					t.Errorf("missing %s in %v", c, s.Process.Capabilities.Bounding)
				}
			}
			for _, c := range tt.not {
				if slices.Contains(s.Process.Capabilities.Bounding, c) {
					t.Errorf("%s still in %v", c, s.Process.Capabilities.Bounding)
				}
			}
		})
	}
}

func TestBindMount(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		m    *runtimeapi.Mount
		want string
	}{
		{"private rw", &runtimeapi.Mount{ContainerPath: "/data", HostPath: dir}, "[rbind rprivate rw]"},
		{"readonly slave", &runtimeapi.Mount{ContainerPath: "/data", HostPath: dir, Readonly: true, Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}, "[rbind rslave ro]"},
		{"bidirectional", &runtimeapi.Mount{ContainerPath: "/data", HostPath: dir, Propagation: runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL}, "[rbind rshared rw]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := bindMount(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(m.Options) != tt.want || m.Type != "bind" || m.Source != dir || m.Destination != "/data" {
				t.Fatalf("mount = %+v, want options %s", m, tt.want)
			}
		})
	}
	missing := filepath.Join(dir, "made", "here")
	if _, err := bindMount(&runtimeapi.Mount{ContainerPath: "/x", HostPath: missing}); err != nil {
		t.Fatal(err)
	}
	if _, err := bindMount(&runtimeapi.Mount{ContainerPath: "/x"}); err == nil {
		t.Fatal("mount without host path accepted")
	}
}

func TestResourcesAndOOM(t *testing.T) {
	res := linuxResources(&runtimeapi.LinuxContainerResources{CpuShares: 512, CpuQuota: 50000, CpuPeriod: 100000, MemoryLimitInBytes: 64 << 20, CpusetCpus: "0"})
	if *res.CPU.Shares != 512 || *res.CPU.Quota != 50000 || *res.CPU.Period != 100000 || *res.Memory.Limit != 64<<20 || res.CPU.Cpus != "0" {
		t.Fatalf("resources = %+v %+v", res.CPU, res.Memory)
	}
	if empty := linuxResources(&runtimeapi.LinuxContainerResources{}); empty.CPU != nil || empty.Memory != nil {
		t.Fatalf("empty resources = %+v", empty)
	}
	cur, err := currentOOMScoreAdj()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{cur - 1, cur, cur + 10} {
		s := apply(t, baseSpec(), withOOMScoreAdj(want))
		if got := *s.Process.OOMScoreAdj; got != max(want, cur) {
			t.Errorf("oom_score_adj %d with current %d = %d, want %d", want, cur, got, max(want, cur))
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	sb := &sandbox{
		id: "sb1", meta: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "prod", Uid: "u", Attempt: 2},
		labels: map[string]string{"app": "web", "a/b": "c"}, annotations: map[string]string{"x": "y"},
		created: 42, netnsPath: "/run/netns/x", ips: []string{"198.18.0.2", "2001:db8::2"}, logDir: "/logs",
		hostname: "web-0", cgroupParent: "/kubepods",
	}
	got := sandboxFromLabels("sb1", sb.containerdLabels())
	if got.name != "web_prod_u_2" || fmt.Sprint(got.labels) != fmt.Sprint(sb.labels) || fmt.Sprint(got.annotations) != fmt.Sprint(sb.annotations) ||
		got.created != 42 || got.netnsPath != sb.netnsPath || fmt.Sprint(got.ips) != fmt.Sprint(sb.ips) || got.hostname != "web-0" || got.cgroupParent != "/kubepods" {
		t.Fatalf("sandbox round trip = %+v", got)
	}
	c := &container{
		id: "c1", sandboxID: "sb1", meta: &runtimeapi.ContainerMetadata{Name: "app", Attempt: 1},
		labels: map[string]string{"l": "v"}, annotations: map[string]string{}, image: "busybox", imageRef: "sha256:abc",
		logPath: "/logs/app.log", created: 7, stopSignal: "SIGQUIT", mounts: []*runtimeapi.Mount{{ContainerPath: "/d", HostPath: "/h", Readonly: true}},
	}
	l, err := c.containerdLabels()
	if err != nil {
		t.Fatal(err)
	}
	gc := containerFromLabels("c1", l, sb)
	if gc.name != "app_web_prod_u_1" || gc.sandboxID != "sb1" || gc.image != "busybox" || gc.imageRef != "sha256:abc" || gc.logPath != c.logPath ||
		gc.created != 7 || gc.stopSignal != "SIGQUIT" || len(gc.mounts) != 1 || gc.mounts[0].GetHostPath() != "/h" || !gc.mounts[0].GetReadonly() || gc.labels["l"] != "v" {
		t.Fatalf("container round trip = %+v", gc)
	}
}

func TestImageRefs(t *testing.T) {
	for ref, want := range map[string]string{
		"busybox":                     "docker.io/library/busybox:latest",
		"localhost/longshore/pause:1": "localhost/longshore/pause:1",
		"127.0.0.1:5000/x/y:2":        "127.0.0.1:5000/x/y:2",
	} {
		if got, err := normalize(ref); err != nil || got != want {
			t.Errorf("normalize(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := normalize("has space:1"); err == nil {
		t.Error("normalize accepted an invalid reference")
	}
	hex := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, ref := range []string{"sha256:" + hex, hex} {
		if d, ok := isImageID(ref); !ok || d.Encoded() != hex {
			t.Errorf("isImageID(%q) = %v, %v", ref, d, ok)
		}
	}
	if _, ok := isImageID("busybox:latest"); ok {
		t.Error("a tag taken for an image ID")
	}
}
