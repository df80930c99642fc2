package core

import (
	"maps"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// PodFields returns the fields of a pod that field selectors can use, as
// the Kubernetes API server offers them: metadata.name,
// metadata.namespace, spec.nodeName, spec.restartPolicy,
// spec.schedulerName, spec.serviceAccountName, spec.hostNetwork,
// status.phase, status.podIP, status.podIPs (comma-separated) and
// status.nominatedNodeName.
func PodFields(p *Pod) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&p.ObjectMeta, true))
	podIP := p.Status.PodIP
	ips := make([]string, 0, len(p.Status.PodIPs))
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) > 0 {
		podIP = ips[0]
	} else if podIP != "" {
		ips = append(ips, podIP)
	}
	maps.Copy(set, map[string]string{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             podIP,
		"status.podIPs":            strings.Join(ips, ","),
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	})
	return set
}

// NodeFields returns metadata.name and spec.unschedulable.
func NodeFields(n *Node) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&n.ObjectMeta, false))
	set["spec.unschedulable"] = strconv.FormatBool(n.Spec.Unschedulable)
	return set
}

// ServiceFields returns metadata.name, metadata.namespace, spec.clusterIP
// and spec.type.
func ServiceFields(s *Service) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&s.ObjectMeta, true))
	set["spec.clusterIP"] = s.Spec.ClusterIP
	set["spec.type"] = string(s.Spec.Type)
	return set
}

// NamespaceFields returns metadata.name and status.phase.
func NamespaceFields(ns *Namespace) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&ns.ObjectMeta, false))
	set["status.phase"] = string(ns.Status.Phase)
	return set
}

// SecretFields returns metadata.name, metadata.namespace and type.
func SecretFields(s *Secret) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&s.ObjectMeta, true))
	set["type"] = string(s.Type)
	return set
}

// EventFields returns metadata.name, metadata.namespace, the
// involvedObject.* fields, reason, reportingComponent, source (the source
// component, or the reporting component when that is empty) and type.
func EventFields(e *Event) fields.Set {
	set := fields.Set(meta.ObjectMetaFields(&e.ObjectMeta, true))
	source := e.Source.Component
	if source == "" {
		source = e.ReportingComponent
	}
	o := &e.InvolvedObject
	maps.Copy(set, map[string]string{
		"involvedObject.kind":            o.Kind,
		"involvedObject.namespace":       o.Namespace,
		"involvedObject.name":            o.Name,
		"involvedObject.uid":             o.UID,
		"involvedObject.apiVersion":      o.APIVersion,
		"involvedObject.resourceVersion": o.ResourceVersion,
		"involvedObject.fieldPath":       o.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingComponent,
		"source":                         source,
		"type":                           e.Type,
	})
	return set
}

// EndpointsFields returns the fields field selectors can use on a Endpoints:
// metadata.name and metadata.namespace, as in Kubernetes.
func EndpointsFields(o *Endpoints) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// ConfigMapFields returns the fields field selectors can use on a ConfigMap:
// metadata.name and metadata.namespace, as in Kubernetes.
func ConfigMapFields(o *ConfigMap) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// ServiceAccountFields returns the fields field selectors can use on a ServiceAccount:
// metadata.name and metadata.namespace, as in Kubernetes.
func ServiceAccountFields(o *ServiceAccount) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// PersistentVolumeFields returns the fields field selectors can use on a PersistentVolume:
// metadata.name (the kind is cluster-scoped), as in Kubernetes.
func PersistentVolumeFields(o *PersistentVolume) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, false))
}

// PersistentVolumeClaimFields returns the fields field selectors can use on a PersistentVolumeClaim:
// metadata.name and metadata.namespace, as in Kubernetes.
func PersistentVolumeClaimFields(o *PersistentVolumeClaim) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}

// BindingFields returns the fields field selectors can use on a Binding:
// metadata.name and metadata.namespace, as in Kubernetes.
func BindingFields(o *Binding) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}
