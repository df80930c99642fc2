package apiserver

import (
	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/networking"
	"github.com/longshore/longshore/api/rbac"
	"github.com/longshore/longshore/api/scheduling"
)

// statusKinds have a status subresource, as in Kubernetes.
var statusKinds = map[meta.GroupVersionKind]bool{
	{Version: "v1", Kind: "Pod"}:                        true,
	{Version: "v1", Kind: "Node"}:                       true,
	{Version: "v1", Kind: "Service"}:                    true,
	{Version: "v1", Kind: "Namespace"}:                  true,
	{Version: "v1", Kind: "PersistentVolume"}:           true,
	{Version: "v1", Kind: "PersistentVolumeClaim"}:      true,
	{Group: "apps", Version: "v1", Kind: "Deployment"}:  true,
	{Group: "apps", Version: "v1", Kind: "ReplicaSet"}:  true,
	{Group: "apps", Version: "v1", Kind: "StatefulSet"}: true,
	{Group: "apps", Version: "v1", Kind: "DaemonSet"}:   true,
}

// generationKinds track metadata.generation (kinds with a spec that
// controllers observe).
var generationKinds = map[meta.GroupVersionKind]bool{
	{Version: "v1", Kind: "Pod"}:                                       true,
	{Version: "v1", Kind: "Service"}:                                   true,
	{Version: "v1", Kind: "PersistentVolumeClaim"}:                     true,
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                 true,
	{Group: "apps", Version: "v1", Kind: "ReplicaSet"}:                 true,
	{Group: "apps", Version: "v1", Kind: "StatefulSet"}:                true,
	{Group: "apps", Version: "v1", Kind: "DaemonSet"}:                  true,
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}: true,
}

// groupValidators are the validation entry points of each API group's
// package, by group name.
var groupValidators = map[string]struct {
	create func(meta.Object) (field.ErrorList, bool)
	update func(obj, old meta.Object) (field.ErrorList, bool)
}{
	"":                          {core.Validate, core.ValidateUpdate},
	"apps":                      {apps.Validate, apps.ValidateUpdate},
	"coordination.k8s.io":       {coordination.Validate, coordination.ValidateUpdate},
	"networking.k8s.io":         {networking.Validate, networking.ValidateUpdate},
	"rbac.authorization.k8s.io": {rbac.Validate, rbac.ValidateUpdate},
}

// builtinStrategy returns the strategy of a built-in kind.
func builtinStrategy(gvk meta.GroupVersionKind) *Strategy {
	st := &Strategy{HasStatus: statusKinds[gvk], NoGeneration: !generationKinds[gvk]}
	if v, ok := groupValidators[gvk.Group]; ok {
		st.Validate = func(obj meta.Object) []meta.StatusCause {
			errs, _ := v.create(obj)
			return causes(errs)
		}
		st.ValidateUpdate = func(obj, old meta.Object) []meta.StatusCause {
			errs, _ := v.update(obj, old)
			return causes(errs)
		}
	}
	switch gvk {
	case core.SchemeGroupVersion.WithKind("Pod"):
		st.ValidateStatusUpdate = func(obj, old meta.Object) []meta.StatusCause {
			return causes(core.ValidatePodStatusUpdate(obj.(*core.Pod), old.(*core.Pod)))
		}
		st.PrepareForCreate = func(obj meta.Object) {
			pod := obj.(*core.Pod)
			pod.Status = core.PodStatus{Phase: core.PodPending, QOSClass: podQOS(pod)}
		}
	case core.SchemeGroupVersion.WithKind("Namespace"):
		st.PrepareForCreate = func(obj meta.Object) {
			ns := obj.(*core.Namespace)
			ns.Status = core.NamespaceStatus{Phase: core.NamespaceActive}
			if !hasFinalizer(ns.Spec.Finalizers, core.FinalizerKubernetes) {
				ns.Spec.Finalizers = append(ns.Spec.Finalizers, core.FinalizerKubernetes)
			}
		}
		st.PrepareForUpdate = func(obj, old meta.Object) {
			// spec.finalizers change only through /finalize.
			obj.(*core.Namespace).Spec.Finalizers = old.(*core.Namespace).Spec.Finalizers
		}
	case core.SchemeGroupVersion.WithKind("Node"):
		st.KeepStatusOnCreate = true
	case core.SchemeGroupVersion.WithKind("Service"):
		st.PrepareForUpdate = func(obj, old meta.Object) { dropTypeDependentFields(obj.(*core.Service), old.(*core.Service)) }
	case scheduling.SchemeGroupVersion.WithKind("PriorityClass"):
		st.Validate = validatePriorityClass
	case core.SchemeGroupVersion.WithKind("Secret"):
		// stringData is write-only: it is folded into data on every write.
		fold := func(obj meta.Object) {
			sec := obj.(*core.Secret)
			for k, v := range sec.StringData {
				if sec.Data == nil {
					sec.Data = map[string][]byte{}
				}
				sec.Data[k] = []byte(v)
			}
			sec.StringData = nil
			if sec.Type == "" {
				sec.Type = core.SecretTypeOpaque
			}
		}
		st.PrepareForCreate = fold
		st.PrepareForUpdate = func(obj, _ meta.Object) { fold(obj) }
	case core.SchemeGroupVersion.WithKind("Endpoints"), core.SchemeGroupVersion.WithKind("Event"),
		meta.GroupVersionKind{Group: "coordination.k8s.io", Version: "v1", Kind: "Lease"}:
		st.AllowCreateOnUpdate = true
	}
	return st
}

func hasFinalizer(list []core.FinalizerName, f core.FinalizerName) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

// podQOS computes a pod's QoS class as Kubernetes does: Guaranteed when
// every container sets cpu and memory limits equal to its requests,
// BestEffort when none sets any request or limit, Burstable otherwise.
func podQOS(pod *core.Pod) core.PodQOSClass {
	all := append(append([]core.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	any, guaranteed := false, true
	for _, c := range all {
		for _, r := range []core.ResourceName{core.ResourceCPU, core.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			if hasReq || hasLim {
				any = true
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
		for r := range c.Resources.Requests {
			if r != core.ResourceCPU && r != core.ResourceMemory {
				any = true
			}
		}
	}
	switch {
	case !any:
		return core.PodQOSBestEffort
	case guaranteed:
		return core.PodQOSGuaranteed
	}
	return core.PodQOSBurstable
}

// causes turns field errors into Status causes.
func causes(errs field.ErrorList) []meta.StatusCause {
	out := make([]meta.StatusCause, 0, len(errs))
	for _, e := range errs {
		out = append(out, meta.StatusCause{Type: meta.CauseType(e.Type), Message: e.ErrorBody(), Field: e.Field})
	}
	return out
}

// validate runs the kind's validation for a create (old nil) or update.
func (s *Server) validate(res *resource, obj, old meta.Object) error {
	var cs []meta.StatusCause
	if old == nil {
		if res.strategy.Validate != nil {
			cs = res.strategy.Validate(obj)
		}
	} else if res.strategy.ValidateUpdate != nil {
		cs = res.strategy.ValidateUpdate(obj, old)
	}
	if len(cs) > 0 {
		return apierror.NewInvalid(res.gvk.Kind, res.gvk.Group, obj.GetObjectMeta().Name, cs)
	}
	return nil
}

// dropTypeDependentFields clears, as Kubernetes does, what only
// externally reachable services may carry when a service stops being one
// (and the client kept the old values).
func dropTypeDependentFields(svc, old *core.Service) {
	external := func(t core.ServiceType) bool {
		return t == core.ServiceTypeNodePort || t == core.ServiceTypeLoadBalancer
	}
	if !external(old.Spec.Type) || external(svc.Spec.Type) {
		return
	}
	if svc.Spec.ExternalTrafficPolicy == old.Spec.ExternalTrafficPolicy {
		svc.Spec.ExternalTrafficPolicy = ""
	}
	if svc.Spec.HealthCheckNodePort == old.Spec.HealthCheckNodePort {
		svc.Spec.HealthCheckNodePort = 0
	}
	oldPorts := map[int32]bool{}
	for _, p := range old.Spec.Ports {
		oldPorts[p.NodePort] = true
	}
	for i := range svc.Spec.Ports {
		if oldPorts[svc.Spec.Ports[i].NodePort] {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
}
