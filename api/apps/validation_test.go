package apps

import (
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

func template() core.PodTemplateSpec {
	return core.PodTemplateSpec{
		ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       core.PodSpec{Containers: []core.Container{{Name: "app", Image: "nginx:1.25"}}},
	}
}

func selector() *meta.LabelSelector {
	return &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
}

var objMeta = meta.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"}

func validDeployment() *Deployment {
	d := &Deployment{ObjectMeta: objMeta, Spec: DeploymentSpec{Selector: selector(), Template: template()}}
	SetDefaultsDeployment(d)
	return d
}

func TestValidateDeployment(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Deployment)
		want   []string
	}{
		{"valid", func(*Deployment) {}, nil},
		{"negative replicas", func(d *Deployment) { d.Spec.Replicas = ptr(int32(-1)) }, []string{"FieldValueInvalid spec.replicas"}},
		{"no selector", func(d *Deployment) { d.Spec.Selector = nil }, []string{"FieldValueRequired spec.selector"}},
		{"empty selector", func(d *Deployment) { d.Spec.Selector = &meta.LabelSelector{} }, []string{"FieldValueInvalid spec.selector"}},
		{"selector mismatch", func(d *Deployment) { d.Spec.Selector.MatchLabels["app"] = "db" }, []string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"bad selector", func(d *Deployment) {
			d.Spec.Selector.MatchExpressions = []meta.LabelSelectorRequirement{{Key: "x", Operator: "Near"}}
		}, []string{"FieldValueNotSupported spec.selector.matchExpressions[0].operator"}},
		{"template restartPolicy", func(d *Deployment) { d.Spec.Template.Spec.RestartPolicy = core.RestartPolicyNever }, []string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"template container path", func(d *Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" }, []string{"FieldValueRequired spec.template.spec.containers[0].image"}},
		{"template deadline", func(d *Deployment) { d.Spec.Template.Spec.ActiveDeadlineSeconds = ptr(int64(5)) }, []string{"FieldValueForbidden spec.template.spec.activeDeadlineSeconds"}},
		{"bad strategy", func(d *Deployment) { d.Spec.Strategy.Type = "BlueGreen" }, []string{"FieldValueNotSupported spec.strategy.type"}},
		{"recreate with rollingUpdate", func(d *Deployment) { d.Spec.Strategy.Type = RecreateDeploymentStrategyType }, []string{"FieldValueForbidden spec.strategy.rollingUpdate"}},
		{"both zero", func(d *Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = ptr(intstr.FromInt(0))
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr(intstr.FromString("0%"))
		}, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{"bad percent", func(d *Deployment) { d.Spec.Strategy.RollingUpdate.MaxSurge = ptr(intstr.FromString("25")) }, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxSurge"}},
		{"unavailable over 100%", func(d *Deployment) { d.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr(intstr.FromString("150%")) }, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{"surge over 100% ok", func(d *Deployment) { d.Spec.Strategy.RollingUpdate.MaxSurge = ptr(intstr.FromString("150%")) }, nil},
		{"negative surge", func(d *Deployment) { d.Spec.Strategy.RollingUpdate.MaxSurge = ptr(intstr.FromInt(-1)) }, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxSurge"}},
		{"deadline not above minReady", func(d *Deployment) { d.Spec.MinReadySeconds = 600 }, []string{"FieldValueInvalid spec.progressDeadlineSeconds"}},
		{"negative history", func(d *Deployment) { d.Spec.RevisionHistoryLimit = ptr(int32(-1)) }, []string{"FieldValueInvalid spec.revisionHistoryLimit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDeployment()
			tt.mutate(d)
			fieldtest.ExpectErrors(t, ValidateDeployment(d), tt.want...)
		})
	}
	old := validDeployment()
	n := validDeployment()
	n.Spec.Selector.MatchLabels["tier"] = "fe"
	n.Spec.Template.Labels["tier"] = "fe"
	fieldtest.ExpectErrors(t, ValidateDeploymentUpdate(n, old), "FieldValueInvalid spec.selector")
	n = validDeployment()
	n.Spec.Replicas = ptr(int32(5))
	n.Spec.Template.Spec.Containers[0].Image = "nginx:1.26"
	fieldtest.ExpectErrors(t, ValidateDeploymentUpdate(n, old))
}

func TestValidateReplicaSet(t *testing.T) {
	valid := func() *ReplicaSet {
		rs := &ReplicaSet{ObjectMeta: objMeta, Spec: ReplicaSetSpec{Selector: selector(), Template: template()}}
		SetDefaultsReplicaSet(rs)
		return rs
	}
	fieldtest.ExpectErrors(t, ValidateReplicaSet(valid()))
	rs := valid()
	rs.Spec.Replicas = ptr(int32(-2))
	rs.Spec.MinReadySeconds = -1
	fieldtest.ExpectErrors(t, ValidateReplicaSet(rs), "FieldValueInvalid spec.replicas", "FieldValueInvalid spec.minReadySeconds")
	rs = valid()
	rs.Spec.Template.Labels = nil
	fieldtest.ExpectErrors(t, ValidateReplicaSet(rs), "FieldValueInvalid spec.template.metadata.labels")
	n := valid()
	n.Spec.Selector = &meta.LabelSelector{MatchLabels: map[string]string{"app": "web", "x": "y"}}
	n.Spec.Template.Labels["x"] = "y"
	fieldtest.ExpectErrors(t, ValidateReplicaSetUpdate(n, valid()), "FieldValueInvalid spec.selector")
}

func validStatefulSet() *StatefulSet {
	ss := &StatefulSet{ObjectMeta: objMeta, Spec: StatefulSetSpec{Selector: selector(), Template: template(), ServiceName: "web",
		VolumeClaimTemplates: []core.PersistentVolumeClaim{{ObjectMeta: meta.ObjectMeta{Name: "data"}, Spec: core.PersistentVolumeClaimSpec{
			AccessModes: []core.PersistentVolumeAccessMode{core.ReadWriteOnce},
			Resources:   core.VolumeResourceRequirements{Requests: core.ResourceList{core.ResourceStorage: resource.MustParse("1Gi")}}}}}}}
	SetDefaultsStatefulSet(ss)
	return ss
}

func TestValidateStatefulSet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*StatefulSet)
		want   []string
	}{
		{"valid", func(*StatefulSet) {}, nil},
		{"bad policy", func(s *StatefulSet) { s.Spec.PodManagementPolicy = "Random" }, []string{"FieldValueInvalid spec.podManagementPolicy"}},
		{"bad strategy", func(s *StatefulSet) { s.Spec.UpdateStrategy.Type = "Magic" }, []string{"FieldValueInvalid spec.updateStrategy"}},
		{"ondelete with rollingUpdate", func(s *StatefulSet) { s.Spec.UpdateStrategy.Type = OnDeleteStatefulSetStrategyType }, []string{"FieldValueInvalid spec.updateStrategy.rollingUpdate"}},
		{"negative partition", func(s *StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr(int32(-1)) }, []string{"FieldValueInvalid spec.updateStrategy.rollingUpdate.partition"}},
		{"negative replicas", func(s *StatefulSet) { s.Spec.Replicas = ptr(int32(-1)) }, []string{"FieldValueInvalid spec.replicas"}},
		{"template restartPolicy", func(s *StatefulSet) { s.Spec.Template.Spec.RestartPolicy = core.RestartPolicyOnFailure }, []string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"mount of a claim", func(s *StatefulSet) {
			s.Spec.Template.Spec.Containers[0].VolumeMounts = []core.VolumeMount{{Name: "data", MountPath: "/var/lib/db"}}
		}, nil},
		{"mount of nothing", func(s *StatefulSet) {
			s.Spec.Template.Spec.Containers[0].VolumeMounts = []core.VolumeMount{{Name: "logs", MountPath: "/logs"}}
		}, []string{"FieldValueNotFound spec.template.spec.containers[0].volumeMounts[0].name"}},
		{"claim template", func(s *StatefulSet) { s.Spec.VolumeClaimTemplates[0].Spec.AccessModes = nil }, []string{"FieldValueRequired spec.volumeClaimTemplates[0].spec.accessModes"}},
		{"bad retention", func(s *StatefulSet) { s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Keep" }, []string{"FieldValueNotSupported spec.persistentVolumeClaimRetentionPolicy.whenScaled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validStatefulSet()
			tt.mutate(s)
			fieldtest.ExpectErrors(t, ValidateStatefulSet(s), tt.want...)
		})
	}
	old := validStatefulSet()
	n := validStatefulSet()
	n.Spec.Replicas = ptr(int32(3))
	n.Spec.Template.Spec.Containers[0].Image = "nginx:1.26"
	fieldtest.ExpectErrors(t, ValidateStatefulSetUpdate(n, old))
	n = validStatefulSet()
	n.Spec.ServiceName = "other"
	fieldtest.ExpectErrors(t, ValidateStatefulSetUpdate(n, old), "FieldValueForbidden spec")
}

func TestValidateDaemonSet(t *testing.T) {
	valid := func() *DaemonSet {
		ds := &DaemonSet{ObjectMeta: objMeta, Spec: DaemonSetSpec{Selector: selector(), Template: template()}}
		SetDefaultsDaemonSet(ds)
		return ds
	}
	tests := []struct {
		name   string
		mutate func(*DaemonSet)
		want   []string
	}{
		{"valid", func(*DaemonSet) {}, nil},
		{"both set", func(d *DaemonSet) { d.Spec.UpdateStrategy.RollingUpdate.MaxSurge = ptr(intstr.FromInt(1)) }, []string{"FieldValueInvalid spec.updateStrategy.rollingUpdate.maxSurge"}},
		{"both zero", func(d *DaemonSet) { d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr(intstr.FromInt(0)) }, []string{"FieldValueRequired spec.updateStrategy.rollingUpdate.maxUnavailable"}},
		{"surge only", func(d *DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr(intstr.FromInt(0))
			d.Spec.UpdateStrategy.RollingUpdate.MaxSurge = ptr(intstr.FromString("10%"))
		}, nil},
		{"bad strategy", func(d *DaemonSet) { d.Spec.UpdateStrategy.Type = "Fast" }, []string{"FieldValueNotSupported spec.updateStrategy.type"}},
		{"no selector", func(d *DaemonSet) { d.Spec.Selector = nil }, []string{"FieldValueRequired spec.selector"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.mutate(d)
			fieldtest.ExpectErrors(t, ValidateDaemonSet(d), tt.want...)
		})
	}
	n := valid()
	n.Spec.Selector.MatchLabels["x"] = "y"
	n.Spec.Template.Labels["x"] = "y"
	fieldtest.ExpectErrors(t, ValidateDaemonSetUpdate(n, valid()), "FieldValueInvalid spec.selector")
}

func TestValidateControllerRevisionAndDispatch(t *testing.T) {
	cr := &ControllerRevision{ObjectMeta: objMeta, Data: meta.RawJSON(`{"a":1}`), Revision: 1}
	fieldtest.ExpectErrors(t, ValidateControllerRevision(cr))
	fieldtest.ExpectErrors(t, ValidateControllerRevision(&ControllerRevision{ObjectMeta: objMeta, Revision: -1}), "FieldValueRequired data", "FieldValueInvalid revision")
	changed := cr.DeepCopy()
	changed.Data = meta.RawJSON(`{"a":2}`)
	fieldtest.ExpectErrors(t, ValidateControllerRevisionUpdate(changed, cr), "FieldValueInvalid data")
	for _, k := range Kinds() {
		obj := k.New()
		if _, known := Validate(obj); !known {
			t.Errorf("Validate does not know %s", k.Kind)
		}
		if _, known := ValidateUpdate(obj, obj.DeepCopyObject()); !known {
			t.Errorf("ValidateUpdate does not know %s", k.Kind)
		}
	}
	if errs, _ := Validate(validDeployment()); len(errs) != 0 {
		t.Errorf("valid deployment: %v", errs)
	}
}
