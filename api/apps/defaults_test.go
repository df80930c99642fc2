package apps

import (
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
)

func TestSetDefaultsWorkloads(t *testing.T) {
	tpl := func() core.PodTemplateSpec {
		return core.PodTemplateSpec{Spec: core.PodSpec{Containers: []core.Container{{Name: "app", Image: "nginx"}}}}
	}
	d := &Deployment{Spec: DeploymentSpec{Template: tpl()}}
	SetDefaultsDeployment(d)
	rs := &ReplicaSet{Spec: ReplicaSetSpec{Template: tpl()}}
	SetDefaultsReplicaSet(rs)
	ss := &StatefulSet{Spec: StatefulSetSpec{Template: tpl(), VolumeClaimTemplates: []core.PersistentVolumeClaim{{ObjectMeta: meta.ObjectMeta{Name: "data"}}}}}
	SetDefaultsStatefulSet(ss)
	ds := &DaemonSet{Spec: DaemonSetSpec{Template: tpl()}}
	SetDefaultsDaemonSet(ds)
	checks := []struct {
		name      string
		got, want any
	}{
		{"deployment replicas", *d.Spec.Replicas, int32(1)},
		{"deployment strategy", d.Spec.Strategy.Type, RollingUpdateDeploymentStrategyType},
		{"deployment maxUnavailable", *d.Spec.Strategy.RollingUpdate.MaxUnavailable, intstr.FromString("25%")},
		{"deployment maxSurge", *d.Spec.Strategy.RollingUpdate.MaxSurge, intstr.FromString("25%")},
		{"deployment revisionHistoryLimit", *d.Spec.RevisionHistoryLimit, int32(10)},
		{"deployment progressDeadlineSeconds", *d.Spec.ProgressDeadlineSeconds, int32(600)},
		{"deployment template restartPolicy", d.Spec.Template.Spec.RestartPolicy, core.RestartPolicyAlways},
		{"deployment template pull policy", d.Spec.Template.Spec.Containers[0].ImagePullPolicy, core.PullAlways},
		{"replicaset replicas", *rs.Spec.Replicas, int32(1)},
		{"replicaset template dnsPolicy", rs.Spec.Template.Spec.DNSPolicy, core.DNSClusterFirst},
		{"statefulset replicas", *ss.Spec.Replicas, int32(1)},
		{"statefulset podManagementPolicy", ss.Spec.PodManagementPolicy, OrderedReadyPodManagement},
		{"statefulset updateStrategy", ss.Spec.UpdateStrategy.Type, RollingUpdateStatefulSetStrategyType},
		{"statefulset partition", *ss.Spec.UpdateStrategy.RollingUpdate.Partition, int32(0)},
		{"statefulset revisionHistoryLimit", *ss.Spec.RevisionHistoryLimit, int32(10)},
		{"statefulset retention", ss.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted, RetainPersistentVolumeClaimRetentionPolicyType},
		{"statefulset claim volumeMode", *ss.Spec.VolumeClaimTemplates[0].Spec.VolumeMode, core.PersistentVolumeFilesystem},
		{"daemonset strategy", ds.Spec.UpdateStrategy.Type, RollingUpdateDaemonSetStrategyType},
		{"daemonset maxUnavailable", *ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable, intstr.FromInt(1)},
		{"daemonset maxSurge", *ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge, intstr.FromInt(0)},
		{"daemonset revisionHistoryLimit", *ds.Spec.RevisionHistoryLimit, int32(10)},
		{"template gets no enableServiceLinks", d.Spec.Template.Spec.EnableServiceLinks == nil, true},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestSetDefaultsKeepsValues(t *testing.T) {
	three := int32(3)
	d := &Deployment{Spec: DeploymentSpec{Replicas: &three, Strategy: DeploymentStrategy{Type: RecreateDeploymentStrategyType}}}
	SetDefaultsDeployment(d)
	if *d.Spec.Replicas != 3 || d.Spec.Strategy.RollingUpdate != nil {
		t.Errorf("replicas %d, rollingUpdate %v", *d.Spec.Replicas, d.Spec.Strategy.RollingUpdate)
	}
	ss := &StatefulSet{Spec: StatefulSetSpec{UpdateStrategy: StatefulSetUpdateStrategy{Type: OnDeleteStatefulSetStrategyType}}}
	SetDefaultsStatefulSet(ss)
	if ss.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Error("OnDelete got a rollingUpdate")
	}
	ds := &DaemonSet{Spec: DaemonSetSpec{UpdateStrategy: DaemonSetUpdateStrategy{Type: OnDeleteDaemonSetStrategyType}}}
	SetDefaultsDaemonSet(ds)
	if ds.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Error("OnDelete got a rollingUpdate")
	}
}

func TestDefaultersRegistered(t *testing.T) {
	for _, k := range Kinds() {
		if !SetDefaults(k.New()) {
			t.Errorf("SetDefaults does not know %s", k.Kind)
		}
		if k.Kind != "ControllerRevision" && k.Default == nil {
			t.Errorf("%s has no registered defaulter", k.Kind)
		}
	}
}

func ExampleSetDefaultsDeployment() {
	d := &Deployment{Spec: DeploymentSpec{Template: core.PodTemplateSpec{Spec: core.PodSpec{
		Containers: []core.Container{{Name: "web", Image: "nginx"}},
	}}}}
	SetDefaultsDeployment(d)
	s := d.Spec
	fmt.Println(*s.Replicas, s.Strategy.Type, s.Strategy.RollingUpdate.MaxSurge, *s.RevisionHistoryLimit, *s.ProgressDeadlineSeconds)
	fmt.Println(s.Template.Spec.RestartPolicy, s.Template.Spec.Containers[0].ImagePullPolicy)
	// Output:
	// 1 RollingUpdate 25% 10 600
	// Always Always
}
