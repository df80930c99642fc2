package framework

import (
	"maps"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
)

// Default requests used for scoring when a container sets none, as
// Kubernetes does, so that pods without requests still spread.
const (
	DefaultMilliCPURequest int64 = 100               // 0.1 core
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// Resource is an amount of compute resources in scheduler units: CPU in
// millicores, memory and ephemeral storage in bytes, pods as a count, and
// extended resources (example.com/gpu, hugepages-2Mi, ...) as integers.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	AllowedPodNumber int64
	ScalarResources  map[core.ResourceName]int64
}

// NewResource converts a resource list.
func NewResource(rl core.ResourceList) *Resource {
	r := &Resource{}
	r.Add(rl)
	return r
}

// Add adds a resource list.
func (r *Resource) Add(rl core.ResourceList) {
	for name, q := range rl {
		r.addOne(name, q, 1)
	}
}

func (r *Resource) addOne(name core.ResourceName, q resource.Quantity, sign int64) {
	switch name {
	case core.ResourceCPU:
		r.MilliCPU += sign * q.MilliValue()
	case core.ResourceMemory:
		r.Memory += sign * q.Value()
	case core.ResourceEphemeralStorage:
		r.EphemeralStorage += sign * q.Value()
	case core.ResourcePods:
		r.AllowedPodNumber += sign * q.Value()
	default:
		if IsScalarResourceName(name) {
			r.SetScalar(name, r.ScalarResources[name]+sign*q.Value())
		}
	}
}

// AddResource adds o to r.
func (r *Resource) AddResource(o *Resource) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.EphemeralStorage += o.EphemeralStorage
	r.AllowedPodNumber += o.AllowedPodNumber
	for k, v := range o.ScalarResources {
		r.SetScalar(k, r.ScalarResources[k]+v)
	}
}

// SubResource subtracts o from r.
func (r *Resource) SubResource(o *Resource) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.EphemeralStorage -= o.EphemeralStorage
	r.AllowedPodNumber -= o.AllowedPodNumber
	for k, v := range o.ScalarResources {
		r.SetScalar(k, r.ScalarResources[k]-v)
	}
}

// SetMaxResource raises each amount of r to at least the one in o.
func (r *Resource) SetMaxResource(o *Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	r.AllowedPodNumber = max(r.AllowedPodNumber, o.AllowedPodNumber)
	for k, v := range o.ScalarResources {
		if v > r.ScalarResources[k] {
			r.SetScalar(k, v)
		}
	}
}

// SetScalar sets an extended resource's amount.
func (r *Resource) SetScalar(name core.ResourceName, v int64) {
	if r.ScalarResources == nil {
		r.ScalarResources = map[core.ResourceName]int64{}
	}
	r.ScalarResources[name] = v
}

// Get returns the amount of one resource in scheduler units.
func (r *Resource) Get(name core.ResourceName) int64 {
	switch name {
	case core.ResourceCPU:
		return r.MilliCPU
	case core.ResourceMemory:
		return r.Memory
	case core.ResourceEphemeralStorage:
		return r.EphemeralStorage
	case core.ResourcePods:
		return r.AllowedPodNumber
	}
	return r.ScalarResources[name]
}

// Clone returns a deep copy.
func (r *Resource) Clone() *Resource {
	out := *r
	out.ScalarResources = maps.Clone(r.ScalarResources)
	return &out
}

// IsZero reports whether every amount is zero.
func (r *Resource) IsZero() bool {
	if r.MilliCPU != 0 || r.Memory != 0 || r.EphemeralStorage != 0 || r.AllowedPodNumber != 0 {
		return false
	}
	for _, v := range r.ScalarResources {
		if v != 0 {
			return false
		}
	}
	return true
}

// IsScalarResourceName reports whether name is an extended resource
// (a domain-prefixed name outside kubernetes.io, such as example.com/gpu),
// a hugepages size, or an attachable-volumes count: the resources the
// scheduler treats as plain integers.
func IsScalarResourceName(name core.ResourceName) bool {
	s := string(name)
	if len(s) > len("hugepages-") && s[:len("hugepages-")] == "hugepages-" {
		return true
	}
	if len(s) > len("attachable-volumes-") && s[:len("attachable-volumes-")] == "attachable-volumes-" {
		return true
	}
	return IsExtendedResourceName(name)
}

// IsExtendedResourceName reports whether name is a fully qualified name
// outside the kubernetes.io domain and not a requests.* quota name.
func IsExtendedResourceName(name core.ResourceName) bool {
	s := string(name)
	slash := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			slash = i
			break
		}
	}
	if slash <= 0 || slash == len(s)-1 {
		return false
	}
	domain := s[:slash]
	if domain == "kubernetes.io" || hasSuffix(domain, ".kubernetes.io") {
		return false
	}
	return !(len(s) > len("requests.") && s[:len("requests.")] == "requests.")
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// PodRequests returns what the pod asks the node for, as Kubernetes
// computes it: the larger of (the sum of its app containers plus its
// restartable "sidecar" init containers) and the peak reached while init
// containers run one after the other, plus the pod overhead. With nonZero,
// a container that requests no CPU or memory counts as DefaultMilliCPURequest
// and DefaultMemoryRequest (used by scoring).
func PodRequests(pod *core.Pod, nonZero bool) *Resource {
	containerReq := func(c *core.Container) *Resource {
		r := NewResource(c.Resources.Requests)
		if nonZero {
			if _, ok := c.Resources.Requests[core.ResourceCPU]; !ok {
				r.MilliCPU = DefaultMilliCPURequest
			}
			if _, ok := c.Resources.Requests[core.ResourceMemory]; !ok {
				r.Memory = DefaultMemoryRequest
			}
		}
		return r
	}
	sum := &Resource{}
	for i := range pod.Spec.Containers {
		sum.AddResource(containerReq(&pod.Spec.Containers[i]))
	}
	sidecars := &Resource{}
	initPeak := &Resource{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		r := containerReq(c)
		if c.RestartPolicy != nil && *c.RestartPolicy == core.ContainerRestartPolicyAlways {
			// A sidecar keeps running: it adds to everything after it.
			sidecars.AddResource(r)
			initPeak.SetMaxResource(sidecars)
			continue
		}
		r.AddResource(sidecars)
		initPeak.SetMaxResource(r)
	}
	sum.AddResource(sidecars)
	sum.SetMaxResource(initPeak)
	if pod.Spec.Overhead != nil {
		sum.Add(pod.Spec.Overhead)
	}
	return sum
}
