package apps

import (
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
)

// Default values applied by the SetDefaults functions, as Kubernetes'
// apps/v1 defaulting applies them.
const (
	DefaultRevisionHistoryLimit    int32 = 10
	DefaultProgressDeadlineSeconds int32 = 600
)

func init() {
	defaulters["Deployment"] = meta.DefaultFunc(SetDefaultsDeployment)
	defaulters["ReplicaSet"] = meta.DefaultFunc(SetDefaultsReplicaSet)
	defaulters["StatefulSet"] = meta.DefaultFunc(SetDefaultsStatefulSet)
	defaulters["DaemonSet"] = meta.DefaultFunc(SetDefaultsDaemonSet)
}

// SetDefaults applies the defaults of obj's kind and reports whether this
// package knows the kind.
func SetDefaults(obj meta.Object) bool {
	switch o := obj.(type) {
	case *Deployment:
		SetDefaultsDeployment(o)
	case *ReplicaSet:
		SetDefaultsReplicaSet(o)
	case *StatefulSet:
		SetDefaultsStatefulSet(o)
	case *DaemonSet:
		SetDefaultsDaemonSet(o)
	case *ControllerRevision:
		// Kubernetes defaults nothing here.
	default:
		return false
	}
	return true
}

func ptr[T any](v T) *T { return &v }

// SetDefaultsDeployment sets replicas 1, strategy RollingUpdate with
// maxUnavailable and maxSurge 25%, revisionHistoryLimit 10,
// progressDeadlineSeconds 600, and the pod template defaults.
func SetDefaultsDeployment(d *Deployment) {
	s := &d.Spec
	if s.Replicas == nil {
		s.Replicas = ptr(int32(1))
	}
	if s.Strategy.Type == "" {
		s.Strategy.Type = RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &RollingUpdateDeployment{}
		}
		if s.Strategy.RollingUpdate.MaxUnavailable == nil {
			s.Strategy.RollingUpdate.MaxUnavailable = ptr(intstr.FromString("25%"))
		}
		if s.Strategy.RollingUpdate.MaxSurge == nil {
			s.Strategy.RollingUpdate.MaxSurge = ptr(intstr.FromString("25%"))
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = ptr(DefaultRevisionHistoryLimit)
	}
	if s.ProgressDeadlineSeconds == nil {
		s.ProgressDeadlineSeconds = ptr(DefaultProgressDeadlineSeconds)
	}
	core.SetDefaultsPodTemplateSpec(&s.Template)
}

// SetDefaultsReplicaSet sets replicas 1 and the pod template defaults.
func SetDefaultsReplicaSet(rs *ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr(int32(1))
	}
	core.SetDefaultsPodTemplateSpec(&rs.Spec.Template)
}

// SetDefaultsStatefulSet sets replicas 1, podManagementPolicy
// OrderedReady, updateStrategy RollingUpdate with partition 0,
// revisionHistoryLimit 10, a Retain/Retain claim retention policy, and the
// defaults of the pod template and the volume claim templates.
func SetDefaultsStatefulSet(ss *StatefulSet) {
	s := &ss.Spec
	if s.PodManagementPolicy == "" {
		s.PodManagementPolicy = OrderedReadyPodManagement
	}
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = RollingUpdateStatefulSetStrategyType
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &RollingUpdateStatefulSetStrategy{}
		}
	}
	if s.UpdateStrategy.Type == RollingUpdateStatefulSetStrategyType && s.UpdateStrategy.RollingUpdate != nil &&
		s.UpdateStrategy.RollingUpdate.Partition == nil {
		s.UpdateStrategy.RollingUpdate.Partition = ptr(int32(0))
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if s.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		s.PersistentVolumeClaimRetentionPolicy.WhenDeleted = RetainPersistentVolumeClaimRetentionPolicyType
	}
	if s.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		s.PersistentVolumeClaimRetentionPolicy.WhenScaled = RetainPersistentVolumeClaimRetentionPolicyType
	}
	if s.Replicas == nil {
		s.Replicas = ptr(int32(1))
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = ptr(DefaultRevisionHistoryLimit)
	}
	core.SetDefaultsPodTemplateSpec(&s.Template)
	for i := range s.VolumeClaimTemplates {
		core.SetDefaultsPersistentVolumeClaim(&s.VolumeClaimTemplates[i])
	}
}

// SetDefaultsDaemonSet sets updateStrategy RollingUpdate with
// maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10, and the pod
// template defaults.
func SetDefaultsDaemonSet(ds *DaemonSet) {
	u := &ds.Spec.UpdateStrategy
	if u.Type == "" {
		u.Type = RollingUpdateDaemonSetStrategyType
	}
	if u.Type == RollingUpdateDaemonSetStrategyType {
		if u.RollingUpdate == nil {
			u.RollingUpdate = &RollingUpdateDaemonSet{}
		}
		if u.RollingUpdate.MaxUnavailable == nil {
			u.RollingUpdate.MaxUnavailable = ptr(intstr.FromInt(1))
		}
		if u.RollingUpdate.MaxSurge == nil {
			u.RollingUpdate.MaxSurge = ptr(intstr.FromInt(0))
		}
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr(DefaultRevisionHistoryLimit)
	}
	core.SetDefaultsPodTemplateSpec(&ds.Spec.Template)
}
