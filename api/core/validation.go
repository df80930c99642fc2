package core

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

// Limits the validators enforce.
const (
	// MaxSecretSize is the most bytes the data of a Secret or ConfigMap may
	// hold (1 MiB).
	MaxSecretSize = 1 << 20
	// NodePortMin and NodePortMax bound Service node ports (the default
	// --service-node-port-range of Kubernetes).
	NodePortMin = 30000
	NodePortMax = 32767
	// maxVolumeMode is the largest file mode a volume may set (0777).
	maxVolumeMode = 0o777
)

var metadataPath = field.NewPath("metadata")

// Validate checks a new object of one of this package's kinds and reports
// whether it knew the kind.
func Validate(obj meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Pod:
		return ValidatePod(o), true
	case *Node:
		return ValidateNode(o), true
	case *Service:
		return ValidateService(o), true
	case *Endpoints:
		return ValidateEndpoints(o), true
	case *Namespace:
		return ValidateNamespace(o), true
	case *ConfigMap:
		return ValidateConfigMap(o), true
	case *Secret:
		return ValidateSecret(o), true
	case *ServiceAccount:
		return ValidateServiceAccount(o), true
	case *Event:
		return ValidateEvent(o), true
	case *PersistentVolume:
		return ValidatePersistentVolume(o), true
	case *PersistentVolumeClaim:
		return ValidatePersistentVolumeClaim(o), true
	case *Binding:
		return ValidateBinding(o), true
	}
	return nil, false
}

// ValidateUpdate checks an update of an object of one of this package's
// kinds from old to obj and reports whether it knew the kind; an old
// object of another kind is an error.
func ValidateUpdate(obj, old meta.Object) (field.ErrorList, bool) {
	switch o := obj.(type) {
	case *Pod:
		return validation.ValidateUpdateAs(o, old, ValidatePodUpdate), true
	case *Node:
		return validation.ValidateUpdateAs(o, old, ValidateNodeUpdate), true
	case *Service:
		return validation.ValidateUpdateAs(o, old, ValidateServiceUpdate), true
	case *Endpoints:
		return validation.ValidateUpdateAs(o, old, ValidateEndpointsUpdate), true
	case *Namespace:
		return validation.ValidateUpdateAs(o, old, ValidateNamespaceUpdate), true
	case *ConfigMap:
		return validation.ValidateUpdateAs(o, old, ValidateConfigMapUpdate), true
	case *Secret:
		return validation.ValidateUpdateAs(o, old, ValidateSecretUpdate), true
	case *ServiceAccount:
		return validation.ValidateUpdateAs(o, old, ValidateServiceAccountUpdate), true
	case *Event:
		return validation.ValidateUpdateAs(o, old, ValidateEventUpdate), true
	case *PersistentVolume:
		return validation.ValidateUpdateAs(o, old, ValidatePersistentVolumeUpdate), true
	case *PersistentVolumeClaim:
		return validation.ValidateUpdateAs(o, old, ValidatePersistentVolumeClaimUpdate), true
	case *Binding:
		return ValidateBinding(o), true
	}
	return nil, false
}

// ---- helpers ----

func invalidAll(errs field.ErrorList, p *field.Path, value any, msgs []string) field.ErrorList {
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(p, value, msg))
	}
	return errs
}

func nonNegative32(errs field.ErrorList, v int32, p *field.Path) field.ErrorList {
	if v < 0 {
		errs = append(errs, field.Invalid(p, v, validation.IsNegativeErrorMsg))
	}
	return errs
}

// validatePortNumOrName checks an int-or-string port: a valid number, or
// a valid port name (IANA_SVC_NAME).
func validatePortNumOrName(port intstr.IntOrString, p *field.Path) field.ErrorList {
	if port.Type == intstr.Int {
		return invalidAll(nil, p, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))
	}
	if port.StrVal == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	return invalidAll(nil, p, port.StrVal, validation.IsValidPortName(port.StrVal))
}

var supportedProtocols = []Protocol{ProtocolTCP, ProtocolUDP, ProtocolSCTP}

func validateProtocol(proto Protocol, p *field.Path) field.ErrorList {
	if proto == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if !slices.Contains(supportedProtocols, proto) {
		return field.ErrorList{field.NotSupported(p, proto, supportedProtocols)}
	}
	return nil
}

// validateResourceName checks a resource name: a qualified name, and for
// names without a prefix one of the standard resources.
func validateResourceName(name ResourceName, p *field.Path) field.ErrorList {
	errs := invalidAll(nil, p, name, validation.IsQualifiedName(string(name)))
	if len(errs) > 0 {
		return errs
	}
	s := string(name)
	if !strings.Contains(s, "/") && !isStandardResource(s) {
		errs = append(errs, field.Invalid(p, name, "must be a standard resource type or fully qualified"))
	}
	return errs
}

func isStandardResource(s string) bool {
	switch ResourceName(s) {
	case ResourceCPU, ResourceMemory, ResourceStorage, ResourceEphemeralStorage, ResourcePods:
		return true
	}
	for _, prefix := range []string{"hugepages-", "attachable-volumes-", "requests.", "limits."} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// validateResourceList checks names and that quantities are not negative.
func validateResourceList(rl ResourceList, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedResourceNames(rl) {
		kp := p.Key(string(name))
		errs = append(errs, validateResourceName(name, kp)...)
		if q := rl[name]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(kp, q.String(), validation.IsNegativeErrorMsg))
		}
	}
	return errs
}

func sortedResourceNames(rl ResourceList) []ResourceName {
	names := make([]ResourceName, 0, len(rl))
	for n := range rl {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ValidateResourceRequirements checks a container's limits and requests:
// valid names, no negative quantities, and every request at most its limit.
func ValidateResourceRequirements(r *ResourceRequirements, p *field.Path) field.ErrorList {
	errs := validateResourceList(r.Limits, p.Child("limits"))
	errs = append(errs, validateResourceList(r.Requests, p.Child("requests"))...)
	for _, name := range sortedResourceNames(r.Requests) {
		req := r.Requests[name]
		if limit, ok := r.Limits[name]; ok && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(name)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	return errs
}

// validateLocalDescendingPath checks a relative path that stays inside its
// root: not absolute, no ".." element.
func validateLocalDescendingPath(s string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if path.IsAbs(s) || strings.HasPrefix(s, "/") {
		errs = append(errs, field.Invalid(p, s, "must be a relative path"))
	}
	if slices.Contains(strings.Split(s, "/"), "..") {
		errs = append(errs, field.Invalid(p, s, "must not contain '..'"))
	}
	return errs
}

// ---- Pod ----

// ValidatePod checks a new Pod: its metadata and its spec.
func ValidatePod(p *Pod) field.ErrorList {
	errs := validation.ValidateObjectMeta(&p.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	return append(errs, ValidatePodSpec(&p.Spec, field.NewPath("spec"))...)
}

// ValidatePodTemplateSpec checks a workload's pod template: its labels and
// annotations, its spec, and that it sets no activeDeadlineSeconds.
func ValidatePodTemplateSpec(t *PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := validation.ValidateLabels(t.Labels, p.Child("metadata", "labels"))
	errs = append(errs, validation.ValidateAnnotations(t.Annotations, p.Child("metadata", "annotations"))...)
	errs = append(errs, ValidatePodSpec(&t.Spec, p.Child("spec"))...)
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(p.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"))
	}
	return errs
}

var (
	supportedRestartPolicies = []RestartPolicy{RestartPolicyAlways, RestartPolicyOnFailure, RestartPolicyNever}
	supportedDNSPolicies     = []DNSPolicy{DNSClusterFirstWithHostNet, DNSClusterFirst, DNSDefault, DNSNone}
	supportedPullPolicies    = []PullPolicy{PullAlways, PullIfNotPresent, PullNever}
	supportedTermMsgPolicies = []TerminationMessagePolicy{TerminationMessageReadFile, TerminationMessageFallbackToLogsOnError}
	supportedTaintEffects    = []TaintEffect{TaintEffectNoSchedule, TaintEffectPreferNoSchedule, TaintEffectNoExecute}
)

// ValidatePodSpec checks a PodSpec (of a Pod or a template) at path p:
// volumes, containers and init containers, restartPolicy, dnsPolicy,
// node selector, names, deadlines and tolerations.
func ValidatePodSpec(s *PodSpec, p *field.Path) field.ErrorList {
	volumes, errs := validateVolumes(s.Volumes, p.Child("volumes"))
	errs = append(errs, validateContainers(s, volumes, p)...)
	switch {
	case s.RestartPolicy == "":
		errs = append(errs, field.Required(p.Child("restartPolicy"), ""))
	case !slices.Contains(supportedRestartPolicies, s.RestartPolicy):
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), s.RestartPolicy, supportedRestartPolicies))
	}
	switch {
	case s.DNSPolicy == "":
		errs = append(errs, field.Required(p.Child("dnsPolicy"), ""))
	case !slices.Contains(supportedDNSPolicies, s.DNSPolicy):
		errs = append(errs, field.NotSupported(p.Child("dnsPolicy"), s.DNSPolicy, supportedDNSPolicies))
	case s.DNSPolicy == DNSNone && (s.DNSConfig == nil || len(s.DNSConfig.Nameservers) == 0):
		errs = append(errs, field.Required(p.Child("dnsConfig", "nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is 'None'"))
	}
	if s.DNSConfig != nil {
		for i, ns := range s.DNSConfig.Nameservers {
			errs = invalidAll(errs, p.Child("dnsConfig", "nameservers").Index(i), ns, validation.IsValidIP(ns))
		}
	}
	errs = append(errs, validation.ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
	if s.ServiceAccountName != "" {
		errs = invalidAll(errs, p.Child("serviceAccountName"), s.ServiceAccountName, validation.NameIsDNSSubdomain(s.ServiceAccountName, false))
	}
	if s.NodeName != "" {
		errs = invalidAll(errs, p.Child("nodeName"), s.NodeName, validation.NameIsDNSSubdomain(s.NodeName, false))
	}
	if s.Hostname != "" {
		errs = invalidAll(errs, p.Child("hostname"), s.Hostname, validation.IsDNS1123Label(s.Hostname))
	}
	if s.Subdomain != "" {
		errs = invalidAll(errs, p.Child("subdomain"), s.Subdomain, validation.IsDNS1123Label(s.Subdomain))
	}
	if v := s.ActiveDeadlineSeconds; v != nil && (*v < 1 || *v > math.MaxInt32) {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *v, validation.InclusiveRangeError(1, math.MaxInt32)))
	}
	if v := s.TerminationGracePeriodSeconds; v != nil && *v < 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *v, validation.IsNegativeErrorMsg))
	}
	errs = append(errs, validateTolerations(s.Tolerations, p.Child("tolerations"))...)
	for i, ref := range s.ImagePullSecrets {
		if ref.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	errs = append(errs, validateResourceList(s.Overhead, p.Child("overhead"))...)
	errs = append(errs, validateAffinity(s.Affinity, p.Child("affinity"))...)
	errs = append(errs, validateTopologySpread(s.TopologySpreadConstraints, p.Child("topologySpreadConstraints"))...)
	for i, h := range s.HostAliases {
		errs = invalidAll(errs, p.Child("hostAliases").Index(i).Child("ip"), h.IP, validation.IsValidIP(h.IP))
		for j, n := range h.Hostnames {
			errs = invalidAll(errs, p.Child("hostAliases").Index(i).Child("hostnames").Index(j), n, validation.IsDNS1123Subdomain(n))
		}
	}
	for i, g := range s.SchedulingGates {
		errs = invalidAll(errs, p.Child("schedulingGates").Index(i).Child("name"), g.Name, validation.IsQualifiedName(g.Name))
	}
	return errs
}

// validateVolumes checks names (DNS labels, unique) and that each volume
// has exactly one valid source; it returns the set of names.
func validateVolumes(vols []Volume, p *field.Path) (map[string]bool, field.ErrorList) {
	var errs field.ErrorList
	names := make(map[string]bool, len(vols))
	for i := range vols {
		v := &vols[i]
		vp := p.Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(vp.Child("name"), ""))
		case names[v.Name]:
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		default:
			errs = invalidAll(errs, vp.Child("name"), v.Name, validation.IsDNS1123Label(v.Name))
		}
		if v.Name != "" {
			names[v.Name] = true
		}
		errs = append(errs, validateVolumeSource(&v.VolumeSource, vp)...)
	}
	return names, errs
}

func validateVolumeSource(s *VolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	one := func(name string) bool {
		n++
		if n > 1 {
			errs = append(errs, field.Forbidden(p.Child(name), "may not specify more than 1 volume type"))
			return false
		}
		return true
	}
	if s.HostPath != nil && one("hostPath") {
		if s.HostPath.Path == "" {
			errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
		}
		if t := s.HostPath.Type; t != nil && !slices.Contains([]HostPathType{HostPathUnset, HostPathDirectoryOrCreate, HostPathDirectory,
			HostPathFileOrCreate, HostPathFile, HostPathSocket, HostPathCharDev, HostPathBlockDev}, *t) {
			errs = append(errs, field.NotSupported(p.Child("hostPath", "type"), *t, []HostPathType{HostPathUnset, HostPathDirectoryOrCreate,
				HostPathDirectory, HostPathFileOrCreate, HostPathFile, HostPathSocket, HostPathCharDev, HostPathBlockDev}))
		}
	}
	if s.EmptyDir != nil && one("emptyDir") {
		if m := s.EmptyDir.Medium; m != StorageMediumDefault && m != StorageMediumMemory {
			errs = append(errs, field.NotSupported(p.Child("emptyDir", "medium"), m, []StorageMedium{StorageMediumDefault, StorageMediumMemory}))
		}
		if q := s.EmptyDir.SizeLimit; q != nil && q.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("emptyDir", "sizeLimit"), q.String(), validation.IsNegativeErrorMsg))
		}
	}
	if s.Secret != nil && one("secret") {
		sp := p.Child("secret")
		if s.Secret.SecretName == "" {
			errs = append(errs, field.Required(sp.Child("secretName"), ""))
		}
		errs = append(errs, validateVolumeMode(s.Secret.DefaultMode, sp.Child("defaultMode"))...)
		errs = append(errs, validateKeyToPaths(s.Secret.Items, sp.Child("items"))...)
	}
	if s.ConfigMap != nil && one("configMap") {
		cp := p.Child("configMap")
		if s.ConfigMap.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		}
		errs = append(errs, validateVolumeMode(s.ConfigMap.DefaultMode, cp.Child("defaultMode"))...)
		errs = append(errs, validateKeyToPaths(s.ConfigMap.Items, cp.Child("items"))...)
	}
	if s.PersistentVolumeClaim != nil && one("persistentVolumeClaim") && s.PersistentVolumeClaim.ClaimName == "" {
		errs = append(errs, field.Required(p.Child("persistentVolumeClaim", "claimName"), ""))
	}
	if s.DownwardAPI != nil && one("downwardAPI") {
		dp := p.Child("downwardAPI")
		errs = append(errs, validateVolumeMode(s.DownwardAPI.DefaultMode, dp.Child("defaultMode"))...)
		errs = append(errs, validateDownwardFiles(s.DownwardAPI.Items, dp.Child("items"))...)
	}
	if s.Projected != nil && one("projected") {
		pp := p.Child("projected")
		errs = append(errs, validateVolumeMode(s.Projected.DefaultMode, pp.Child("defaultMode"))...)
		for i, src := range s.Projected.Sources {
			errs = append(errs, validateProjection(&src, pp.Child("sources").Index(i))...)
		}
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify a volume type"))
	}
	return errs
}

func validateProjection(src *VolumeProjection, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, set := range []struct {
		name string
		ok   bool
	}{{"secret", src.Secret != nil}, {"configMap", src.ConfigMap != nil}, {"downwardAPI", src.DownwardAPI != nil}, {"serviceAccountToken", src.ServiceAccountToken != nil}} {
		if set.ok {
			n++
			if n > 1 {
				errs = append(errs, field.Forbidden(p.Child(set.name), "may not specify more than 1 volume type per source"))
			}
		}
	}
	if n == 0 {
		errs = append(errs, field.Required(p, "must specify exactly 1 volume type"))
	}
	if src.Secret != nil {
		if src.Secret.Name == "" {
			errs = append(errs, field.Required(p.Child("secret", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(src.Secret.Items, p.Child("secret", "items"))...)
	}
	if src.ConfigMap != nil {
		if src.ConfigMap.Name == "" {
			errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
		}
		errs = append(errs, validateKeyToPaths(src.ConfigMap.Items, p.Child("configMap", "items"))...)
	}
	if src.DownwardAPI != nil {
		errs = append(errs, validateDownwardFiles(src.DownwardAPI.Items, p.Child("downwardAPI", "items"))...)
	}
	if t := src.ServiceAccountToken; t != nil {
		tp := p.Child("serviceAccountToken")
		if t.Path == "" {
			errs = append(errs, field.Required(tp.Child("path"), ""))
		}
		errs = append(errs, validateLocalDescendingPath(t.Path, tp.Child("path"))...)
		if t.ExpirationSeconds != nil && *t.ExpirationSeconds < 600 {
			errs = append(errs, field.Invalid(tp.Child("expirationSeconds"), *t.ExpirationSeconds, "may not specify a duration less than 10 minutes"))
		}
	}
	return errs
}

func validateVolumeMode(mode *int32, p *field.Path) field.ErrorList {
	if mode != nil && (*mode < 0 || *mode > maxVolumeMode) {
		return field.ErrorList{field.Invalid(p, *mode, "must be a number between 0 and 0777 (octal), both inclusive")}
	}
	return nil
}

func validateKeyToPaths(items []KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, it := range items {
		ip := p.Index(i)
		if it.Key == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		}
		if it.Path == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		}
		errs = append(errs, validateLocalDescendingPath(it.Path, ip.Child("path"))...)
		errs = append(errs, validateVolumeMode(it.Mode, ip.Child("mode"))...)
	}
	return errs
}

func validateDownwardFiles(items []DownwardAPIVolumeFile, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, it := range items {
		ip := p.Index(i)
		if it.Path == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		}
		errs = append(errs, validateLocalDescendingPath(it.Path, ip.Child("path"))...)
		errs = append(errs, validateVolumeMode(it.Mode, ip.Child("mode"))...)
		switch {
		case it.FieldRef != nil && it.ResourceFieldRef != nil:
			errs = append(errs, field.Invalid(ip, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		case it.FieldRef != nil:
			errs = append(errs, validateFieldRef(it.FieldRef, downwardVolumeFieldPaths, ip.Child("fieldRef"))...)
		case it.ResourceFieldRef != nil:
			errs = append(errs, validateResourceFieldRef(it.ResourceFieldRef, true, ip.Child("resourceFieldRef"))...)
		default:
			errs = append(errs, field.Required(ip, "one of fieldRef and resourceFieldRef is required"))
		}
	}
	return errs
}

var (
	envFieldPaths = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
		"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}
	downwardVolumeFieldPaths = []string{"metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations"}
	resourceFieldRefs        = []string{"limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"}
)

func validateFieldRef(f *ObjectFieldSelector, supported []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if f.APIVersion == "" {
		errs = append(errs, field.Required(p.Child("apiVersion"), ""))
	} else if f.APIVersion != "v1" {
		errs = append(errs, field.NotSupported(p.Child("apiVersion"), f.APIVersion, []string{"v1"}))
	}
	fp := p.Child("fieldPath")
	if f.FieldPath == "" {
		return append(errs, field.Required(fp, ""))
	}
	// metadata.labels['key'] and metadata.annotations['key'] select one entry.
	for _, prefix := range []string{"metadata.labels", "metadata.annotations"} {
		if rest, ok := strings.CutPrefix(f.FieldPath, prefix+"['"); ok {
			key, ok := strings.CutSuffix(rest, "']")
			if !ok {
				return append(errs, field.Invalid(fp, f.FieldPath, "error converting fieldPath: unterminated subscript"))
			}
			return invalidAll(errs, fp, f.FieldPath, validation.IsQualifiedName(strings.ToLower(key)))
		}
	}
	if !slices.Contains(supported, f.FieldPath) {
		errs = append(errs, field.NotSupported(fp, f.FieldPath, supported))
	}
	return errs
}

func validateResourceFieldRef(r *ResourceFieldSelector, inVolume bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if inVolume && r.ContainerName == "" {
		errs = append(errs, field.Required(p.Child("containerName"), ""))
	}
	if r.Resource == "" {
		errs = append(errs, field.Required(p.Child("resource"), ""))
	} else if !slices.Contains(resourceFieldRefs, r.Resource) {
		errs = append(errs, field.NotSupported(p.Child("resource"), r.Resource, resourceFieldRefs))
	}
	if r.Divisor.Sign() < 0 {
		errs = append(errs, field.Invalid(p.Child("divisor"), r.Divisor.String(), validation.IsNegativeErrorMsg))
	}
	return errs
}

// validateContainers checks init and app containers: names (DNS labels,
// unique across both lists), images, ports, env, mounts, resources,
// probes, lifecycle hooks and policies; at least one app container.
func validateContainers(s *PodSpec, volumes map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	hostPorts := map[string]bool{}
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	for _, list := range []struct {
		cs   []Container
		path *field.Path
		init bool
	}{{s.InitContainers, p.Child("initContainers"), true}, {s.Containers, p.Child("containers"), false}} {
		for i := range list.cs {
			c := &list.cs[i]
			cp := list.path.Index(i)
			switch {
			case c.Name == "":
				errs = append(errs, field.Required(cp.Child("name"), ""))
			case names[c.Name]:
				errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
			default:
				errs = invalidAll(errs, cp.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))
			}
			names[c.Name] = true
			errs = append(errs, validateContainer(c, volumes, list.init, cp)...)
			for j, port := range c.Ports {
				if port.HostPort == 0 {
					continue
				}
				key := fmt.Sprintf("%s/%s/%d", port.HostIP, port.Protocol, port.HostPort)
				if hostPorts[key] {
					errs = append(errs, field.Duplicate(cp.Child("ports").Index(j).Child("hostPort"), fmt.Sprintf("%d/%s", port.HostPort, port.Protocol)))
				}
				hostPorts[key] = true
			}
		}
	}
	return errs
}

func validateContainer(c *Container, volumes map[string]bool, init bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if strings.TrimSpace(c.Image) == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	} else if c.Image != strings.TrimSpace(c.Image) {
		errs = append(errs, field.Invalid(p.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	errs = append(errs, validateContainerPorts(c.Ports, p.Child("ports"))...)
	errs = append(errs, validateEnv(c.Env, p.Child("env"))...)
	errs = append(errs, validateEnvFrom(c.EnvFrom, p.Child("envFrom"))...)
	errs = append(errs, validateVolumeMounts(c.VolumeMounts, volumes, p.Child("volumeMounts"))...)
	errs = append(errs, ValidateResourceRequirements(&c.Resources, p.Child("resources"))...)
	switch {
	case c.ImagePullPolicy == "":
		errs = append(errs, field.Required(p.Child("imagePullPolicy"), ""))
	case !slices.Contains(supportedPullPolicies, c.ImagePullPolicy):
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, supportedPullPolicies))
	}
	switch {
	case c.TerminationMessagePolicy == "":
		errs = append(errs, field.Required(p.Child("terminationMessagePolicy"), ""))
	case !slices.Contains(supportedTermMsgPolicies, c.TerminationMessagePolicy):
		errs = append(errs, field.NotSupported(p.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, supportedTermMsgPolicies))
	}
	sidecar := c.RestartPolicy != nil && *c.RestartPolicy == ContainerRestartPolicyAlways
	if c.RestartPolicy != nil {
		if !init {
			errs = append(errs, field.Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"))
		} else if !sidecar {
			errs = append(errs, field.NotSupported(p.Child("restartPolicy"), *c.RestartPolicy, []ContainerRestartPolicy{ContainerRestartPolicyAlways}))
		}
	}
	probes := []struct {
		name string
		pr   *Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, pr := range probes {
		if pr.pr == nil {
			continue
		}
		pp := p.Child(pr.name)
		if init && !sidecar {
			errs = append(errs, field.Forbidden(pp, "may not be set for init containers without restartPolicy=Always"))
			continue
		}
		errs = append(errs, validateProbe(pr.pr, pp)...)
		if pr.name != "readinessProbe" && pr.pr.SuccessThreshold != 1 {
			errs = append(errs, field.Invalid(pp.Child("successThreshold"), pr.pr.SuccessThreshold, "must be 1"))
		}
		if pr.name == "readinessProbe" && pr.pr.TerminationGracePeriodSeconds != nil {
			errs = append(errs, field.Invalid(pp.Child("terminationGracePeriodSeconds"), *pr.pr.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
		}
	}
	if c.Lifecycle != nil {
		if init && !sidecar {
			errs = append(errs, field.Forbidden(p.Child("lifecycle"), "may not be set for init containers without restartPolicy=Always"))
		}
		for _, h := range []struct {
			name string
			h    *LifecycleHandler
		}{{"postStart", c.Lifecycle.PostStart}, {"preStop", c.Lifecycle.PreStop}} {
			if h.h != nil {
				errs = append(errs, validateLifecycleHandler(h.h, p.Child("lifecycle", h.name))...)
			}
		}
	}
	return errs
}

func validateContainerPorts(ports []ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		pp := p.Index(i)
		if port.Name != "" {
			errs = invalidAll(errs, pp.Child("name"), port.Name, validation.IsValidPortName(port.Name))
			if names[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), ""))
		} else {
			errs = invalidAll(errs, pp.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))
		}
		if port.HostPort != 0 {
			errs = invalidAll(errs, pp.Child("hostPort"), port.HostPort, validation.IsValidPortNum(int(port.HostPort)))
		}
		if port.HostIP != "" {
			errs = invalidAll(errs, pp.Child("hostIP"), port.HostIP, validation.IsValidIP(port.HostIP))
		}
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
	}
	return errs
}

func validateEnv(env []EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ev := range env {
		ep := p.Index(i)
		if ev.Name == "" {
			errs = append(errs, field.Required(ep.Child("name"), ""))
		} else {
			errs = invalidAll(errs, ep.Child("name"), ev.Name, validation.IsEnvVarName(ev.Name))
		}
		if ev.ValueFrom == nil {
			continue
		}
		vp := ep.Child("valueFrom")
		if ev.Value != "" {
			errs = append(errs, field.Invalid(vp, "", "may not be specified when `value` is not empty"))
		}
		vf := ev.ValueFrom
		n := 0
		if vf.FieldRef != nil {
			n++
			errs = append(errs, validateFieldRef(vf.FieldRef, envFieldPaths, vp.Child("fieldRef"))...)
		}
		if vf.ResourceFieldRef != nil {
			n++
			errs = append(errs, validateResourceFieldRef(vf.ResourceFieldRef, false, vp.Child("resourceFieldRef"))...)
		}
		if r := vf.ConfigMapKeyRef; r != nil {
			n++
			errs = append(errs, validateKeyRef(r.Name, r.Key, vp.Child("configMapKeyRef"))...)
		}
		if r := vf.SecretKeyRef; r != nil {
			n++
			errs = append(errs, validateKeyRef(r.Name, r.Key, vp.Child("secretKeyRef"))...)
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(vp, "", "may not have more than one field specified at a time"))
		}
	}
	return errs
}

func validateKeyRef(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	} else {
		errs = invalidAll(errs, p.Child("key"), key, validation.IsConfigMapKey(key))
	}
	return errs
}

func validateEnvFrom(sources []EnvFromSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range sources {
		sp := p.Index(i)
		if s.Prefix != "" {
			errs = invalidAll(errs, sp.Child("prefix"), s.Prefix, validation.IsEnvVarName(s.Prefix))
		}
		switch {
		case s.ConfigMapRef != nil && s.SecretRef != nil:
			errs = append(errs, field.Invalid(sp, "", "may not have more than one field specified at a time"))
		case s.ConfigMapRef != nil:
			if s.ConfigMapRef.Name == "" {
				errs = append(errs, field.Required(sp.Child("configMapRef", "name"), ""))
			}
		case s.SecretRef != nil:
			if s.SecretRef.Name == "" {
				errs = append(errs, field.Required(sp.Child("secretRef", "name"), ""))
			}
		default:
			errs = append(errs, field.Invalid(sp, "", "must specify one of: `configMapRef` or `secretRef`"))
		}
	}
	return errs
}

func validateVolumeMounts(mounts []VolumeMount, volumes map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := map[string]bool{}
	for i, m := range mounts {
		mp := p.Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(mp.Child("name"), ""))
		} else if !volumes[m.Name] {
			errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		} else if paths[m.MountPath] {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths[m.MountPath] = true
		if m.SubPath != "" {
			errs = append(errs, validateLocalDescendingPath(m.SubPath, mp.Child("subPath"))...)
		}
		if m.SubPath != "" && m.SubPathExpr != "" {
			errs = append(errs, field.Invalid(mp.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive"))
		}
		if mode := m.MountPropagation; mode != nil {
			supported := []MountPropagationMode{MountPropagationNone, MountPropagationHostToContainer, MountPropagationBidirectional}
			if !slices.Contains(supported, *mode) {
				errs = append(errs, field.NotSupported(mp.Child("mountPropagation"), *mode, supported))
			}
		}
	}
	return errs
}

// handlerCount checks exactly one action is set; names lists the set ones.
func handlerCount(p *field.Path, names []string, none string) field.ErrorList {
	switch len(names) {
	case 0:
		return field.ErrorList{field.Required(p, none)}
	case 1:
		return nil
	}
	var errs field.ErrorList
	for _, n := range names[1:] {
		errs = append(errs, field.Forbidden(p.Child(n), "may not specify more than 1 handler type"))
	}
	return errs
}

// validateHandlers checks the actions probes and lifecycle hooks share
// and returns the names of those that are set.
func validateHandlers(exec *ExecAction, get *HTTPGetAction, tcp *TCPSocketAction, p *field.Path) ([]string, field.ErrorList) {
	var set []string
	var errs field.ErrorList
	if exec != nil {
		set = append(set, "exec")
		errs = append(errs, validateExec(exec, p.Child("exec"))...)
	}
	if get != nil {
		set = append(set, "httpGet")
		errs = append(errs, validateHTTPGet(get, p.Child("httpGet"))...)
	}
	if tcp != nil {
		set = append(set, "tcpSocket")
		errs = append(errs, validatePortNumOrName(tcp.Port, p.Child("tcpSocket", "port"))...)
	}
	return set, errs
}

func validateProbe(pr *Probe, p *field.Path) field.ErrorList {
	h := &pr.ProbeHandler
	set, errs := validateHandlers(h.Exec, h.HTTPGet, h.TCPSocket, p)
	if h.GRPC != nil {
		set = append(set, "grpc")
		errs = invalidAll(errs, p.Child("grpc", "port"), h.GRPC.Port, validation.IsValidPortNum(int(h.GRPC.Port)))
	}
	errs = append(handlerCount(p, set, "must specify a handler type"), errs...)
	errs = nonNegative32(errs, pr.InitialDelaySeconds, p.Child("initialDelaySeconds"))
	errs = nonNegative32(errs, pr.TimeoutSeconds, p.Child("timeoutSeconds"))
	errs = nonNegative32(errs, pr.PeriodSeconds, p.Child("periodSeconds"))
	errs = nonNegative32(errs, pr.SuccessThreshold, p.Child("successThreshold"))
	errs = nonNegative32(errs, pr.FailureThreshold, p.Child("failureThreshold"))
	if v := pr.TerminationGracePeriodSeconds; v != nil && *v <= 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *v, "must be greater than 0"))
	}
	return errs
}

func validateLifecycleHandler(h *LifecycleHandler, p *field.Path) field.ErrorList {
	set, errs := validateHandlers(h.Exec, h.HTTPGet, h.TCPSocket, p)
	if h.Sleep != nil {
		set = append(set, "sleep")
		if h.Sleep.Seconds < 0 {
			errs = append(errs, field.Invalid(p.Child("sleep", "seconds"), h.Sleep.Seconds, validation.IsNegativeErrorMsg))
		}
	}
	return append(handlerCount(p, set, "must specify a handler type"), errs...)
}

func validateExec(e *ExecAction, p *field.Path) field.ErrorList {
	if len(e.Command) == 0 {
		return field.ErrorList{field.Required(p.Child("command"), "")}
	}
	return nil
}

func validateHTTPGet(h *HTTPGetAction, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.Path == "" {
		errs = append(errs, field.Required(p.Child("path"), ""))
	}
	errs = append(errs, validatePortNumOrName(h.Port, p.Child("port"))...)
	if h.Scheme != URISchemeHTTP && h.Scheme != URISchemeHTTPS {
		errs = append(errs, field.NotSupported(p.Child("scheme"), h.Scheme, []URIScheme{URISchemeHTTP, URISchemeHTTPS}))
	}
	for i, hd := range h.HTTPHeaders {
		errs = invalidAll(errs, p.Child("httpHeaders").Index(i).Child("name"), hd.Name, validation.IsHTTPHeaderName(hd.Name))
	}
	return errs
}

func validateTolerations(ts []Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range ts {
		tp := p.Index(i)
		if t.Key != "" {
			errs = invalidAll(errs, tp.Child("key"), t.Key, validation.IsQualifiedName(t.Key))
		}
		if t.Key == "" && t.Operator != TolerationOpExists {
			errs = append(errs, field.Invalid(tp.Child("operator"), t.Operator,
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != TaintEffectNoExecute {
			errs = append(errs, field.Invalid(tp.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case TolerationOpEqual, "":
			errs = invalidAll(errs, tp.Child("value"), t.Value, validation.IsValidLabelValue(t.Value))
		case TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(tp.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(tp.Child("operator"), t.Operator, []TolerationOperator{TolerationOpEqual, TolerationOpExists}))
		}
		if t.Effect != "" && !slices.Contains(supportedTaintEffects, t.Effect) {
			errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, supportedTaintEffects))
		}
	}
	return errs
}

// podUpdateForbidden is the detail Kubernetes gives for a forbidden change.
const podUpdateForbidden = "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, " +
	"`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), " +
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidatePodUpdate checks an update of a Pod: metadata rules, a valid
// new spec, and that only mutable spec fields change: container and init
// container images, activeDeadlineSeconds (may be set, or lowered, never
// unset or raised), tolerations (only additions; an existing NoExecute
// toleration may lower its tolerationSeconds), terminationGracePeriodSeconds
// from a negative value to 1, and removal of scheduling gates.
func ValidatePodUpdate(newPod, oldPod *Pod) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newPod.ObjectMeta, &oldPod.ObjectMeta, metadataPath)
	specPath := field.NewPath("spec")
	errs = append(errs, ValidatePodSpec(&newPod.Spec, specPath)...)
	ns, os := &newPod.Spec, &oldPod.Spec
	if len(ns.Containers) != len(os.Containers) || len(ns.InitContainers) != len(os.InitContainers) {
		return append(errs, field.Forbidden(specPath, podUpdateForbidden))
	}
	if v := os.ActiveDeadlineSeconds; v != nil {
		if ns.ActiveDeadlineSeconds == nil {
			errs = append(errs, field.Invalid(specPath.Child("activeDeadlineSeconds"), ns.ActiveDeadlineSeconds, "must not update from a positive integer to nil value"))
		} else if *ns.ActiveDeadlineSeconds > *v {
			errs = append(errs, field.Invalid(specPath.Child("activeDeadlineSeconds"), *ns.ActiveDeadlineSeconds, "must be less than or equal to previous value"))
		}
	}
	errs = append(errs, validateOnlyAddedTolerations(ns.Tolerations, os.Tolerations, specPath.Child("tolerations"))...)
	for i, g := range ns.SchedulingGates {
		if !slices.Contains(os.SchedulingGates, g) {
			errs = append(errs, field.Forbidden(specPath.Child("schedulingGates").Index(i), "only deletion is allowed, but found new scheduling gate '"+g.Name+"'"))
		}
	}
	// Copy what may change from the new spec onto a copy of the old one;
	// anything else that differs is a forbidden change.
	mutable := os.DeepCopy()
	for i := range ns.Containers {
		mutable.Containers[i].Image = ns.Containers[i].Image
	}
	for i := range ns.InitContainers {
		mutable.InitContainers[i].Image = ns.InitContainers[i].Image
	}
	mutable.ActiveDeadlineSeconds = ns.ActiveDeadlineSeconds
	mutable.Tolerations = ns.Tolerations
	mutable.SchedulingGates = ns.SchedulingGates
	if g := os.TerminationGracePeriodSeconds; g != nil && *g < 0 && ns.TerminationGracePeriodSeconds != nil && *ns.TerminationGracePeriodSeconds == 1 {
		mutable.TerminationGracePeriodSeconds = ns.TerminationGracePeriodSeconds
	}
	if !validation.SemanticEqual(*mutable, *ns) {
		errs = append(errs, field.Forbidden(specPath, podUpdateForbidden))
	}
	return errs
}

func validateOnlyAddedTolerations(newTs, oldTs []Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, old := range oldTs {
		found := false
		for _, nt := range newTs {
			if nt.Key != old.Key || nt.Operator != old.Operator || nt.Value != old.Value || nt.Effect != old.Effect {
				continue
			}
			if validation.SemanticEqual(nt.TolerationSeconds, old.TolerationSeconds) {
				found = true
				break
			}
			// An existing NoExecute toleration may shorten its time.
			if old.Effect == TaintEffectNoExecute && nt.TolerationSeconds != nil && old.TolerationSeconds != nil && *nt.TolerationSeconds <= *old.TolerationSeconds {
				found = true
				break
			}
		}
		if !found {
			errs = append(errs, field.Forbidden(p, "existing toleration can not be modified except its tolerationSeconds"))
			return errs
		}
	}
	return errs
}

// ValidateBinding checks a pod binding: a target name, and a target kind
// that is empty or Node.
func ValidateBinding(b *Binding) field.ErrorList {
	errs := validation.ValidateObjectMeta(&b.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if b.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	return errs
}

// ---- Service ----

var supportedServiceTypes = []ServiceType{ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer, ServiceTypeExternalName}

// ValidateService checks a Service: a DNS-1035 name, its type, ports
// (valid and unique numbers and names, target ports, node ports only for
// NodePort and LoadBalancer and within 30000-32767), cluster IPs,
// session affinity, traffic policies, external IPs and selector.
func ValidateService(svc *Service) field.ErrorList {
	errs := validation.ValidateObjectMeta(&svc.ObjectMeta, true, validation.NameIsDNS1035Label, metadataPath)
	s := &svc.Spec
	sp := field.NewPath("spec")
	switch {
	case s.Type == "":
		errs = append(errs, field.Required(sp.Child("type"), ""))
	case !slices.Contains(supportedServiceTypes, s.Type):
		errs = append(errs, field.NotSupported(sp.Child("type"), s.Type, supportedServiceTypes))
	}
	headless := s.ClusterIP == ClusterIPNone
	if s.Type == ServiceTypeExternalName {
		if s.ClusterIP != "" {
			errs = append(errs, field.Forbidden(sp.Child("clusterIP"), "may not be set for ExternalName services"))
		}
		name := strings.TrimSuffix(s.ExternalName, ".")
		if name == "" {
			errs = append(errs, field.Required(sp.Child("externalName"), ""))
		} else {
			errs = invalidAll(errs, sp.Child("externalName"), s.ExternalName, validation.IsDNS1123Subdomain(name))
		}
	} else {
		if len(s.Ports) == 0 && !headless {
			errs = append(errs, field.Required(sp.Child("ports"), ""))
		}
		if s.ClusterIP != "" && !headless {
			errs = invalidAll(errs, sp.Child("clusterIP"), s.ClusterIP, validation.IsValidIP(s.ClusterIP))
		}
		for i, ip := range s.ClusterIPs {
			if i == 0 && s.ClusterIP != "" && ip != s.ClusterIP {
				errs = append(errs, field.Invalid(sp.Child("clusterIPs").Index(0), ip, "must match `spec.clusterIP`"))
			}
			if ip != ClusterIPNone {
				errs = invalidAll(errs, sp.Child("clusterIPs").Index(i), ip, validation.IsValidIP(ip))
			}
		}
		if headless && (s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer) {
			errs = append(errs, field.Invalid(sp.Child("clusterIP"), s.ClusterIP, "may not be set to 'None' for LoadBalancer or NodePort services"))
		}
	}
	errs = append(errs, validateServicePorts(s, sp.Child("ports"))...)
	switch s.SessionAffinity {
	case ServiceAffinityNone:
		if s.SessionAffinityConfig != nil {
			errs = append(errs, field.Forbidden(sp.Child("sessionAffinityConfig"), fmt.Sprintf("must not be set when session affinity is %s", ServiceAffinityNone)))
		}
	case ServiceAffinityClientIP:
		if c := s.SessionAffinityConfig; c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			errs = append(errs, field.Required(sp.Child("sessionAffinityConfig", "clientIP", "timeoutSeconds"), ""))
		} else if t := *c.ClientIP.TimeoutSeconds; t <= 0 || t > 86400 {
			errs = append(errs, field.Invalid(sp.Child("sessionAffinityConfig", "clientIP", "timeoutSeconds"), t, "must be greater than 0 and less than 86400"))
		}
	case "":
		errs = append(errs, field.Required(sp.Child("sessionAffinity"), ""))
	default:
		errs = append(errs, field.NotSupported(sp.Child("sessionAffinity"), s.SessionAffinity, []ServiceAffinity{ServiceAffinityNone, ServiceAffinityClientIP}))
	}
	for i, ip := range s.ExternalIPs {
		errs = invalidAll(errs, sp.Child("externalIPs").Index(i), ip, validation.IsValidIP(ip))
	}
	external := s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer || (s.Type == ServiceTypeClusterIP && len(s.ExternalIPs) > 0)
	if s.ExternalTrafficPolicy != "" {
		if !external {
			errs = append(errs, field.Invalid(sp.Child("externalTrafficPolicy"), s.ExternalTrafficPolicy, "may only be set for externally-accessible services"))
		} else if s.ExternalTrafficPolicy != ServiceExternalTrafficPolicyCluster && s.ExternalTrafficPolicy != ServiceExternalTrafficPolicyLocal {
			errs = append(errs, field.NotSupported(sp.Child("externalTrafficPolicy"), s.ExternalTrafficPolicy,
				[]ServiceExternalTrafficPolicy{ServiceExternalTrafficPolicyCluster, ServiceExternalTrafficPolicyLocal}))
		}
	} else if external {
		errs = append(errs, field.Required(sp.Child("externalTrafficPolicy"), ""))
	}
	if s.HealthCheckNodePort != 0 && !(s.Type == ServiceTypeLoadBalancer && s.ExternalTrafficPolicy == ServiceExternalTrafficPolicyLocal) {
		errs = append(errs, field.Invalid(sp.Child("healthCheckNodePort"), s.HealthCheckNodePort,
			"may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
	}
	if p := s.InternalTrafficPolicy; p != nil && *p != ServiceInternalTrafficPolicyCluster && *p != ServiceInternalTrafficPolicyLocal {
		errs = append(errs, field.NotSupported(sp.Child("internalTrafficPolicy"), *p,
			[]ServiceInternalTrafficPolicy{ServiceInternalTrafficPolicyCluster, ServiceInternalTrafficPolicyLocal}))
	}
	if s.Type == ServiceTypeLoadBalancer {
		for i, cidr := range s.LoadBalancerSourceRanges {
			errs = invalidAll(errs, sp.Child("loadBalancerSourceRanges").Index(i), cidr, validation.IsValidCIDR(strings.TrimSpace(cidr)))
		}
	} else if len(s.LoadBalancerSourceRanges) > 0 {
		errs = append(errs, field.Forbidden(sp.Child("loadBalancerSourceRanges"), "may only be used when `type` is 'LoadBalancer'"))
	}
	errs = append(errs, validation.ValidateLabels(s.Selector, sp.Child("selector"))...)
	return errs
}

func validateServicePorts(s *ServiceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	ports := map[string]bool{}
	nodePorts := map[string]bool{}
	nodePortsAllowed := s.Type == ServiceTypeNodePort || s.Type == ServiceTypeLoadBalancer
	for i, port := range s.Ports {
		pp := p.Index(i)
		if port.Name == "" {
			if len(s.Ports) > 1 {
				errs = append(errs, field.Required(pp.Child("name"), ""))
			}
		} else {
			errs = invalidAll(errs, pp.Child("name"), port.Name, validation.IsDNS1123Label(port.Name))
			if names[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		errs = invalidAll(errs, pp.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		key := fmt.Sprintf("%d/%s", port.Port, port.Protocol)
		if ports[key] {
			errs = append(errs, field.Duplicate(pp, key))
		}
		ports[key] = true
		errs = append(errs, validatePortNumOrName(port.TargetPort, pp.Child("targetPort"))...)
		if port.NodePort != 0 {
			np := pp.Child("nodePort")
			if !nodePortsAllowed {
				errs = append(errs, field.Forbidden(np, fmt.Sprintf("may not be used when `type` is '%s'", s.Type)))
			} else if port.NodePort < NodePortMin || port.NodePort > NodePortMax {
				errs = append(errs, field.Invalid(np, port.NodePort,
					fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", NodePortMin, NodePortMax)))
			}
			nk := fmt.Sprintf("%d/%s", port.NodePort, port.Protocol)
			if nodePorts[nk] {
				errs = append(errs, field.Duplicate(np, port.NodePort))
			}
			nodePorts[nk] = true
		}
	}
	return errs
}

// ValidateServiceUpdate checks an update of a Service: metadata rules,
// a valid new Service, and an unchanged clusterIP (and clusterIPs) once
// allocated, unless the service changes from or to ExternalName.
func ValidateServiceUpdate(newSvc, oldSvc *Service) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newSvc.ObjectMeta, &oldSvc.ObjectMeta, metadataPath)
	errs = append(errs, ValidateService(newSvc)...)
	if newSvc.Spec.Type != ServiceTypeExternalName && oldSvc.Spec.Type != ServiceTypeExternalName && oldSvc.Spec.ClusterIP != "" {
		errs = append(errs, validation.ValidateImmutableField(newSvc.Spec.ClusterIP, oldSvc.Spec.ClusterIP, field.NewPath("spec", "clusterIP"))...)
		if len(oldSvc.Spec.ClusterIPs) > 0 && len(newSvc.Spec.ClusterIPs) > 0 && newSvc.Spec.ClusterIPs[0] != oldSvc.Spec.ClusterIPs[0] {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(0), newSvc.Spec.ClusterIPs[0], validation.FieldImmutableErrorMsg))
		}
	}
	return errs
}

// ---- Node ----

// ValidateNode checks a Node: a DNS subdomain name, pod CIDRs, taints
// (qualified keys, valid values and effects, unique by key and effect),
// and non-negative capacity and allocatable.
func ValidateNode(n *Node) field.ErrorList {
	errs := validation.ValidateObjectMeta(&n.ObjectMeta, false, validation.NameIsDNSSubdomain, metadataPath)
	sp := field.NewPath("spec")
	if n.Spec.PodCIDR != "" {
		errs = invalidAll(errs, sp.Child("podCIDR"), n.Spec.PodCIDR, validation.IsValidCIDR(n.Spec.PodCIDR))
	}
	for i, c := range n.Spec.PodCIDRs {
		errs = invalidAll(errs, sp.Child("podCIDRs").Index(i), c, validation.IsValidCIDR(c))
	}
	if len(n.Spec.PodCIDRs) > 2 {
		errs = append(errs, field.Invalid(sp.Child("podCIDRs"), n.Spec.PodCIDRs, "may specify no more than one CIDR for each IP family"))
	}
	seen := map[string]bool{}
	for i, t := range n.Spec.Taints {
		tp := sp.Child("taints").Index(i)
		if t.Key == "" {
			errs = append(errs, field.Required(tp.Child("key"), ""))
		} else {
			errs = invalidAll(errs, tp.Child("key"), t.Key, validation.IsQualifiedName(t.Key))
		}
		errs = invalidAll(errs, tp.Child("value"), t.Value, validation.IsValidLabelValue(t.Value))
		switch {
		case t.Effect == "":
			errs = append(errs, field.Required(tp.Child("effect"), ""))
		case !slices.Contains(supportedTaintEffects, t.Effect):
			errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, supportedTaintEffects))
		}
		key := t.Key + "/" + string(t.Effect)
		if seen[key] {
			errs = append(errs, field.Duplicate(tp, "taints must be unique by key and effect pair"))
		}
		seen[key] = true
	}
	st := field.NewPath("status")
	errs = append(errs, validateResourceList(n.Status.Capacity, st.Child("capacity"))...)
	errs = append(errs, validateResourceList(n.Status.Allocatable, st.Child("allocatable"))...)
	for i, a := range n.Status.Addresses {
		if a.Address == "" {
			errs = append(errs, field.Required(st.Child("addresses").Index(i).Child("address"), ""))
		}
	}
	return errs
}

// ValidateNodeUpdate checks an update of a Node: metadata rules, a valid
// new Node, and podCIDR(s) and providerID that may be set once but never
// changed.
func ValidateNodeUpdate(newNode, oldNode *Node) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newNode.ObjectMeta, &oldNode.ObjectMeta, metadataPath)
	errs = append(errs, ValidateNode(newNode)...)
	sp := field.NewPath("spec")
	if len(oldNode.Spec.PodCIDRs) > 0 {
		errs = append(errs, validation.ValidateImmutableField(newNode.Spec.PodCIDRs, oldNode.Spec.PodCIDRs, sp.Child("podCIDRs"))...)
	}
	if oldNode.Spec.PodCIDR != "" {
		errs = append(errs, validation.ValidateImmutableField(newNode.Spec.PodCIDR, oldNode.Spec.PodCIDR, sp.Child("podCIDR"))...)
	}
	if oldNode.Spec.ProviderID != "" {
		errs = append(errs, validation.ValidateImmutableField(newNode.Spec.ProviderID, oldNode.Spec.ProviderID, sp.Child("providerID"))...)
	}
	return errs
}

// ---- Namespace ----

// ValidateNamespace checks a Namespace: a DNS label name and qualified
// finalizer names.
func ValidateNamespace(ns *Namespace) field.ErrorList {
	errs := validation.ValidateObjectMeta(&ns.ObjectMeta, false, validation.ValidateNamespaceName, metadataPath)
	for i, f := range ns.Spec.Finalizers {
		errs = invalidAll(errs, field.NewPath("spec", "finalizers").Index(i), f, validation.IsQualifiedName(string(f)))
	}
	return errs
}

// ValidateNamespaceUpdate checks an update of a Namespace (metadata rules;
// spec.finalizers change only through the finalize subresource, which
// copies them).
func ValidateNamespaceUpdate(newNs, oldNs *Namespace) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newNs.ObjectMeta, &oldNs.ObjectMeta, metadataPath)
	return append(errs, ValidateNamespace(newNs)...)
}

// ---- ConfigMap and Secret ----

// ValidateConfigMap checks a ConfigMap: valid keys, no key in both data
// and binaryData, and at most MaxSecretSize bytes in all.
func ValidateConfigMap(cm *ConfigMap) field.ErrorList {
	errs := validation.ValidateObjectMeta(&cm.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	size := 0
	for _, k := range sortedKeys(cm.Data) {
		errs = invalidAll(errs, field.NewPath("data").Key(k), k, validation.IsConfigMapKey(k))
		size += len(cm.Data[k])
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		kp := field.NewPath("binaryData").Key(k)
		errs = invalidAll(errs, kp, k, validation.IsConfigMapKey(k))
		if _, dup := cm.Data[k]; dup {
			errs = append(errs, field.Invalid(kp, k, "duplicate of key present in data"))
		}
		size += len(cm.BinaryData[k])
	}
	if size > MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", MaxSecretSize))
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// immutableData checks the rules of an object marked immutable: the mark
// stays, and the data does not change.
func immutableData(newImm, oldImm *bool, same bool, dataFields ...string) field.ErrorList {
	if oldImm == nil || !*oldImm {
		return nil
	}
	var errs field.ErrorList
	if newImm == nil || !*newImm {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
	}
	if !same {
		errs = append(errs, field.Forbidden(field.NewPath(dataFields[0]), "field is immutable when `immutable` is set"))
	}
	return errs
}

// ValidateConfigMapUpdate checks an update of a ConfigMap: metadata rules,
// a valid new ConfigMap, and no change to the data of an immutable one.
func ValidateConfigMapUpdate(newCM, oldCM *ConfigMap) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newCM.ObjectMeta, &oldCM.ObjectMeta, metadataPath)
	same := validation.SemanticEqual(newCM.Data, oldCM.Data) && validation.SemanticEqual(newCM.BinaryData, oldCM.BinaryData)
	errs = append(errs, immutableData(newCM.Immutable, oldCM.Immutable, same, "data")...)
	return append(errs, ValidateConfigMap(newCM)...)
}

// secretRequiredKeys lists the data keys each secret type needs.
var secretRequiredKeys = map[SecretType][]string{
	SecretTypeDockercfg:        {".dockercfg"},
	SecretTypeDockerConfigJSON: {".dockerconfigjson"},
	SecretTypeSSHAuth:          {"ssh-privatekey"},
	SecretTypeTLS:              {"tls.crt", "tls.key"},
}

// ValidateSecret checks a Secret: valid keys in data and stringData, at
// most MaxSecretSize bytes of data, and the keys its type needs
// (dockercfg, dockerconfigjson as JSON, basic-auth, ssh-auth, tls,
// service-account-token's annotation).
func ValidateSecret(s *Secret) field.ErrorList {
	errs := validation.ValidateObjectMeta(&s.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	dataPath := field.NewPath("data")
	size := 0
	have := map[string][]byte{}
	for _, k := range sortedKeys(s.Data) {
		errs = invalidAll(errs, dataPath.Key(k), k, validation.IsConfigMapKey(k))
		size += len(s.Data[k])
		have[k] = s.Data[k]
	}
	for _, k := range sortedKeys(s.StringData) {
		errs = invalidAll(errs, field.NewPath("stringData").Key(k), k, validation.IsConfigMapKey(k))
		if _, dup := s.Data[k]; !dup {
			size += len(s.StringData[k])
		}
		have[k] = []byte(s.StringData[k])
	}
	if size > MaxSecretSize {
		errs = append(errs, field.TooLong(dataPath, "", MaxSecretSize))
	}
	for _, k := range secretRequiredKeys[s.Type] {
		if _, ok := have[k]; !ok {
			errs = append(errs, field.Required(dataPath.Key(k), ""))
		}
	}
	switch s.Type {
	case SecretTypeServiceAccountToken:
		if s.Annotations["kubernetes.io/service-account.name"] == "" {
			errs = append(errs, field.Required(metadataPath.Child("annotations").Key("kubernetes.io/service-account.name"), ""))
		}
	case SecretTypeDockerConfigJSON:
		if b, ok := have[".dockerconfigjson"]; ok && !json.Valid(b) {
			errs = append(errs, field.Invalid(dataPath.Key(".dockerconfigjson"), "<secret contents redacted>", "invalid JSON"))
		}
	case SecretTypeBasicAuth:
		_, user := have["username"]
		_, pass := have["password"]
		if !user && !pass {
			errs = append(errs, field.Required(dataPath.Key("username"), ""), field.Required(dataPath.Key("password"), ""))
		}
	case "":
		errs = append(errs, field.Required(field.NewPath("type"), ""))
	}
	return errs
}

// ValidateSecretUpdate checks an update of a Secret: metadata rules, a
// valid new Secret, an unchanged type, and no change to the data of an
// immutable one.
func ValidateSecretUpdate(newS, oldS *Secret) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newS.ObjectMeta, &oldS.ObjectMeta, metadataPath)
	errs = append(errs, validation.ValidateImmutableField(newS.Type, oldS.Type, field.NewPath("type"))...)
	same := validation.SemanticEqual(newS.Data, oldS.Data) && len(newS.StringData) == 0
	errs = append(errs, immutableData(newS.Immutable, oldS.Immutable, same, "data")...)
	return append(errs, ValidateSecret(newS)...)
}

// ---- ServiceAccount, Endpoints, Event ----

// validateMetaUpdate is an update validator for kinds whose only update
// rules are the metadata ones plus validity of the new object.
func validateMetaUpdate(errs field.ErrorList, n, old *meta.ObjectMeta) field.ErrorList {
	return append(errs, validation.ValidateObjectMetaUpdate(n, old, metadataPath)...)
}

// ValidateServiceAccountUpdate checks an update: metadata rules and a
// valid new ServiceAccount.
func ValidateServiceAccountUpdate(n, old *ServiceAccount) field.ErrorList {
	return validateMetaUpdate(ValidateServiceAccount(n), &n.ObjectMeta, &old.ObjectMeta)
}

// ValidateEndpointsUpdate checks an update: metadata rules and valid new
// Endpoints.
func ValidateEndpointsUpdate(n, old *Endpoints) field.ErrorList {
	return validateMetaUpdate(ValidateEndpoints(n), &n.ObjectMeta, &old.ObjectMeta)
}

// ValidateEventUpdate checks an update: metadata rules and a valid new
// Event.
func ValidateEventUpdate(n, old *Event) field.ErrorList {
	return validateMetaUpdate(ValidateEvent(n), &n.ObjectMeta, &old.ObjectMeta)
}

// ValidateServiceAccount checks a ServiceAccount's metadata and the names
// of its secrets and image pull secrets.
func ValidateServiceAccount(sa *ServiceAccount) field.ErrorList {
	errs := validation.ValidateObjectMeta(&sa.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	for i, r := range sa.ImagePullSecrets {
		if r.Name == "" {
			errs = append(errs, field.Required(field.NewPath("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// ValidateEndpoints checks Endpoints: each subset has addresses (valid
// IPs that are not unspecified, loopback, link-local or multicast, as
// Kubernetes requires) and ports (valid, named when several, unique
// names, known protocols).
func ValidateEndpoints(e *Endpoints) field.ErrorList {
	errs := validation.ValidateObjectMeta(&e.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	for i, ss := range e.Subsets {
		sp := field.NewPath("subsets").Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(sp, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j, a := range ss.Addresses {
			errs = append(errs, validateEndpointAddress(&a, sp.Child("addresses").Index(j))...)
		}
		for j, a := range ss.NotReadyAddresses {
			errs = append(errs, validateEndpointAddress(&a, sp.Child("notReadyAddresses").Index(j))...)
		}
		names := map[string]bool{}
		for j, port := range ss.Ports {
			pp := sp.Child("ports").Index(j)
			if port.Name == "" {
				if len(ss.Ports) > 1 {
					errs = append(errs, field.Required(pp.Child("name"), ""))
				}
			} else {
				errs = invalidAll(errs, pp.Child("name"), port.Name, validation.IsDNS1123Label(port.Name))
				if names[port.Name] {
					errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
				}
				names[port.Name] = true
			}
			errs = invalidAll(errs, pp.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))
			errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		}
	}
	return errs
}

func validateEndpointAddress(a *EndpointAddress, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ip, err := netip.ParseAddr(a.IP)
	switch {
	case err != nil || ip.Zone() != "":
		errs = invalidAll(errs, p.Child("ip"), a.IP, validation.IsValidIP(a.IP))
	case ip.IsUnspecified():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be unspecified (0.0.0.0)"))
	case ip.IsLoopback():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	case ip.IsLinkLocalUnicast():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	case ip.IsLinkLocalMulticast():
		errs = append(errs, field.Invalid(p.Child("ip"), a.IP, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	if a.Hostname != "" {
		errs = invalidAll(errs, p.Child("hostname"), a.Hostname, validation.IsDNS1123Label(a.Hostname))
	}
	if a.NodeName != nil && *a.NodeName != "" {
		errs = invalidAll(errs, p.Child("nodeName"), *a.NodeName, validation.NameIsDNSSubdomain(*a.NodeName, false))
	}
	return errs
}

// ValidateEvent checks an Event: its metadata, an involved object in the
// event's namespace, and a type of Normal or Warning when set.
func ValidateEvent(ev *Event) field.ErrorList {
	errs := validation.ValidateObjectMeta(&ev.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	if ns := ev.InvolvedObject.Namespace; ns != "" && ns != ev.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	if ev.Type != "" && ev.Type != EventTypeNormal && ev.Type != EventTypeWarning {
		errs = append(errs, field.NotSupported(field.NewPath("type"), ev.Type, []string{EventTypeNormal, EventTypeWarning}))
	}
	if ev.Count < 0 {
		errs = append(errs, field.Invalid(field.NewPath("count"), ev.Count, validation.IsNegativeErrorMsg))
	}
	return errs
}

// ---- PersistentVolume and PersistentVolumeClaim ----

var supportedAccessModes = []PersistentVolumeAccessMode{ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod}

func validateAccessModes(modes []PersistentVolumeAccessMode, p *field.Path) field.ErrorList {
	if len(modes) == 0 {
		return field.ErrorList{field.Required(p, "at least 1 access mode is required")}
	}
	var errs field.ErrorList
	for _, m := range modes {
		if !slices.Contains(supportedAccessModes, m) {
			errs = append(errs, field.NotSupported(p, m, supportedAccessModes))
		}
	}
	if slices.Contains(modes, ReadWriteOncePod) && len(modes) > 1 {
		errs = append(errs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

func validatePVMode(mode *PersistentVolumeMode, p *field.Path) field.ErrorList {
	if mode != nil && *mode != PersistentVolumeBlock && *mode != PersistentVolumeFilesystem {
		return field.ErrorList{field.NotSupported(p, *mode, []PersistentVolumeMode{PersistentVolumeBlock, PersistentVolumeFilesystem})}
	}
	return nil
}

// ValidatePersistentVolume checks a PersistentVolume: access modes, a
// storage capacity, exactly one source (hostPath or local, which needs
// node affinity), a known reclaim policy and volume mode.
func ValidatePersistentVolume(pv *PersistentVolume) field.ErrorList {
	errs := validation.ValidateObjectMeta(&pv.ObjectMeta, false, validation.NameIsDNSSubdomain, metadataPath)
	sp := field.NewPath("spec")
	s := &pv.Spec
	errs = append(errs, validateAccessModes(s.AccessModes, sp.Child("accessModes"))...)
	if len(s.Capacity) == 0 {
		errs = append(errs, field.Required(sp.Child("capacity"), ""))
	} else if _, ok := s.Capacity[ResourceStorage]; !ok || len(s.Capacity) != 1 {
		errs = append(errs, field.NotSupported(sp.Child("capacity"), s.Capacity, []ResourceName{ResourceStorage}))
	}
	errs = append(errs, validateResourceList(s.Capacity, sp.Child("capacity"))...)
	reclaim := []PersistentVolumeReclaimPolicy{PersistentVolumeReclaimRecycle, PersistentVolumeReclaimDelete, PersistentVolumeReclaimRetain}
	if s.PersistentVolumeReclaimPolicy != "" && !slices.Contains(reclaim, s.PersistentVolumeReclaimPolicy) {
		errs = append(errs, field.NotSupported(sp.Child("persistentVolumeReclaimPolicy"), s.PersistentVolumeReclaimPolicy, reclaim))
	}
	errs = append(errs, validatePVMode(s.VolumeMode, sp.Child("volumeMode"))...)
	switch {
	case s.HostPath != nil && s.Local != nil:
		errs = append(errs, field.Forbidden(sp.Child("local"), "may not specify more than 1 volume type"))
	case s.HostPath != nil:
		if s.HostPath.Path == "" {
			errs = append(errs, field.Required(sp.Child("hostPath", "path"), ""))
		}
	case s.Local != nil:
		if s.Local.Path == "" {
			errs = append(errs, field.Required(sp.Child("local", "path"), ""))
		}
		if s.NodeAffinity == nil || s.NodeAffinity.Required == nil {
			errs = append(errs, field.Required(sp.Child("nodeAffinity"), "Local volume requires node affinity"))
		}
	default:
		errs = append(errs, field.Required(sp, "must specify a volume type"))
	}
	if s.StorageClassName != "" {
		errs = invalidAll(errs, sp.Child("storageClassName"), s.StorageClassName, validation.NameIsDNSSubdomain(s.StorageClassName, false))
	}
	return errs
}

// ValidatePersistentVolumeUpdate checks an update of a PersistentVolume:
// metadata rules, a valid new volume, and an unchanged source, volume mode
// and (once set) node affinity.
func ValidatePersistentVolumeUpdate(newPV, oldPV *PersistentVolume) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newPV.ObjectMeta, &oldPV.ObjectMeta, metadataPath)
	errs = append(errs, ValidatePersistentVolume(newPV)...)
	sp := field.NewPath("spec")
	if !validation.SemanticEqual(newPV.Spec.PersistentVolumeSource, oldPV.Spec.PersistentVolumeSource) {
		errs = append(errs, field.Forbidden(sp.Child("persistentvolumesource"), "spec.persistentvolumesource is forbidden once created"))
	}
	errs = append(errs, validation.ValidateImmutableField(newPV.Spec.VolumeMode, oldPV.Spec.VolumeMode, sp.Child("volumeMode"))...)
	if oldPV.Spec.NodeAffinity != nil {
		errs = append(errs, validation.ValidateImmutableField(newPV.Spec.NodeAffinity, oldPV.Spec.NodeAffinity, sp.Child("nodeAffinity"))...)
	}
	return errs
}

// ValidatePersistentVolumeClaim checks a claim: access modes, a positive
// storage request, a valid selector and volume mode.
func ValidatePersistentVolumeClaim(pvc *PersistentVolumeClaim) field.ErrorList {
	errs := validation.ValidateObjectMeta(&pvc.ObjectMeta, true, validation.NameIsDNSSubdomain, metadataPath)
	sp := field.NewPath("spec")
	s := &pvc.Spec
	errs = append(errs, validateAccessModes(s.AccessModes, sp.Child("accessModes"))...)
	errs = append(errs, validation.ValidateLabelSelector(s.Selector, sp.Child("selector"))...)
	storage, ok := s.Resources.Requests[ResourceStorage]
	storagePath := sp.Child("resources").Key(string(ResourceStorage))
	if !ok {
		errs = append(errs, field.Required(storagePath, ""))
	} else if storage.Sign() <= 0 {
		errs = append(errs, field.Invalid(storagePath, storage.String(), "must be greater than zero"))
	}
	errs = append(errs, validateResourceList(s.Resources.Requests, sp.Child("resources", "requests"))...)
	errs = append(errs, validateResourceList(s.Resources.Limits, sp.Child("resources", "limits"))...)
	errs = append(errs, validatePVMode(s.VolumeMode, sp.Child("volumeMode"))...)
	if s.StorageClassName != nil && *s.StorageClassName != "" {
		errs = invalidAll(errs, sp.Child("storageClassName"), *s.StorageClassName, validation.NameIsDNSSubdomain(*s.StorageClassName, false))
	}
	return errs
}

// ValidatePersistentVolumeClaimUpdate checks an update of a claim:
// metadata rules, a valid new claim, and a spec that changes only in
// resources.requests (expansion, never shrinking below the old request)
// and volumeAttributesClassName, or gets its volumeName bound once.
func ValidatePersistentVolumeClaimUpdate(newPVC, oldPVC *PersistentVolumeClaim) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newPVC.ObjectMeta, &oldPVC.ObjectMeta, metadataPath)
	errs = append(errs, ValidatePersistentVolumeClaim(newPVC)...)
	sp := field.NewPath("spec")
	mutable := oldPVC.Spec.DeepCopy()
	mutable.Resources.Requests = newPVC.Spec.Resources.Requests
	mutable.VolumeAttributesClassName = newPVC.Spec.VolumeAttributesClassName
	if oldPVC.Spec.VolumeName == "" {
		mutable.VolumeName = newPVC.Spec.VolumeName
	}
	if !validation.SemanticEqual(*mutable, newPVC.Spec) {
		errs = append(errs, field.Forbidden(sp, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	oldStorage, hadOld := oldPVC.Spec.Resources.Requests[ResourceStorage]
	newStorage, hasNew := newPVC.Spec.Resources.Requests[ResourceStorage]
	if hadOld && hasNew && newStorage.Cmp(oldStorage) < 0 {
		errs = append(errs, field.Forbidden(sp.Child("resources", "requests").Key(string(ResourceStorage)), "field can not be less than previous value"))
	}
	return errs
}

// ---- scheduling constraints ----

var nodeSelectorOps = []NodeSelectorOperator{NodeSelectorOpIn, NodeSelectorOpNotIn, NodeSelectorOpExists,
	NodeSelectorOpDoesNotExist, NodeSelectorOpGt, NodeSelectorOpLt}

// validateNodeSelectorRequirement checks one node selector requirement;
// fieldKeys, when not nil, is the set of allowed keys (matchFields).
func validateNodeSelectorRequirement(r NodeSelectorRequirement, fieldKeys []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch r.Operator {
	case NodeSelectorOpIn, NodeSelectorOpNotIn:
		if len(r.Values) == 0 {
			errs = append(errs, field.Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
		}
	case NodeSelectorOpExists, NodeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			errs = append(errs, field.Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
		}
	case NodeSelectorOpGt, NodeSelectorOpLt:
		if len(r.Values) != 1 {
			errs = append(errs, field.Required(p.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			errs = append(errs, field.Invalid(p.Child("values").Index(0), r.Values[0], "must be an integer when `operator` is 'Lt' or 'Gt'"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("operator"), r.Operator, nodeSelectorOps))
	}
	if fieldKeys != nil {
		if !slices.Contains(fieldKeys, r.Key) {
			errs = append(errs, field.NotSupported(p.Child("key"), r.Key, fieldKeys))
		} else if r.Operator != NodeSelectorOpIn && r.Operator != NodeSelectorOpNotIn || len(r.Values) != 1 {
			errs = append(errs, field.Invalid(p, r.Operator, "must be 'In' or 'NotIn' with exactly one value for a field selector"))
		}
		return errs
	}
	errs = invalidAll(errs, p.Child("key"), r.Key, validation.IsQualifiedName(r.Key))
	return errs
}

func validateNodeSelectorTerm(t NodeSelectorTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range t.MatchExpressions {
		errs = append(errs, validateNodeSelectorRequirement(r, nil, p.Child("matchExpressions").Index(i))...)
	}
	for i, r := range t.MatchFields {
		errs = append(errs, validateNodeSelectorRequirement(r, []string{"metadata.name"}, p.Child("matchFields").Index(i))...)
	}
	return errs
}

func validateWeight(w int32, p *field.Path) field.ErrorList {
	return invalidAll(nil, p, w, validation.IsInRange(int(w), 1, 100))
}

func validatePodAffinityTerm(t PodAffinityTerm, p *field.Path) field.ErrorList {
	errs := validation.ValidateLabelSelector(t.LabelSelector, p.Child("labelSelector"))
	errs = append(errs, validation.ValidateLabelSelector(t.NamespaceSelector, p.Child("namespaceSelector"))...)
	for i, ns := range t.Namespaces {
		errs = invalidAll(errs, p.Child("namespaces").Index(i), ns, validation.ValidateNamespaceName(ns, false))
	}
	if t.TopologyKey == "" {
		errs = append(errs, field.Required(p.Child("topologyKey"), "can not be empty"))
	} else {
		errs = invalidAll(errs, p.Child("topologyKey"), t.TopologyKey, validation.IsQualifiedName(t.TopologyKey))
	}
	return errs
}

func validatePodAffinity(required []PodAffinityTerm, preferred []WeightedPodAffinityTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range required {
		errs = append(errs, validatePodAffinityTerm(t, p.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))...)
	}
	for i, w := range preferred {
		wp := p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		errs = append(errs, validateWeight(w.Weight, wp.Child("weight"))...)
		errs = append(errs, validatePodAffinityTerm(w.PodAffinityTerm, wp.Child("podAffinityTerm"))...)
	}
	return errs
}

// validateAffinity checks node affinity terms (operators, keys, values,
// weights 1-100) and pod (anti-)affinity terms (selectors, a topologyKey).
func validateAffinity(a *Affinity, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution")
			if len(req.NodeSelectorTerms) == 0 {
				errs = append(errs, field.Required(rp.Child("nodeSelectorTerms"), "must have at least one node selector term"))
			}
			for i, t := range req.NodeSelectorTerms {
				errs = append(errs, validateNodeSelectorTerm(t, rp.Child("nodeSelectorTerms").Index(i))...)
			}
		}
		for i, pt := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			pp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			errs = append(errs, validateWeight(pt.Weight, pp.Child("weight"))...)
			errs = append(errs, validateNodeSelectorTerm(pt.Preference, pp.Child("preference"))...)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		errs = append(errs, validatePodAffinity(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, p.Child("podAffinity"))...)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		errs = append(errs, validatePodAffinity(pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution, p.Child("podAntiAffinity"))...)
	}
	return errs
}

// validateTopologySpread checks spread constraints: maxSkew above 0, a
// topologyKey, a known whenUnsatisfiable (unique per key), minDomains
// only with DoNotSchedule, a valid selector.
func validateTopologySpread(cs []TopologySpreadConstraint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	actions := []UnsatisfiableConstraintAction{DoNotSchedule, ScheduleAnyway}
	for i, c := range cs {
		cp := p.Index(i)
		if c.MaxSkew <= 0 {
			errs = append(errs, field.Invalid(cp.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(cp.Child("topologyKey"), "can not be empty"))
		} else {
			errs = invalidAll(errs, cp.Child("topologyKey"), c.TopologyKey, validation.IsQualifiedName(c.TopologyKey))
		}
		if !slices.Contains(actions, c.WhenUnsatisfiable) {
			errs = append(errs, field.NotSupported(cp.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, actions))
		}
		key := c.TopologyKey + "/" + string(c.WhenUnsatisfiable)
		if seen[key] {
			errs = append(errs, field.Duplicate(cp, key))
		}
		seen[key] = true
		if c.MinDomains != nil {
			if *c.MinDomains <= 0 {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), *c.MinDomains, "must be greater than 0"))
			} else if c.WhenUnsatisfiable != DoNotSchedule {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), *c.MinDomains, "can only use minDomains if whenUnsatisfiable=DoNotSchedule"))
			}
		}
		errs = append(errs, validation.ValidateLabelSelector(c.LabelSelector, cp.Child("labelSelector"))...)
	}
	return errs
}

// ---- Pod status ----

// ValidatePodStatusUpdate checks an update of a pod's status (the
// pods/status subresource): metadata rules; pod and host IPs valid, unique
// and agreeing with podIP/hostIP; a valid nominatedNodeName; container
// statuses that name containers of the pod; and, for a pod that never
// restarts, no container going from terminated back to running.
func ValidatePodStatusUpdate(newPod, oldPod *Pod) field.ErrorList {
	errs := validation.ValidateObjectMetaUpdate(&newPod.ObjectMeta, &oldPod.ObjectMeta, metadataPath)
	st := field.NewPath("status")
	s := &newPod.Status
	seen := map[string]bool{}
	for i, ip := range s.PodIPs {
		ipp := st.Child("podIPs").Index(i)
		errs = invalidAll(errs, ipp, ip.IP, validation.IsValidIP(ip.IP))
		if seen[ip.IP] {
			errs = append(errs, field.Duplicate(ipp, ip.IP))
		}
		seen[ip.IP] = true
	}
	if s.PodIP != "" && len(s.PodIPs) > 0 && s.PodIPs[0].IP != s.PodIP {
		errs = append(errs, field.Invalid(st.Child("podIPs").Index(0), s.PodIPs[0].IP, "must match `status.podIP`"))
	}
	for i, ip := range s.HostIPs {
		errs = invalidAll(errs, st.Child("hostIPs").Index(i), ip.IP, validation.IsValidIP(ip.IP))
	}
	if s.HostIP != "" && len(s.HostIPs) > 0 && s.HostIPs[0].IP != s.HostIP {
		errs = append(errs, field.Invalid(st.Child("hostIPs").Index(0), s.HostIPs[0].IP, "must match `status.hostIP`"))
	}
	if s.NominatedNodeName != "" {
		errs = invalidAll(errs, st.Child("nominatedNodeName"), s.NominatedNodeName, validation.NameIsDNSSubdomain(s.NominatedNodeName, false))
	}
	errs = append(errs, validateContainerStatuses(s.InitContainerStatuses, oldPod.Status.InitContainerStatuses, newPod.Spec.InitContainers,
		newPod.Spec.RestartPolicy, st.Child("initContainerStatuses"))...)
	errs = append(errs, validateContainerStatuses(s.ContainerStatuses, oldPod.Status.ContainerStatuses, newPod.Spec.Containers,
		newPod.Spec.RestartPolicy, st.Child("containerStatuses"))...)
	return errs
}

func validateContainerStatuses(statuses, old []ContainerStatus, containers []Container, restart RestartPolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, cs := range statuses {
		cp := p.Index(i)
		if !slices.ContainsFunc(containers, func(c Container) bool { return c.Name == cs.Name }) {
			errs = append(errs, field.NotFound(cp.Child("name"), cs.Name))
			continue
		}
		if restart != RestartPolicyNever {
			continue
		}
		for _, o := range old {
			if o.Name == cs.Name && o.State.Terminated != nil && cs.State.Terminated == nil {
				errs = append(errs, field.Forbidden(cp.Child("state"), "may not be transitioned to non-terminated state"))
			}
		}
	}
	return errs
}
