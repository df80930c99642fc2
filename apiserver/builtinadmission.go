package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/scheduling"
	"github.com/longshore/longshore/apiserver/admission"
)

// The built-in admission plugins run before the configured ones, as
// kube-apiserver's default set does: ServiceAccount, DefaultTolerationSeconds
// and Priority for pods. NamespaceLifecycle is enforced by the handlers
// (no creation in a missing or terminating namespace, no deletion of the
// system namespaces).

var (
	gvrServiceAccounts = meta.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	gvrConfigMaps      = meta.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrPriorityClasses = meta.GroupVersionResource{Group: scheduling.GroupName, Version: "v1", Resource: "priorityclasses"}
)

// Service account token mounts, as Kubernetes lays them out.
const (
	ServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	RootCAConfigMap         = "kube-root-ca.crt"
	tokenExpirationSeconds  = 3607
)

// DefaultTolerationSeconds is how long pods tolerate a not-ready or
// unreachable node before eviction unless they say otherwise.
const DefaultTolerationSeconds = 300

type builtinAdmission struct{ s *Server }

func (b builtinAdmission) Handles(op admission.Operation) bool { return op == admission.Create }

// Admit implements admission.Mutator for pod creation.
func (b builtinAdmission) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := a.Object.(*core.Pod)
	if !ok || a.Subresource != "" {
		return nil
	}
	if err := b.priority(ctx, pod); err != nil {
		return err
	}
	addDefaultTolerations(pod)
	return b.serviceAccount(ctx, pod)
}

// priority resolves priorityClassName into spec.priority.
func (b builtinAdmission) priority(ctx context.Context, pod *core.Pod) error {
	var pc *scheduling.PriorityClass
	if pod.Spec.PriorityClassName != "" {
		found, err := cachedGet[*scheduling.PriorityClass](ctx, b.s, gvrPriorityClasses, "", pod.Spec.PriorityClassName)
		if err != nil {
			return apierror.NewInternal(err)
		}
		if found == nil {
			return apierror.NewForbidden(apierror.GroupResource{Resource: "pods"}, pod.Name,
				fmt.Sprintf("no PriorityClass with name %s was found", pod.Spec.PriorityClassName))
		}
		pc = found
	} else {
		all, err := cachedList[*scheduling.PriorityClass](ctx, b.s, gvrPriorityClasses, "")
		if err != nil {
			return apierror.NewInternal(err)
		}
		for _, c := range all {
			if c.GlobalDefault && (pc == nil || c.Value > pc.Value) {
				pc = c
			}
		}
	}
	value := int32(0)
	if pc != nil {
		value = pc.Value
		if pod.Spec.PreemptionPolicy == nil && pc.PreemptionPolicy != nil {
			p := *pc.PreemptionPolicy
			pod.Spec.PreemptionPolicy = &p
		}
		if pod.Spec.PriorityClassName == "" {
			pod.Spec.PriorityClassName = pc.Name
		}
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return apierror.NewForbidden(apierror.GroupResource{Resource: "pods"}, pod.Name,
			"the integer value of priority must not be provided in pod spec; priority admission controller computed "+fmt.Sprint(value)+" from the given PriorityClass name")
	}
	pod.Spec.Priority = &value
	return nil
}

// addDefaultTolerations lets pods ride out a short node outage.
func addDefaultTolerations(pod *core.Pod) {
	for _, key := range []string{core.TaintNodeNotReady, core.TaintNodeUnreachable} {
		tolerated := false
		for _, t := range pod.Spec.Tolerations {
			if (t.Key == key || t.Key == "" && t.Operator == core.TolerationOpExists) && (t.Effect == "" || t.Effect == core.TaintEffectNoExecute) {
				tolerated = true
			}
		}
		if !tolerated {
			secs := int64(DefaultTolerationSeconds)
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, core.Toleration{
				Key: key, Operator: core.TolerationOpExists, Effect: core.TaintEffectNoExecute, TolerationSeconds: &secs})
		}
	}
}

// serviceAccount defaults the pod's account, checks that it exists, and
// mounts a projected token volume unless automounting is off.
func (b builtinAdmission) serviceAccount(ctx context.Context, pod *core.Pod) error {
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = "default"
	}
	if isMirrorPod(pod) {
		return nil // static pods may not reference API objects
	}
	sa, err := cachedGet[*core.ServiceAccount](ctx, b.s, gvrServiceAccounts, pod.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return apierror.NewInternal(err)
	}
	if sa == nil {
		return apierror.NewForbidden(apierror.GroupResource{Resource: "pods"}, pod.Name,
			fmt.Sprintf("error looking up service account %s/%s: serviceaccount %q not found", pod.Namespace, pod.Spec.ServiceAccountName, pod.Spec.ServiceAccountName))
	}
	automount := true
	if sa.AutomountServiceAccountToken != nil {
		automount = *sa.AutomountServiceAccountToken
	}
	if pod.Spec.AutomountServiceAccountToken != nil {
		automount = *pod.Spec.AutomountServiceAccountToken
	}
	if !automount {
		return nil
	}
	for _, c := range append(append([]core.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if m.MountPath == ServiceAccountMountPath {
				return nil // the pod mounts its own credentials there
			}
		}
	}
	name := "kube-api-access-" + randomSuffix(5)
	exp := int64(tokenExpirationSeconds)
	mode := int32(0o644)
	sources := []core.VolumeProjection{{ServiceAccountToken: &core.ServiceAccountTokenProjection{ExpirationSeconds: &exp, Path: "token"}}}
	if b.s.cfg.RootCAData != nil {
		sources = append(sources, core.VolumeProjection{ConfigMap: &core.ConfigMapProjection{
			LocalObjectReference: core.LocalObjectReference{Name: RootCAConfigMap},
			Items:                []core.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}})
	}
	sources = append(sources, core.VolumeProjection{DownwardAPI: &core.DownwardAPIProjection{Items: []core.DownwardAPIVolumeFile{{
		Path: "namespace", FieldRef: &core.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}})
	pod.Spec.Volumes = append(pod.Spec.Volumes, core.Volume{Name: name, VolumeSource: core.VolumeSource{
		Projected: &core.ProjectedVolumeSource{Sources: sources, DefaultMode: &mode}}})
	mount := core.VolumeMount{Name: name, MountPath: ServiceAccountMountPath, ReadOnly: true}
	for i := range pod.Spec.InitContainers {
		pod.Spec.InitContainers[i].VolumeMounts = append(pod.Spec.InitContainers[i].VolumeMounts, mount)
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].VolumeMounts = append(pod.Spec.Containers[i].VolumeMounts, mount)
	}
	return nil
}

// MirrorPodAnnotation marks the API copies of a kubelet's static pods.
const MirrorPodAnnotation = "kubernetes.io/config.mirror"

func isMirrorPod(pod *core.Pod) bool {
	_, ok := pod.Annotations[MirrorPodAnnotation]
	return ok
}

// namespaceCreated fills a new namespace with what pods need at once: the
// default ServiceAccount and the cluster CA bundle (Kubernetes leaves both
// to controllers, which races with the first pods).
func (s *Server) namespaceCreated(ctx context.Context, ns string) {
	if sa, ok := s.lookup(gvrServiceAccounts); ok {
		obj := &core.ServiceAccount{ObjectMeta: meta.ObjectMeta{Name: "default", Namespace: ns}}
		if _, err := s.createObject(ctx, sa, ns, obj, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			s.log.Warn("creating default service account", "namespace", ns, "err", err)
		}
	}
	if s.cfg.RootCAData == nil {
		return
	}
	if cm, ok := s.lookup(gvrConfigMaps); ok {
		obj := &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: RootCAConfigMap, Namespace: ns}, Data: map[string]string{"ca.crt": string(s.cfg.RootCAData)}}
		if _, err := s.createObject(ctx, cm, ns, obj, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			s.log.Warn("publishing the root CA", "namespace", ns, "err", err)
		}
	}
}

// protectedNamespaces cannot be deleted, as in Kubernetes.
var protectedNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

func checkNamespaceDelete(res *resource, name string) error {
	if res.gvr.Group == "" && res.gvr.Resource == "namespaces" && protectedNamespaces[name] {
		return apierror.New(http.StatusForbidden, meta.StatusReasonForbidden,
			fmt.Sprintf("namespaces %q is forbidden: this namespace may not be deleted", name), &meta.StatusDetails{Name: name, Kind: "namespaces"})
	}
	return nil
}

// validatePriorityClass reserves high values for system classes.
func validatePriorityClass(obj meta.Object) []meta.StatusCause {
	pc := obj.(*scheduling.PriorityClass)
	if pc.Value > scheduling.HighestUserDefinable && !strings.HasPrefix(pc.Name, "system-") {
		return []meta.StatusCause{{Type: meta.CauseTypeForbidden, Field: "value",
			Message: fmt.Sprintf("Forbidden: maximum allowed value of a user defined priority is %d", scheduling.HighestUserDefinable)}}
	}
	return nil
}
