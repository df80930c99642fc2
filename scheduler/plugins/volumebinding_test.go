package plugins

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestVolumeBinding(t *testing.T) {
	snap := framework.NewSnapshot(nil, []*core.Node{mkNode("a"), mkNode("b")})
	now := meta.Now()
	snap.SetVolumes([]*core.PersistentVolumeClaim{
		{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "data"}, Spec: core.PersistentVolumeClaimSpec{VolumeName: "pv-local"}},
		{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "shared"}, Spec: core.PersistentVolumeClaimSpec{VolumeName: "pv-nfs"}},
		{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "pending"}},
		{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "dying", DeletionTimestamp: &now}, Spec: core.PersistentVolumeClaimSpec{VolumeName: "pv-nfs"}},
		{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "orphan"}, Spec: core.PersistentVolumeClaimSpec{VolumeName: "pv-gone"}},
	}, []*core.PersistentVolume{
		{ObjectMeta: meta.ObjectMeta{Name: "pv-local"}, Spec: core.PersistentVolumeSpec{NodeAffinity: &core.VolumeNodeAffinity{Required: &core.NodeSelector{NodeSelectorTerms: []core.NodeSelectorTerm{{
			MatchExpressions: []core.NodeSelectorRequirement{{Key: core.LabelHostname, Operator: core.NodeSelectorOpIn, Values: []string{"a"}}}}}}}}},
		{ObjectMeta: meta.ObjectMeta{Name: "pv-nfs"}},
	})
	fw := newFramework(t, snap, nil, nil, framework.VolumeBindingName)
	claim := func(name string) podOpt {
		return func(p *core.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, core.Volume{Name: name, VolumeSource: core.VolumeSource{PersistentVolumeClaim: &core.PersistentVolumeClaimVolumeSource{ClaimName: name}}})
		}
	}
	tests := []struct {
		name   string
		pod    *core.Pod
		fit    []string
		reason string
	}{
		{"no claims", mkPod("p"), []string{"a", "b"}, ""},
		{"local volume pins the node", mkPod("p", claim("data")), []string{"a"}, ReasonVolumeNodeConflict},
		{"volume without affinity", mkPod("p", claim("shared")), []string{"a", "b"}, ""},
		{"both", mkPod("p", claim("shared"), claim("data")), []string{"a"}, ReasonVolumeNodeConflict},
		{"unbound claim", mkPod("p", claim("pending")), nil, ReasonUnboundImmediateClaims},
		{"missing claim", mkPod("p", claim("nope")), nil, `persistentvolumeclaim "nope" not found`},
		{"claim being deleted", mkPod("p", claim("dying")), nil, `persistentvolumeclaim "dying" is being deleted`},
		{"volume missing", mkPod("p", claim("orphan")), nil, `persistentvolume "pv-gone" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			f := fits(got)
			if len(f) != len(tt.fit) {
				t.Errorf("fits %v, want %v", f, tt.fit)
			}
			for n, s := range got {
				if !s.IsSuccess() && (s.Message() != tt.reason || s.Code() != framework.UnschedulableAndUnresolvable) {
					t.Errorf("%s: %v, want %q", n, s, tt.reason)
				}
			}
		})
	}
}
