package core

import (
	"strings"

	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

// Default values applied by the SetDefaults functions, as Kubernetes'
// core/v1 defaulting applies them.
const (
	DefaultTerminationGracePeriodSeconds int64 = 30
	DefaultSchedulerName                       = "default-scheduler"
	// DefaultVolumeMode is the file mode (0644) of files projected from
	// Secrets, ConfigMaps and the downward API when none is given.
	DefaultVolumeMode int32 = 0o644
	// DefaultServiceAccountTokenExpirationSeconds is the lifetime of a
	// projected service account token when none is given (one hour).
	DefaultServiceAccountTokenExpirationSeconds int64 = 3600
	// LabelMetadataName is the label Kubernetes puts on every namespace,
	// holding its name.
	LabelMetadataName = "kubernetes.io/metadata.name"
)

func init() {
	defaulters["Pod"] = meta.DefaultFunc(SetDefaultsPod)
	defaulters["Node"] = meta.DefaultFunc(SetDefaultsNode)
	defaulters["Service"] = meta.DefaultFunc(SetDefaultsService)
	defaulters["Endpoints"] = meta.DefaultFunc(SetDefaultsEndpoints)
	defaulters["Namespace"] = meta.DefaultFunc(SetDefaultsNamespace)
	defaulters["Secret"] = meta.DefaultFunc(SetDefaultsSecret)
	defaulters["PersistentVolume"] = meta.DefaultFunc(SetDefaultsPersistentVolume)
	defaulters["PersistentVolumeClaim"] = meta.DefaultFunc(SetDefaultsPersistentVolumeClaim)
}

// SetDefaults applies the defaults of obj's kind, if this package has
// any for it, and reports whether it knew the kind.
func SetDefaults(obj meta.Object) bool {
	switch o := obj.(type) {
	case *Pod:
		SetDefaultsPod(o)
	case *Node:
		SetDefaultsNode(o)
	case *Service:
		SetDefaultsService(o)
	case *Endpoints:
		SetDefaultsEndpoints(o)
	case *Namespace:
		SetDefaultsNamespace(o)
	case *Secret:
		SetDefaultsSecret(o)
	case *PersistentVolume:
		SetDefaultsPersistentVolume(o)
	case *PersistentVolumeClaim:
		SetDefaultsPersistentVolumeClaim(o)
	case *ConfigMap, *ServiceAccount, *Event, *Binding:
		// Kubernetes defaults nothing in these kinds.
	default:
		return false
	}
	return true
}

// SetDefaultsPod applies the pod defaults: those of its PodSpec
// (SetDefaultsPodSpec), plus what only a Pod gets: a container's requests
// default to its limits for every resource with a limit but no request,
// and enableServiceLinks defaults to true.
func SetDefaultsPod(p *Pod) {
	SetDefaultsPodSpec(&p.Spec)
	for _, cs := range [][]Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			r := &cs[i].Resources
			if r.Limits == nil {
				continue
			}
			if r.Requests == nil {
				r.Requests = make(ResourceList, len(r.Limits))
			}
			for name, q := range r.Limits {
				if _, ok := r.Requests[name]; !ok {
					r.Requests[name] = q.DeepCopy()
				}
			}
		}
	}
	if p.Spec.EnableServiceLinks == nil {
		p.Spec.EnableServiceLinks = ptr(true)
	}
}

// SetDefaultsPodTemplateSpec applies the defaults of a workload's pod
// template (the PodSpec defaults; not the Pod-only ones).
func SetDefaultsPodTemplateSpec(t *PodTemplateSpec) { SetDefaultsPodSpec(&t.Spec) }

// SetDefaultsPodSpec applies the defaults every PodSpec gets, in a Pod or
// a template: restartPolicy Always, dnsPolicy ClusterFirst, an empty
// securityContext, terminationGracePeriodSeconds 30, schedulerName
// "default-scheduler", host ports equal to container ports under
// hostNetwork, and the defaults of its containers and volumes.
func SetDefaultsPodSpec(s *PodSpec) {
	if s.DNSPolicy == "" {
		s.DNSPolicy = DNSClusterFirst
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartPolicyAlways
	}
	if s.HostNetwork {
		defaultHostNetworkPorts(s.InitContainers)
		defaultHostNetworkPorts(s.Containers)
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &PodSecurityContext{}
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr(DefaultTerminationGracePeriodSeconds)
	}
	if s.SchedulerName == "" {
		s.SchedulerName = DefaultSchedulerName
	}
	for i := range s.InitContainers {
		SetDefaultsContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		SetDefaultsContainer(&s.Containers[i])
	}
	for i := range s.Volumes {
		SetDefaultsVolume(&s.Volumes[i])
	}
	roundResources(s.Overhead)
}

func defaultHostNetworkPorts(cs []Container) {
	for i := range cs {
		for j := range cs[i].Ports {
			if cs[i].Ports[j].HostPort == 0 {
				cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
			}
		}
	}
}

// roundResources rounds every quantity up to milli units, as Kubernetes'
// defaulting does to keep quantities representable in its older clients.
func roundResources(rl ResourceList) {
	for name, q := range rl {
		if !q.RoundUp(resource.Milli) {
			rl[name] = q
		}
	}
}

// SetDefaultsContainer applies a container's defaults: imagePullPolicy
// Always for an image tagged ":latest" or untagged (IfNotPresent for any
// other tag or a digest), terminationMessagePath "/dev/termination-log",
// terminationMessagePolicy File, port protocol TCP, probe and handler
// defaults, fieldRef apiVersion "v1", and resources rounded to milli
// units.
func SetDefaultsContainer(c *Container) {
	if c.ImagePullPolicy == "" {
		if imageTag(c.Image) == "latest" {
			c.ImagePullPolicy = PullAlways
		} else {
			c.ImagePullPolicy = PullIfNotPresent
		}
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = DefaultTerminationMessagePath
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = TerminationMessageReadFile
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = ProtocolTCP
		}
	}
	for i := range c.Env {
		if vf := c.Env[i].ValueFrom; vf != nil && vf.FieldRef != nil {
			defaultFieldRef(vf.FieldRef)
		}
	}
	for _, p := range []*Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			SetDefaultsProbe(p)
		}
	}
	if c.Lifecycle != nil {
		for _, h := range []*LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
			if h != nil && h.HTTPGet != nil {
				defaultHTTPGet(h.HTTPGet)
			}
		}
	}
	roundResources(c.Resources.Limits)
	roundResources(c.Resources.Requests)
}

// imageTag returns the tag of an image reference: "latest" when it has
// neither tag nor digest, "" when it has only a digest. A registry port
// ("localhost:5000/app") is not a tag.
func imageTag(image string) string {
	name, _, hasDigest := strings.Cut(image, "@")
	lastSlash := strings.LastIndexByte(name, '/')
	if i := strings.LastIndexByte(name, ':'); i > lastSlash {
		return name[i+1:]
	}
	if hasDigest {
		return ""
	}
	return "latest"
}

// SetDefaultsProbe applies a probe's defaults: timeoutSeconds 1,
// periodSeconds 10, successThreshold 1, failureThreshold 3, and for an
// httpGet handler path "/" and scheme HTTP; a gRPC service defaults to "".
func SetDefaultsProbe(p *Probe) {
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if p.HTTPGet != nil {
		defaultHTTPGet(p.HTTPGet)
	}
	if p.GRPC != nil && p.GRPC.Service == nil {
		p.GRPC.Service = ptr("")
	}
}

func defaultHTTPGet(h *HTTPGetAction) {
	if h.Path == "" {
		h.Path = "/"
	}
	if h.Scheme == "" {
		h.Scheme = URISchemeHTTP
	}
}

func defaultFieldRef(f *ObjectFieldSelector) {
	if f.APIVersion == "" {
		f.APIVersion = "v1"
	}
}

// SetDefaultsVolume applies a volume's defaults: a volume with no source
// becomes an emptyDir; hostPath type defaults to "" (no check); secret,
// configMap, downwardAPI and projected volumes get defaultMode 0644;
// projected service account tokens expire after an hour.
func SetDefaultsVolume(v *Volume) {
	s := &v.VolumeSource
	if s.HostPath == nil && s.EmptyDir == nil && s.Secret == nil && s.PersistentVolumeClaim == nil &&
		s.DownwardAPI == nil && s.ConfigMap == nil && s.Projected == nil {
		s.EmptyDir = &EmptyDirVolumeSource{}
	}
	if s.HostPath != nil {
		defaultHostPath(s.HostPath)
	}
	if s.EmptyDir != nil && s.EmptyDir.SizeLimit != nil {
		s.EmptyDir.SizeLimit.RoundUp(resource.Milli)
	}
	if s.Secret != nil && s.Secret.DefaultMode == nil {
		s.Secret.DefaultMode = ptr(DefaultVolumeMode)
	}
	if s.ConfigMap != nil && s.ConfigMap.DefaultMode == nil {
		s.ConfigMap.DefaultMode = ptr(DefaultVolumeMode)
	}
	if s.DownwardAPI != nil {
		if s.DownwardAPI.DefaultMode == nil {
			s.DownwardAPI.DefaultMode = ptr(DefaultVolumeMode)
		}
		defaultDownwardFiles(s.DownwardAPI.Items)
	}
	if s.Projected != nil {
		if s.Projected.DefaultMode == nil {
			s.Projected.DefaultMode = ptr(DefaultVolumeMode)
		}
		for i := range s.Projected.Sources {
			src := &s.Projected.Sources[i]
			if src.DownwardAPI != nil {
				defaultDownwardFiles(src.DownwardAPI.Items)
			}
			if t := src.ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
				t.ExpirationSeconds = ptr(DefaultServiceAccountTokenExpirationSeconds)
			}
		}
	}
}

func defaultHostPath(h *HostPathVolumeSource) {
	if h.Type == nil {
		h.Type = ptr(HostPathUnset)
	}
}

func defaultDownwardFiles(items []DownwardAPIVolumeFile) {
	for i := range items {
		if items[i].FieldRef != nil {
			defaultFieldRef(items[i].FieldRef)
		}
	}
}

// SetDefaultsService applies a Service's defaults: type ClusterIP,
// sessionAffinity None (ClientIP gets a 10800 s timeout), port protocol
// TCP, targetPort equal to port, externalTrafficPolicy Cluster when the
// service is reachable from outside (NodePort, LoadBalancer, or external
// IPs), internalTrafficPolicy Cluster for every type but ExternalName, and
// allocateLoadBalancerNodePorts true for LoadBalancer. Cluster IPs and IP
// families are left to the API server's allocator.
func SetDefaultsService(svc *Service) {
	s := &svc.Spec
	if s.SessionAffinity == "" {
		s.SessionAffinity = ServiceAffinityNone
	}
	switch s.SessionAffinity {
	case ServiceAffinityNone:
		s.SessionAffinityConfig = nil
	case ServiceAffinityClientIP:
		if s.SessionAffinityConfig == nil || s.SessionAffinityConfig.ClientIP == nil || s.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			s.SessionAffinityConfig = &SessionAffinityConfig{ClientIP: &ClientIPConfig{TimeoutSeconds: ptr(DefaultClientIPServiceAffinitySeconds)}}
		}
	}
	if s.Type == "" {
		s.Type = ServiceTypeClusterIP
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == "" {
			p.Protocol = ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt(p.Port)
		}
	}
	external := s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer ||
		(s.Type == ServiceTypeClusterIP && len(s.ExternalIPs) > 0)
	if external && s.ExternalTrafficPolicy == "" {
		s.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
	}
	if s.InternalTrafficPolicy == nil && s.Type != ServiceTypeExternalName {
		s.InternalTrafficPolicy = ptr(ServiceInternalTrafficPolicyCluster)
	}
	if s.Type == ServiceTypeLoadBalancer {
		if s.AllocateLoadBalancerNodePorts == nil {
			s.AllocateLoadBalancerNodePorts = ptr(true)
		}
		for i := range svc.Status.LoadBalancer.Ingress {
			ing := &svc.Status.LoadBalancer.Ingress[i]
			if ing.IP != "" && ing.IPMode == nil {
				ing.IPMode = ptr(LoadBalancerIPModeVIP)
			}
		}
	}
}

// SetDefaultsEndpoints gives every port protocol TCP.
func SetDefaultsEndpoints(e *Endpoints) {
	for i := range e.Subsets {
		for j := range e.Subsets[i].Ports {
			if e.Subsets[i].Ports[j].Protocol == "" {
				e.Subsets[i].Ports[j].Protocol = ProtocolTCP
			}
		}
	}
}

// SetDefaultsNode defaults allocatable to capacity and rounds both to
// milli units.
func SetDefaultsNode(n *Node) {
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = make(ResourceList, len(n.Status.Capacity))
		for name, q := range n.Status.Capacity {
			n.Status.Allocatable[name] = q.DeepCopy()
		}
	}
	roundResources(n.Status.Capacity)
	roundResources(n.Status.Allocatable)
}

// SetDefaultsNamespace labels a named namespace with
// kubernetes.io/metadata.name=<name>. The phase (Active) is set by the API
// server on create, not here.
func SetDefaultsNamespace(ns *Namespace) {
	if ns.Name == "" {
		return
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[LabelMetadataName] = ns.Name
}

// SetDefaultsSecret sets type Opaque when none is given.
func SetDefaultsSecret(s *Secret) {
	if s.Type == "" {
		s.Type = SecretTypeOpaque
	}
}

// SetDefaultsPersistentVolume sets phase Pending, reclaim policy Retain,
// volume mode Filesystem and hostPath type "", and rounds capacity.
func SetDefaultsPersistentVolume(pv *PersistentVolume) {
	if pv.Status.Phase == "" {
		pv.Status.Phase = VolumePending
	}
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		pv.Spec.VolumeMode = ptr(PersistentVolumeFilesystem)
	}
	if pv.Spec.HostPath != nil {
		defaultHostPath(pv.Spec.HostPath)
	}
	roundResources(pv.Spec.Capacity)
}

// SetDefaultsPersistentVolumeClaim sets phase Pending and volume mode
// Filesystem, and rounds the resource lists.
func SetDefaultsPersistentVolumeClaim(pvc *PersistentVolumeClaim) {
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = ClaimPending
	}
	if pvc.Spec.VolumeMode == nil {
		pvc.Spec.VolumeMode = ptr(PersistentVolumeFilesystem)
	}
	roundResources(pvc.Spec.Resources.Limits)
	roundResources(pvc.Spec.Resources.Requests)
	roundResources(pvc.Status.Capacity)
	roundResources(pvc.Status.AllocatedResources)
}

func ptr[T any](v T) *T { return &v }
