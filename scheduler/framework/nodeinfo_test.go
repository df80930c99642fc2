package framework

import (
	"errors"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

func TestNodeInfoAddRemove(t *testing.T) {
	ni := NewNodeInfo()
	ni.SetNode(testNode("n1", rl("cpu", "4", "memory", "8Gi", "pods", "10")))
	g0 := ni.Generation
	p1 := testPod("p1", "n1", container(rl("cpu", "1", "memory", "1Gi")))
	p1.Spec.Containers[0].Ports = []core.ContainerPort{{HostPort: 80, ContainerPort: 80}}
	p2 := testPod("p2", "n1", container(nil))
	p2.Spec.Affinity = &core.Affinity{PodAntiAffinity: &core.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []core.PodAffinityTerm{{
		LabelSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, TopologyKey: core.LabelHostname}}}}
	for _, p := range []*core.Pod{p1, p2} {
		if err := ni.AddPod(p); err != nil {
			t.Fatal(err)
		}
	}
	if ni.Generation <= g0 {
		t.Error("generation did not increase")
	}
	if ni.Requested.MilliCPU != 1000 || ni.NonZeroRequested.MilliCPU != 1100 || ni.NonZeroRequested.Memory != 1<<30+DefaultMemoryRequest {
		t.Errorf("requested = %+v nonzero = %+v", ni.Requested, ni.NonZeroRequested)
	}
	if len(ni.PodsWithAffinity) != 1 || len(ni.PodsWithRequiredAntiAffinity) != 1 || !ni.UsedPorts.CheckConflict("", "", 80) {
		t.Errorf("affinity lists or ports wrong: %d %d %v", len(ni.PodsWithAffinity), len(ni.PodsWithRequiredAntiAffinity), ni.UsedPorts)
	}
	clone := ni.Clone()
	if err := ni.RemovePod(p1); err != nil {
		t.Fatal(err)
	}
	if err := ni.RemovePod(p2); err != nil {
		t.Fatal(err)
	}
	if !ni.Requested.IsZero() || len(ni.Pods) != 0 || len(ni.PodsWithAffinity) != 0 || ni.UsedPorts.CheckConflict("", "", 80) {
		t.Errorf("after removal: %v", ni)
	}
	if len(clone.Pods) != 2 || clone.Requested.MilliCPU != 1000 || !clone.UsedPorts.CheckConflict("", "TCP", 80) {
		t.Errorf("clone changed with the original: %v", clone)
	}
	if err := ni.RemovePod(p1); !errors.Is(err, ErrPodNotFound) {
		t.Errorf("second removal: %v", err)
	}
}

func TestHostPortConflict(t *testing.T) {
	used := HostPortInfo{}
	used.Add("127.0.0.1", core.ProtocolTCP, 8080)
	used.Add("", core.ProtocolUDP, 53)
	tests := []struct {
		ip    string
		proto core.Protocol
		port  int32
		want  bool
	}{
		{"127.0.0.1", "", 8080, true},
		{"0.0.0.0", core.ProtocolTCP, 8080, true},
		{"", "", 8080, true},
		{"10.0.0.1", core.ProtocolTCP, 8080, false},
		{"10.0.0.1", core.ProtocolUDP, 53, true},
		{"10.0.0.1", core.ProtocolTCP, 53, false},
		{"127.0.0.1", core.ProtocolTCP, 8081, false},
	}
	for _, tt := range tests {
		t.Run(tt.ip+"/"+string(tt.proto), func(t *testing.T) {
			if got := used.CheckConflict(tt.ip, tt.proto, tt.port); got != tt.want {
				t.Errorf("CheckConflict(%q, %q, %d) = %v", tt.ip, tt.proto, tt.port, got)
			}
		})
	}
}

func TestNewPodInfoTerms(t *testing.T) {
	p := testPod("p", "", container(nil))
	p.Labels = map[string]string{"app": "web", "ver": "1"}
	p.Spec.Affinity = &core.Affinity{PodAffinity: &core.PodAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution:  []core.PodAffinityTerm{{LabelSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: "zone", MatchLabelKeys: []string{"ver"}}},
		PreferredDuringSchedulingIgnoredDuringExecution: []core.WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: core.PodAffinityTerm{LabelSelector: &meta.LabelSelector{}, TopologyKey: "zone", Namespaces: []string{"other"}}}},
	}}
	pi, err := NewPodInfo(p)
	if err != nil {
		t.Fatal(err)
	}
	term := pi.RequiredAffinityTerms[0]
	other := testPod("o", "", container(nil))
	other.Labels = map[string]string{"app": "web", "ver": "2"}
	if !term.Matches(p, nil) || term.Matches(other, nil) {
		t.Error("matchLabelKeys not folded into the selector")
	}
	if pi.PreferredAffinityTerms[0].Weight != 5 || pi.PreferredAffinityTerms[0].Matches(p, nil) {
		t.Error("preferred term should only select namespace other")
	}
	bad := testPod("b", "", container(nil))
	bad.Spec.Affinity = &core.Affinity{PodAffinity: &core.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []core.PodAffinityTerm{{
		LabelSelector: &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}, TopologyKey: "zone"}}}}
	if _, err := NewPodInfo(bad); err == nil {
		t.Error("a bad selector gave no error")
	}
}

func TestSnapshot(t *testing.T) {
	n1 := testNode("b", rl("cpu", "1"))
	n1.Status.Images = []core.ContainerImage{{Names: []string{"nginx"}, SizeBytes: 100}}
	n2 := testNode("a", rl("cpu", "1"))
	n2.Status.Images = []core.ContainerImage{{Names: []string{"nginx:latest", "redis:7"}, SizeBytes: 100}}
	anti := testPod("x", "a", container(nil))
	anti.Spec.Affinity = &core.Affinity{PodAntiAffinity: &core.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []core.PodAffinityTerm{{LabelSelector: &meta.LabelSelector{}, TopologyKey: "k"}}}}
	s := NewSnapshot([]*core.Pod{anti, testPod("y", "b", container(nil)), testPod("z", "gone", container(nil))}, []*core.Node{n1, n2})
	list, _ := s.NodeInfos().List()
	if len(list) != 2 || list[0].NodeName() != "a" || list[1].NodeName() != "b" {
		t.Fatalf("List not sorted: %v", list)
	}
	if l, _ := s.NodeInfos().HavePodsWithRequiredAntiAffinityList(); len(l) != 1 || l[0].NodeName() != "a" {
		t.Errorf("HavePodsWithRequiredAntiAffinityList = %v", l)
	}
	if _, err := s.NodeInfos().Get("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(gone) = %v", err)
	}
	if got := list[0].ImageStates["nginx:latest"].NumNodes; got != 2 {
		t.Errorf("nginx on %d nodes, want 2", got)
	}
	if got := list[0].ImageStates["redis:7"].NumNodes; got != 1 {
		t.Errorf("redis on %d nodes, want 1", got)
	}
	s.SetVolumes([]*core.PersistentVolumeClaim{{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c"}}}, nil)
	if _, err := s.Volumes().PersistentVolumeClaim("ns", "c"); err != nil {
		t.Error(err)
	}
	if _, err := s.Volumes().PersistentVolume("v"); !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
}

func TestNormalizeImageName(t *testing.T) {
	for in, want := range map[string]string{"nginx": "nginx:latest", "reg:5000/app": "reg:5000/app:latest", "reg:5000/app:v1": "reg:5000/app:v1", "app@sha256:ab": "app@sha256:ab"} {
		if got := NormalizeImageName(in); got != want {
			t.Errorf("NormalizeImageName(%q) = %q, want %q", in, got, want)
		}
	}
}
