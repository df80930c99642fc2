package framework

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
)

// ErrPodNotFound is returned by NodeInfo.RemovePod for a pod the node does
// not hold.
var ErrPodNotFound = errors.New("pod not found on node")

// AffinityTerm is a parsed pod (anti-)affinity term.
type AffinityTerm struct {
	// Namespaces the term applies to; with a nil NamespaceSelector and no
	// names it is the pod's own namespace.
	Namespaces        map[string]struct{}
	Selector          labels.Selector
	TopologyKey       string
	NamespaceSelector labels.Selector
}

// Matches reports whether pod is selected by the term. nsLabels are the
// labels of pod's namespace, used by the namespace selector (nil when
// unknown).
func (t *AffinityTerm) Matches(pod *core.Pod, nsLabels labels.Set) bool {
	if _, ok := t.Namespaces[pod.Namespace]; !ok {
		if t.NamespaceSelector == nil || !t.NamespaceSelector.Matches(nsLabels) {
			return false
		}
	}
	return t.Selector.Matches(labels.Set(pod.Labels))
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// PodInfo is a pod with what the scheduler derives from it, computed once.
type PodInfo struct {
	Pod                        *core.Pod
	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm
	// Requests is PodRequests(pod, false); NonZeroRequests is
	// PodRequests(pod, true).
	Requests        *Resource
	NonZeroRequests *Resource
}

// NewPodInfo parses the pod's affinity terms and computes its requests. A
// malformed label selector gives an error.
func NewPodInfo(pod *core.Pod) (*PodInfo, error) {
	pi := &PodInfo{Pod: pod, Requests: PodRequests(pod, false), NonZeroRequests: PodRequests(pod, true)}
	var errs []error
	if a := pod.Spec.Affinity; a != nil {
		if a.PodAffinity != nil {
			pi.RequiredAffinityTerms = requiredTerms(pod, a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, &errs)
			pi.PreferredAffinityTerms = weightedTerms(pod, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, &errs)
		}
		if a.PodAntiAffinity != nil {
			pi.RequiredAntiAffinityTerms = requiredTerms(pod, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, &errs)
			pi.PreferredAntiAffinityTerms = weightedTerms(pod, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, &errs)
		}
	}
	if len(errs) > 0 {
		return pi, fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, errors.Join(errs...))
	}
	return pi, nil
}

func requiredTerms(pod *core.Pod, terms []core.PodAffinityTerm, errs *[]error) []AffinityTerm {
	var out []AffinityTerm
	for i := range terms {
		t, err := NewAffinityTerm(pod, &terms[i])
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		out = append(out, *t)
	}
	return out
}

func weightedTerms(pod *core.Pod, terms []core.WeightedPodAffinityTerm, errs *[]error) []WeightedAffinityTerm {
	var out []WeightedAffinityTerm
	for i := range terms {
		t, err := NewAffinityTerm(pod, &terms[i].PodAffinityTerm)
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		out = append(out, WeightedAffinityTerm{AffinityTerm: *t, Weight: terms[i].Weight})
	}
	return out
}

// NewAffinityTerm parses one term of pod. matchLabelKeys and
// mismatchLabelKeys are folded into the selector with the values of pod's
// own labels, as Kubernetes does.
func NewAffinityTerm(pod *core.Pod, term *core.PodAffinityTerm) (*AffinityTerm, error) {
	sel, err := labels.FromLabelSelector(term.LabelSelector)
	if err != nil {
		return nil, fmt.Errorf("affinity term label selector: %w", err)
	}
	if term.LabelSelector != nil {
		var reqs []labels.Requirement
		for _, k := range term.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				r, err := labels.NewRequirement(k, labels.In, []string{v})
				if err != nil {
					return nil, fmt.Errorf("affinity term matchLabelKeys: %w", err)
				}
				reqs = append(reqs, *r)
			}
		}
		for _, k := range term.MismatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				r, err := labels.NewRequirement(k, labels.NotIn, []string{v})
				if err != nil {
					return nil, fmt.Errorf("affinity term mismatchLabelKeys: %w", err)
				}
				reqs = append(reqs, *r)
			}
		}
		if len(reqs) > 0 {
			sel = sel.Add(reqs...)
		}
	}
	t := &AffinityTerm{Selector: sel, TopologyKey: term.TopologyKey, Namespaces: map[string]struct{}{}}
	for _, ns := range term.Namespaces {
		t.Namespaces[ns] = struct{}{}
	}
	if term.NamespaceSelector != nil {
		nsSel, err := labels.FromLabelSelector(term.NamespaceSelector)
		if err != nil {
			return nil, fmt.Errorf("affinity term namespace selector: %w", err)
		}
		t.NamespaceSelector = nsSel
	}
	if len(term.Namespaces) == 0 && term.NamespaceSelector == nil {
		t.Namespaces[pod.Namespace] = struct{}{}
	}
	return t, nil
}

// HostPortKey is one used host port.
type HostPortKey struct {
	IP       string
	Protocol core.Protocol
	Port     int32
}

// HostPortInfo is the set of host ports in use on a node.
type HostPortInfo map[HostPortKey]struct{}

func sanitizePort(ip string, proto core.Protocol, port int32) HostPortKey {
	if ip == "" {
		ip = "0.0.0.0"
	}
	if proto == "" {
		proto = core.ProtocolTCP
	}
	return HostPortKey{IP: ip, Protocol: proto, Port: port}
}

// Add marks a port used.
func (h HostPortInfo) Add(ip string, proto core.Protocol, port int32) {
	h[sanitizePort(ip, proto, port)] = struct{}{}
}

// Remove frees a port.
func (h HostPortInfo) Remove(ip string, proto core.Protocol, port int32) {
	delete(h, sanitizePort(ip, proto, port))
}

// CheckConflict reports whether the port is taken. 0.0.0.0 conflicts with
// every address on the same protocol and port.
func (h HostPortInfo) CheckConflict(ip string, proto core.Protocol, port int32) bool {
	k := sanitizePort(ip, proto, port)
	if _, ok := h[k]; ok {
		return true
	}
	if k.IP == "0.0.0.0" {
		for used := range h {
			if used.Protocol == k.Protocol && used.Port == k.Port {
				return true
			}
		}
		return false
	}
	_, ok := h[HostPortKey{IP: "0.0.0.0", Protocol: k.Protocol, Port: k.Port}]
	return ok
}

// ImageStateSummary is an image present on a node: its size and on how
// many nodes of the cluster it is.
type ImageStateSummary struct {
	Size     int64
	NumNodes int
}

var generation atomic.Int64

func nextGeneration() int64 { return generation.Add(1) }

// NodeInfo is a node with the pods assigned to it and the totals the
// plugins need. It is built incrementally (SetNode, AddPod, RemovePod);
// every change bumps Generation, so a cache can copy only what changed
// into a snapshot. Plugins treat NodeInfo as read-only.
type NodeInfo struct {
	node *core.Node
	// Pods are the pods on the node.
	Pods []*PodInfo
	// PodsWithAffinity are the pods with any pod affinity or anti-affinity.
	PodsWithAffinity []*PodInfo
	// PodsWithRequiredAntiAffinity are the pods with required
	// anti-affinity terms.
	PodsWithRequiredAntiAffinity []*PodInfo
	// UsedPorts are the host ports the pods use.
	UsedPorts HostPortInfo
	// Requested sums the pods' requests; NonZeroRequested the same with
	// default requests for containers that set none.
	Requested        *Resource
	NonZeroRequested *Resource
	// Allocatable is the node's allocatable resources.
	Allocatable *Resource
	// ImageStates are the images on the node, by every name they have
	// (nil in a clone of a node without images; SetNode replaces it).
	ImageStates map[string]*ImageStateSummary
	// Generation increases with every change.
	Generation int64
}

// NewNodeInfo returns a NodeInfo without a node, holding pods.
func NewNodeInfo(pods ...*core.Pod) *NodeInfo {
	ni := &NodeInfo{
		UsedPorts:        HostPortInfo{},
		Requested:        &Resource{},
		NonZeroRequested: &Resource{},
		Allocatable:      &Resource{},
		ImageStates:      map[string]*ImageStateSummary{},
		Generation:       nextGeneration(),
	}
	for _, p := range pods {
		pi, _ := NewPodInfo(p) // a bad selector leaves the term out, as in Kubernetes' cache
		ni.AddPodInfo(pi)
	}
	return ni
}

// Node returns the node, nil if it was removed or not yet set.
func (n *NodeInfo) Node() *core.Node {
	if n == nil {
		return nil
	}
	return n.node
}

// NodeName returns the node's name, or "".
func (n *NodeInfo) NodeName() string {
	if n == nil || n.node == nil {
		return ""
	}
	return n.node.Name
}

// SetNode sets the node, its allocatable resources and images.
func (n *NodeInfo) SetNode(node *core.Node) {
	n.node = node
	n.Allocatable = NewResource(node.Status.Allocatable)
	n.ImageStates = map[string]*ImageStateSummary{}
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			n.ImageStates[NormalizeImageName(name)] = &ImageStateSummary{Size: img.SizeBytes, NumNodes: 1}
		}
	}
	n.Generation = nextGeneration()
}

// RemoveNode clears the node but keeps its pods (the cache may still hold
// pods of a deleted node until their own deletion arrives).
func (n *NodeInfo) RemoveNode() {
	n.node = nil
	n.Generation = nextGeneration()
}

// AddPod adds a pod to the node.
func (n *NodeInfo) AddPod(pod *core.Pod) error {
	pi, err := NewPodInfo(pod)
	if err != nil {
		return err
	}
	n.AddPodInfo(pi)
	return nil
}

// AddPodInfo adds an already parsed pod.
func (n *NodeInfo) AddPodInfo(pi *PodInfo) {
	n.Pods = append(n.Pods, pi)
	if hasAffinity(pi) {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.RequiredAntiAffinityTerms) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
	n.update(pi, 1)
}

func hasAffinity(pi *PodInfo) bool {
	a := pi.Pod.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

// RemovePod removes the pod with pod's UID (or namespace/name when the UID
// is empty) and returns an error wrapping ErrPodNotFound if there is none.
func (n *NodeInfo) RemovePod(pod *core.Pod) error {
	match := func(pi *PodInfo) bool { return samePod(pi.Pod, pod) }
	i := slices.IndexFunc(n.Pods, match)
	if i < 0 {
		return fmt.Errorf("remove pod %s/%s from node %q: %w", pod.Namespace, pod.Name, n.NodeName(), ErrPodNotFound)
	}
	pi := n.Pods[i]
	n.Pods = slices.Delete(slices.Clone(n.Pods), i, i+1)
	if j := slices.IndexFunc(n.PodsWithAffinity, match); j >= 0 {
		n.PodsWithAffinity = slices.Delete(slices.Clone(n.PodsWithAffinity), j, j+1)
	}
	if j := slices.IndexFunc(n.PodsWithRequiredAntiAffinity, match); j >= 0 {
		n.PodsWithRequiredAntiAffinity = slices.Delete(slices.Clone(n.PodsWithRequiredAntiAffinity), j, j+1)
	}
	n.update(pi, -1)
	return nil
}

func samePod(a, b *core.Pod) bool {
	if a.UID != "" || b.UID != "" {
		return a.UID == b.UID
	}
	return a.Namespace == b.Namespace && a.Name == b.Name
}

func (n *NodeInfo) update(pi *PodInfo, sign int64) {
	if sign > 0 {
		n.Requested.AddResource(pi.Requests)
		n.NonZeroRequested.AddResource(pi.NonZeroRequests)
	} else {
		n.Requested.SubResource(pi.Requests)
		n.NonZeroRequested.SubResource(pi.NonZeroRequests)
	}
	for _, c := range pi.Pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			if sign > 0 {
				n.UsedPorts.Add(p.HostIP, p.Protocol, p.HostPort)
			} else {
				n.UsedPorts.Remove(p.HostIP, p.Protocol, p.HostPort)
			}
		}
	}
	n.Generation = nextGeneration()
}

// Clone returns a copy that can be changed without affecting n. Pods are
// shared (PodInfo is immutable); slices, maps and totals are copied.
func (n *NodeInfo) Clone() *NodeInfo {
	// One allocation for the info and its totals: Filter and Score read
	// them together for every node, and adjacent memory costs fewer
	// cache misses than four scattered objects.
	b := &nodeInfoBlock{requested: *n.Requested, nonZeroRequested: *n.NonZeroRequested, allocatable: *n.Allocatable}
	for _, r := range []*Resource{&b.requested, &b.nonZeroRequested, &b.allocatable} {
		r.ScalarResources = maps.Clone(r.ScalarResources)
	}
	out := &b.info
	*out = NodeInfo{
		node:                         n.node,
		Pods:                         slices.Clone(n.Pods),
		PodsWithAffinity:             slices.Clone(n.PodsWithAffinity),
		PodsWithRequiredAntiAffinity: slices.Clone(n.PodsWithRequiredAntiAffinity),
		UsedPorts:                    make(HostPortInfo, len(n.UsedPorts)),
		Requested:                    &b.requested,
		NonZeroRequested:             &b.nonZeroRequested,
		Allocatable:                  &b.allocatable,
		Generation:                   n.Generation,
	}
	// A node without images gets no map: ImageLocality reads the map of
	// every scored node, and an empty map is one more cache miss.
	if len(n.ImageStates) > 0 {
		out.ImageStates = make(map[string]*ImageStateSummary, len(n.ImageStates))
	}
	for k := range n.UsedPorts {
		out.UsedPorts[k] = struct{}{}
	}
	for k, v := range n.ImageStates {
		c := *v
		out.ImageStates[k] = &c
	}
	return out
}

// nodeInfoBlock is a NodeInfo allocated with its totals.
type nodeInfoBlock struct {
	info                                     NodeInfo
	requested, nonZeroRequested, allocatable Resource
}

// String describes the node for logs.
func (n *NodeInfo) String() string {
	return fmt.Sprintf("NodeInfo{%s pods=%d requested=%+v allocatable=%+v}", n.NodeName(), len(n.Pods), *n.Requested, *n.Allocatable)
}

// NormalizeImageName gives an image reference a tag when it has neither a
// tag nor a digest ("nginx" becomes "nginx:latest"), so that pod images
// and node image names compare equal.
func NormalizeImageName(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	last := name[strings.LastIndex(name, "/")+1:]
	if !strings.Contains(last, ":") {
		return name + ":latest"
	}
	return name
}

// PodKey returns "namespace/name".
func PodKey(pod *core.Pod) string { return pod.Namespace + "/" + pod.Name }
