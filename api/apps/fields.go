package apps

import (
	"strconv"

	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// ReplicaSetFields returns metadata.name, metadata.namespace and
// status.replicas, the fields Kubernetes offers for replica sets.
func ReplicaSetFields(rs *ReplicaSet) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&rs.ObjectMeta, true))
	set["status.replicas"] = strconv.Itoa(int(rs.Status.Replicas))
	return set
}

// DeploymentFields returns the fields field selectors can use on a Deployment:
// metadata.name and metadata.namespace, as in Kubernetes.
func DeploymentFields(o *Deployment) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// StatefulSetFields returns the fields field selectors can use on a StatefulSet:
// metadata.name and metadata.namespace, as in Kubernetes.
func StatefulSetFields(o *StatefulSet) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// DaemonSetFields returns the fields field selectors can use on a DaemonSet:
// metadata.name and metadata.namespace, as in Kubernetes.
func DaemonSetFields(o *DaemonSet) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// ControllerRevisionFields returns the fields field selectors can use on a ControllerRevision:
// metadata.name and metadata.namespace, as in Kubernetes.
func ControllerRevisionFields(o *ControllerRevision) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}
