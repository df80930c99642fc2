package plugins

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

func term(topologyKey string, matchLabels ...string) core.PodAffinityTerm {
	ml := map[string]string{}
	for i := 0; i+1 < len(matchLabels); i += 2 {
		ml[matchLabels[i]] = matchLabels[i+1]
	}
	return core.PodAffinityTerm{LabelSelector: &meta.LabelSelector{MatchLabels: ml}, TopologyKey: topologyKey}
}

func affinity(required, anti []core.PodAffinityTerm, preferred, preferredAnti []core.WeightedPodAffinityTerm) podOpt {
	return func(p *core.Pod) {
		p.Spec.Affinity = &core.Affinity{
			PodAffinity:     &core.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: required, PreferredDuringSchedulingIgnoredDuringExecution: preferred},
			PodAntiAffinity: &core.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: anti, PreferredDuringSchedulingIgnoredDuringExecution: preferredAnti},
		}
	}
}

func TestInterPodAffinityFilter(t *testing.T) {
	const zone = core.LabelTopologyZone
	existing := []*core.Pod{
		mkPod("db", onNode("n1"), podLabels("app", "db")),
		mkPod("cache", onNode("n3"), podLabels("app", "cache"), affinity(nil, []core.PodAffinityTerm{term(zone, "app", "web")}, nil, nil)),
	}
	snap := framework.NewSnapshot(existing, []*core.Node{
		mkNode("n1", nodeLabels(zone, "z1")), mkNode("n2", nodeLabels(zone, "z1")), mkNode("n3", nodeLabels(zone, "z2")), mkNode("n4"),
	})
	fw := newFramework(t, snap, nil, nil, framework.InterPodAffinityName)
	tests := []struct {
		name    string
		pod     *core.Pod
		fit     []string
		reasons map[string]string
	}{
		{"existing anti-affinity repels", mkPod("web", podLabels("app", "web")), []string{"n1", "n2", "n4"},
			map[string]string{"n3": ReasonExistingAntiAffinityRulesNotMatch}},
		{"no terms, not selected", mkPod("api", podLabels("app", "api")), []string{"n1", "n2", "n3", "n4"}, nil},
		{"affinity to db by zone", mkPod("api", podLabels("app", "api"), affinity([]core.PodAffinityTerm{term(zone, "app", "db")}, nil, nil, nil)), []string{"n1", "n2"},
			map[string]string{"n3": ReasonAffinityRulesNotMatch, "n4": ReasonAffinityRulesNotMatch}},
		{"anti-affinity to db by host", mkPod("api", podLabels("app", "api"), affinity(nil, []core.PodAffinityTerm{term(core.LabelHostname, "app", "db")}, nil, nil)), []string{"n2", "n3", "n4"},
			map[string]string{"n1": ReasonAntiAffinityRulesNotMatch}},
		{"anti-affinity to db by zone", mkPod("api", podLabels("app", "api"), affinity(nil, []core.PodAffinityTerm{term(zone, "app", "db")}, nil, nil)), []string{"n3", "n4"}, nil},
		{"first pod of a self-affine group", mkPod("g", podLabels("app", "group"), affinity([]core.PodAffinityTerm{term(zone, "app", "group")}, nil, nil, nil)), []string{"n1", "n2", "n3"}, nil},
		{"affinity to nothing", mkPod("x", podLabels("app", "x"), affinity([]core.PodAffinityTerm{term(zone, "app", "ghost")}, nil, nil, nil)), nil, nil},
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
			for n, r := range tt.reasons {
				if got[n].Message() != r {
					t.Errorf("%s: %q, want %q", n, got[n].Message(), r)
				}
			}
		})
	}
}

func TestInterPodAffinityScore(t *testing.T) {
	const zone = core.LabelTopologyZone
	existing := []*core.Pod{
		mkPod("db", onNode("n1"), podLabels("app", "db")),
		mkPod("leader", onNode("n3"), podLabels("app", "leader"), affinity([]core.PodAffinityTerm{term(zone, "app", "follower")}, nil, nil, nil)),
	}
	nodes := []*core.Node{mkNode("n1", nodeLabels(zone, "z1")), mkNode("n2", nodeLabels(zone, "z1")), mkNode("n3", nodeLabels(zone, "z2")), mkNode("n4", nodeLabels(zone, "z3"))}
	snap := framework.NewSnapshot(existing, nodes)
	fw := newFramework(t, snap, nil, map[string]string{framework.InterPodAffinityName: `{"hardPodAffinityWeight": 5}`}, framework.InterPodAffinityName)
	tests := []struct {
		name string
		pod  *core.Pod
		want map[string]int64
	}{
		{"preferred affinity to db", mkPod("p", podLabels("app", "api"), affinity(nil, nil, []core.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: term(zone, "app", "db")}}, nil)),
			map[string]int64{"n1": 100, "n2": 100, "n3": 0, "n4": 0}},
		{"preferred anti-affinity to db", mkPod("p", podLabels("app", "api"), affinity(nil, nil, nil, []core.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: term(zone, "app", "db")}})),
			map[string]int64{"n1": 0, "n2": 0, "n3": 100, "n4": 100}},
		{"existing required affinity attracts", mkPod("f", podLabels("app", "follower")),
			map[string]int64{"n1": 0, "n2": 0, "n3": 100, "n4": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scoreNodes(t, fw, snap, tt.pod)
			for n, w := range tt.want {
				if got[n] != w {
					t.Errorf("%s = %d, want %d (all %v)", n, got[n], w, got)
				}
			}
		})
	}
}
