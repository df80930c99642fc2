package kubelet

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
)

// Admission rejection reasons, as Kubernetes' kubelet writes them.
const (
	ReasonOutOfCPU     = "OutOfcpu"
	ReasonOutOfMemory  = "OutOfmemory"
	ReasonOutOfPods    = "OutOfpods"
	ReasonNodeAffinity = "NodeAffinity"
)

// podRequests is the pod's effective request: the larger of the sum of its
// app containers and its largest init container, plus its overhead.
func podRequests(p *core.Pod) core.ResourceList {
	sum := core.ResourceList{}
	for _, c := range p.Spec.Containers {
		for n, q := range c.Resources.Requests {
			s := sum[n]
			s.Add(q)
			sum[n] = s
		}
	}
	for _, c := range p.Spec.InitContainers {
		for n, q := range c.Resources.Requests {
			if s, ok := sum[n]; !ok || q.Cmp(s) > 0 {
				sum[n] = q
			}
		}
	}
	for n, q := range p.Spec.Overhead {
		s := sum[n]
		s.Add(q)
		sum[n] = s
	}
	return sum
}

// admit checks p against the node's allocatable resources (given the pods
// admitted already) and its node selector and required node affinity. It
// returns nil when p fits. The caller holds k.mu.
func (k *Kubelet) admit(p *core.Pod) *waitingReason {
	node := k.node
	if node == nil {
		return nil
	}
	if !nodeMatches(p, node) {
		return &waitingReason{ReasonNodeAffinity, "Pod was rejected: Predicate NodeAffinity failed"}
	}
	alloc := node.Status.Allocatable
	active := k.activeAdmittedLocked()
	if pods, ok := alloc[core.ResourcePods]; ok && int64(len(active)+1) > pods.Value() {
		return &waitingReason{ReasonOutOfPods, fmt.Sprintf("Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: %d, capacity: %d", len(active), pods.Value())}
	}
	req := podRequests(p)
	for _, n := range []core.ResourceName{core.ResourceCPU, core.ResourceMemory} {
		want, ok := req[n]
		if !ok || want.IsZero() {
			continue
		}
		var used resource.Quantity
		for _, a := range active {
			if q, ok := podRequests(a)[n]; ok {
				used.Add(q)
			}
		}
		total := used
		total.Add(want)
		capQ := alloc[n]
		if total.Cmp(capQ) > 0 {
			val := func(q resource.Quantity) int64 {
				if n == core.ResourceCPU {
					return q.MilliValue()
				}
				return q.Value()
			}
			return &waitingReason{"OutOf" + string(n), fmt.Sprintf("Pod was rejected: Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d",
				n, val(want), val(used), val(capQ))}
		}
	}
	return nil
}

// nodeMatches evaluates the pod's nodeSelector and its required node
// affinity against the node's labels (and metadata.name for matchFields).
func nodeMatches(p *core.Pod, node *core.Node) bool {
	for key, v := range p.Spec.NodeSelector {
		if got, ok := node.Labels[key]; !ok || got != v {
			return false
		}
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for _, t := range terms {
		if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
			continue
		}
		ok := true
		for _, r := range t.MatchExpressions {
			if !requirementMatches(r, node.Labels) {
				ok = false
			}
		}
		for _, r := range t.MatchFields {
			if r.Key != "metadata.name" || !requirementMatches(r, map[string]string{"metadata.name": node.Name}) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func requirementMatches(r core.NodeSelectorRequirement, labels map[string]string) bool {
	v, has := labels[r.Key]
	switch strings.ToLower(string(r.Operator)) {
	case "in":
		return has && contains(r.Values, v)
	case "notin":
		return !has || !contains(r.Values, v)
	case "exists":
		return has
	case "doesnotexist":
		return !has
	case "gt", "lt":
		if !has || len(r.Values) != 1 {
			return false
		}
		a, err1 := strconv.ParseInt(v, 10, 64)
		b, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if strings.EqualFold(string(r.Operator), "gt") {
			return a > b
		}
		return a < b
	}
	return false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
