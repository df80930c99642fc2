package framework

import (
	"testing"

	"github.com/longshore/longshore/api/core"
)

func TestPodRequests(t *testing.T) {
	always := core.ContainerRestartPolicyAlways
	tests := []struct {
		name    string
		pod     core.PodSpec
		nonZero bool
		cpu     int64
		mem     int64
		gpu     int64
	}{
		{"sum of containers", core.PodSpec{Containers: []core.Container{container(rl("cpu", "100m", "memory", "1Ki")), container(rl("cpu", "200m", "memory", "1Ki"))}}, false, 300, 2048, 0},
		{"init container larger", core.PodSpec{InitContainers: []core.Container{container(rl("cpu", "1", "memory", "1Ki"))}, Containers: []core.Container{container(rl("cpu", "100m", "memory", "4Ki"))}}, false, 1000, 4096, 0},
		{"sidecar adds to containers", core.PodSpec{
			InitContainers: []core.Container{{Name: "s", RestartPolicy: &always, Resources: core.ResourceRequirements{Requests: rl("cpu", "50m")}}, container(rl("cpu", "120m"))},
			Containers:     []core.Container{container(rl("cpu", "100m"))}}, false, 170, 0, 0},
		{"overhead", core.PodSpec{Containers: []core.Container{container(rl("cpu", "100m"))}, Overhead: rl("cpu", "10m", "memory", "1Ki")}, false, 110, 1024, 0},
		{"extended", core.PodSpec{Containers: []core.Container{container(rl("example.com/gpu", "2"))}}, false, 0, 0, 2},
		{"non-zero defaults", core.PodSpec{Containers: []core.Container{container(nil), container(rl("cpu", "1"))}}, true, 1100, 2 * DefaultMemoryRequest, 0},
		{"zero without defaults", core.PodSpec{Containers: []core.Container{container(nil)}}, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := PodRequests(&core.Pod{Spec: tt.pod}, tt.nonZero)
			if r.MilliCPU != tt.cpu || r.Memory != tt.mem || r.ScalarResources["example.com/gpu"] != tt.gpu {
				t.Errorf("got cpu=%d mem=%d gpu=%d, want %d %d %d", r.MilliCPU, r.Memory, r.ScalarResources["example.com/gpu"], tt.cpu, tt.mem, tt.gpu)
			}
		})
	}
}

func TestResourceArithmetic(t *testing.T) {
	r := NewResource(rl("cpu", "1", "memory", "1Gi", "pods", "110", "ephemeral-storage", "1Gi", "example.com/gpu", "4", "hugepages-2Mi", "2Mi", "kubernetes.io/foo", "1"))
	if r.MilliCPU != 1000 || r.AllowedPodNumber != 110 || r.Get("example.com/gpu") != 4 || r.Get("hugepages-2Mi") != 2<<20 || r.Get("kubernetes.io/foo") != 0 {
		t.Fatalf("NewResource = %+v", r)
	}
	c := r.Clone()
	c.SubResource(r)
	if !c.IsZero() || r.IsZero() {
		t.Errorf("Clone/SubResource: %+v %+v", c, r)
	}
	c.SetMaxResource(r)
	if c.MilliCPU != 1000 || c.Get("example.com/gpu") != 4 {
		t.Errorf("SetMaxResource: %+v", c)
	}
	for name, want := range map[core.ResourceName]bool{"example.com/gpu": true, "cpu": false, "kubernetes.io/x": false, "requests.example.com/x": false, "hugepages-1Gi": true, "a.kubernetes.io/b": false} {
		if got := IsScalarResourceName(name); got != want {
			t.Errorf("IsScalarResourceName(%q) = %v", name, got)
		}
	}
}
