package plugins

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestNodeAffinity(t *testing.T) {
	snap := framework.NewSnapshot(nil, []*core.Node{
		mkNode("a", nodeLabels("zone", "z1", "disk", "ssd", "cores", "8")),
		mkNode("b", nodeLabels("zone", "z2", "disk", "hdd", "cores", "2")),
		mkNode("c", nodeLabels("zone", "z3")),
	})
	fw := newFramework(t, snap, nil, nil, framework.NodeAffinityName)
	required := func(terms ...core.NodeSelectorTerm) podOpt {
		return func(p *core.Pod) {
			p.Spec.Affinity = &core.Affinity{NodeAffinity: &core.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &core.NodeSelector{NodeSelectorTerms: terms}}}
		}
	}
	expr := func(key string, op core.NodeSelectorOperator, vals ...string) core.NodeSelectorTerm {
		return core.NodeSelectorTerm{MatchExpressions: []core.NodeSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
	}
	tests := []struct {
		name string
		pod  *core.Pod
		fit  []string
	}{
		{"no constraint", mkPod("p"), []string{"a", "b", "c"}},
		{"nodeSelector", mkPod("p", func(p *core.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), []string{"a"}},
		{"In", mkPod("p", required(expr("zone", core.NodeSelectorOpIn, "z1", "z2"))), []string{"a", "b"}},
		{"NotIn matches missing key", mkPod("p", required(expr("disk", core.NodeSelectorOpNotIn, "ssd"))), []string{"b", "c"}},
		{"Exists", mkPod("p", required(expr("disk", core.NodeSelectorOpExists))), []string{"a", "b"}},
		{"DoesNotExist", mkPod("p", required(expr("disk", core.NodeSelectorOpDoesNotExist))), []string{"c"}},
		{"Gt", mkPod("p", required(expr("cores", core.NodeSelectorOpGt, "4"))), []string{"a"}},
		{"Lt", mkPod("p", required(expr("cores", core.NodeSelectorOpLt, "4"))), []string{"b"}},
		{"terms are ORed", mkPod("p", required(expr("zone", core.NodeSelectorOpIn, "z3"), expr("disk", core.NodeSelectorOpIn, "hdd"))), []string{"b", "c"}},
		{"expressions are ANDed", mkPod("p", required(core.NodeSelectorTerm{MatchExpressions: []core.NodeSelectorRequirement{
			{Key: "zone", Operator: core.NodeSelectorOpIn, Values: []string{"z1", "z2"}}, {Key: "disk", Operator: core.NodeSelectorOpIn, Values: []string{"hdd"}}}})), []string{"b"}},
		{"matchFields metadata.name", mkPod("p", required(core.NodeSelectorTerm{MatchFields: []core.NodeSelectorRequirement{{Key: "metadata.name", Operator: core.NodeSelectorOpIn, Values: []string{"c"}}}})), []string{"c"}},
		{"selector and affinity both apply", mkPod("p", required(expr("zone", core.NodeSelectorOpIn, "z1", "z2")), func(p *core.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "hdd"} }), []string{"b"}},
		{"empty term matches nothing", mkPod("p", required(core.NodeSelectorTerm{})), nil},
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
				if !s.IsSuccess() && s.Code() != framework.UnschedulableAndUnresolvable {
					t.Errorf("%s: code %v", n, s.Code())
				}
			}
		})
	}
	t.Run("reason", func(t *testing.T) {
		got, _ := filterResult(t, fw, snap, mkPod("p", required(expr("zone", core.NodeSelectorOpIn, "z9"))))
		if got["a"].Message() != "node(s) didn't match Pod's node affinity/selector" {
			t.Errorf("reason %q", got["a"].Message())
		}
	})
	t.Run("preferred", func(t *testing.T) {
		pod := mkPod("p", func(p *core.Pod) {
			p.Spec.Affinity = &core.Affinity{NodeAffinity: &core.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []core.PreferredSchedulingTerm{
				{Weight: 10, Preference: expr("zone", core.NodeSelectorOpIn, "z1")},
				{Weight: 30, Preference: expr("disk", core.NodeSelectorOpExists)},
			}}}
		})
		// raw a=40, b=30, c=0; normalised to the best.
		want := map[string]int64{"a": 100, "b": 75, "c": 0}
		got := scoreNodes(t, fw, snap, pod)
		for n, w := range want {
			if got[n] != w {
				t.Errorf("score %s = %d, want %d", n, got[n], w)
			}
		}
	})
	t.Run("added affinity", func(t *testing.T) {
		fw := newFramework(t, snap, nil, map[string]string{framework.NodeAffinityName: `{"addedAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["z3"]}]}]}}}`}, framework.NodeAffinityName)
		got, _ := filterResult(t, fw, snap, mkPod("p"))
		if f := fits(got); len(f) != 1 || !f["c"] {
			t.Errorf("fits %v", f)
		}
	})
}
