package plugins

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

func spread(key string, maxSkew int32, action core.UnsatisfiableConstraintAction, mod ...func(*core.TopologySpreadConstraint)) podOpt {
	return func(p *core.Pod) {
		c := core.TopologySpreadConstraint{MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: action, LabelSelector: &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}
		for _, m := range mod {
			m(&c)
		}
		p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, c)
	}
}

func spreadSnapshot() *framework.Snapshot {
	const zone = core.LabelTopologyZone
	web := func(name, node string) *core.Pod {
		return mkPod(name, onNode(node), podLabels("app", "web", "ver", "1"))
	}
	return framework.NewSnapshot([]*core.Pod{web("w1", "a1"), web("w2", "b1")}, []*core.Node{
		mkNode("a1", nodeLabels(zone, "z1")), mkNode("a2", nodeLabels(zone, "z1")), mkNode("b1", nodeLabels(zone, "z2")),
		mkNode("c1", nodeLabels(zone, "z3"), taints(core.Taint{Key: "t", Effect: core.TaintEffectNoSchedule})),
		mkNode("d1"),
	})
}

func TestPodTopologySpreadFilter(t *testing.T) {
	const zone = core.LabelTopologyZone
	snap := spreadSnapshot()
	fw := newFramework(t, snap, nil, nil, framework.PodTopologySpreadName)
	honor, ignore := core.NodeInclusionPolicyHonor, core.NodeInclusionPolicyIgnore
	three := int32(3)
	tests := []struct {
		name string
		pod  *core.Pod
		fit  []string
	}{
		// zone counts z1=1 z2=1 z3=0: only z3 keeps the skew within 1.
		{"zone skew 1", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule)), []string{"c1"}},
		{"zone skew 2", mkPod("p", podLabels("app", "web"), spread(zone, 2, core.DoNotSchedule)), []string{"a1", "a2", "b1", "c1"}},
		// honouring taints drops z3: min becomes 1.
		{"taints honoured", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.NodeTaintsPolicy = &honor })), []string{"a1", "a2", "b1", "c1"}},
		{"minDomains above domain count", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) {
			c.NodeTaintsPolicy = &honor
			c.MinDomains = &three
		})), []string{"c1"}},
		{"hostname", mkPod("p", podLabels("app", "web"), spread(core.LabelHostname, 1, core.DoNotSchedule)), []string{"a2", "c1", "d1"}},
		{"pod not selected by itself", mkPod("p", podLabels("app", "other"), spread(zone, 1, core.DoNotSchedule)), []string{"a1", "a2", "b1", "c1"}},
		// with nodeSelector zone=z1 and Honor (default), only z1 counts.
		{"node affinity honoured", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule), func(p *core.Pod) { p.Spec.NodeSelector = map[string]string{zone: "z1"} }), []string{"a1", "a2", "b1", "c1"}},
		{"node affinity ignored", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.NodeAffinityPolicy = &ignore }), func(p *core.Pod) { p.Spec.NodeSelector = map[string]string{zone: "z1"} }), []string{"c1"}},
		{"matchLabelKeys narrows to a new version", mkPod("p", podLabels("app", "web", "ver", "2"), spread(zone, 1, core.DoNotSchedule, func(c *core.TopologySpreadConstraint) { c.MatchLabelKeys = []string{"ver"} })), []string{"a1", "a2", "b1", "c1"}},
		{"schedule anyway does not filter", mkPod("p", podLabels("app", "web"), spread(zone, 1, core.ScheduleAnyway)), []string{"a1", "a2", "b1", "c1", "d1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			f := fits(got)
			if len(f) != len(tt.fit) {
				t.Errorf("fits %v, want %v", f, tt.fit)
			}
			for _, n := range tt.fit {
				if !f[n] {
					t.Errorf("%s: %v", n, got[n])
				}
			}
			for n, s := range got {
				switch {
				case s.IsSuccess():
				case n == "d1":
					if s.Message() != ReasonTopologySpreadMissingLabel || s.Code() != framework.UnschedulableAndUnresolvable {
						t.Errorf("d1: %v", s)
					}
				case s.Message() != ReasonTopologySpread || s.Code() != framework.Unschedulable:
					t.Errorf("%s: %v", n, s)
				}
			}
		})
	}
}

func TestPodTopologySpreadScore(t *testing.T) {
	snap := spreadSnapshot()
	fw := newFramework(t, snap, nil, nil, framework.PodTopologySpreadName)
	got := scoreNodes(t, fw, snap, mkPod("p", podLabels("app", "web"), spread(core.LabelHostname, 1, core.ScheduleAnyway)))
	want := map[string]int64{"a1": 0, "b1": 0, "a2": 100, "c1": 100, "d1": 100}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s = %d, want %d (all %v)", n, got[n], w, got)
		}
	}
	// Zone constraint: d1 has no zone label and is ignored (0).
	got = scoreNodes(t, fw, snap, mkPod("p", podLabels("app", "web"), spread(core.LabelTopologyZone, 1, core.ScheduleAnyway)))
	if got["d1"] != 0 || got["c1"] != 100 || got["a1"] >= got["c1"] || got["a1"] != got["b1"] {
		t.Errorf("zone scores %v", got)
	}
}

func TestPodTopologySpreadSystemDefaults(t *testing.T) {
	snap := spreadSnapshot()
	fw := newFramework(t, snap, nil, nil, framework.PodTopologySpreadName)
	pod := mkPod("p", podLabels("app", "web"))
	got := scoreNodes(t, fw, snap, pod)
	for n, s := range got {
		if s != 0 {
			t.Errorf("without a service the pod is not spread, but %s scored %d", n, s)
		}
	}
	snap.SetWorkloads([]*core.Service{{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web"}, Spec: core.ServiceSpec{Selector: map[string]string{"app": "web"}}}}, nil, nil)
	got = scoreNodes(t, fw, snap, pod)
	if got["a2"] <= got["a1"] || got["c1"] <= got["b1"] {
		t.Errorf("system default spreading not applied: %v", got)
	}
	// System defaults do not require every topology key: d1 is scored.
	if got["d1"] == 0 {
		t.Errorf("d1 ignored under system defaults: %v", got)
	}
	bad := map[string]string{framework.PodTopologySpreadName: `{"defaultingType":"System","defaultConstraints":[{"maxSkew":1,"topologyKey":"k","whenUnsatisfiable":"DoNotSchedule"}]}`}
	if _, err := NewPodTopologySpread(t.Context(), framework.RawArgs(bad[framework.PodTopologySpreadName]), nil); err == nil {
		t.Error("System defaulting with constraints accepted")
	}
	list := framework.RawArgs(`{"defaultingType":"List","defaultConstraints":[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"DoNotSchedule"}]}`)
	fw = newFramework(t, snap, nil, map[string]string{framework.PodTopologySpreadName: string(list)}, framework.PodTopologySpreadName)
	res, _ := filterResult(t, fw, snap, pod)
	if f := fits(res); len(f) != 3 || f["a1"] || f["b1"] {
		t.Errorf("List defaults: fits %v", f)
	}
}
