package plugins

import (
	"slices"
	"strconv"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/scheduler/framework"
)

// tolerates reports whether the toleration tolerates the taint, with
// Kubernetes' rules: an empty effect matches every effect, an empty key
// matches every key, Exists ignores the value.
func tolerates(t *core.Toleration, taint *core.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", core.TolerationOpEqual:
		return t.Value == taint.Value
	case core.TolerationOpExists:
		return true
	}
	return false
}

// toleratesAny reports whether one of ts tolerates taint.
func toleratesAny(ts []core.Toleration, taint *core.Taint) bool {
	for i := range ts {
		if tolerates(&ts[i], taint) {
			return true
		}
	}
	return false
}

// firstUntolerated returns the first taint with an effect accepted by
// keep that no toleration tolerates.
func firstUntolerated(taints []core.Taint, ts []core.Toleration, keep func(*core.Taint) bool) (*core.Taint, bool) {
	for i := range taints {
		if keep(&taints[i]) && !toleratesAny(ts, &taints[i]) {
			return &taints[i], true
		}
	}
	return nil, false
}

// matchRequirement evaluates one node selector requirement against a
// value lookup.
func matchRequirement(r *core.NodeSelectorRequirement, get func(string) (string, bool)) bool {
	v, ok := get(r.Key)
	switch r.Operator {
	case core.NodeSelectorOpIn:
		if !ok {
			return false
		}
		for _, x := range r.Values {
			if x == v {
				return true
			}
		}
		return false
	case core.NodeSelectorOpNotIn:
		if !ok {
			return true
		}
		for _, x := range r.Values {
			if x == v {
				return false
			}
		}
		return true
	case core.NodeSelectorOpExists:
		return ok
	case core.NodeSelectorOpDoesNotExist:
		return !ok
	case core.NodeSelectorOpGt, core.NodeSelectorOpLt:
		if !ok || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(v, 10, 64)
		want, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == core.NodeSelectorOpGt {
			return have > want
		}
		return have < want
	}
	return false
}

// matchTerm reports whether node satisfies every expression and field
// requirement of the term; a term with neither matches nothing.
func matchTerm(term *core.NodeSelectorTerm, node *core.Node) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	lbl := func(k string) (string, bool) { v, ok := node.Labels[k]; return v, ok }
	for i := range term.MatchExpressions {
		if !matchRequirement(&term.MatchExpressions[i], lbl) {
			return false
		}
	}
	fld := func(k string) (string, bool) {
		if k == "metadata.name" {
			return node.Name, true
		}
		return "", false
	}
	for i := range term.MatchFields {
		if !matchRequirement(&term.MatchFields[i], fld) {
			return false
		}
	}
	return true
}

// matchNodeSelector reports whether node satisfies one of the terms (nil
// selector matches everything).
func matchNodeSelector(sel *core.NodeSelector, node *core.Node) bool {
	if sel == nil {
		return true
	}
	for i := range sel.NodeSelectorTerms {
		if matchTerm(&sel.NodeSelectorTerms[i], node) {
			return true
		}
	}
	return false
}

// requiredNodeAffinity is a pod's hard node constraints: its nodeSelector
// and its required node affinity.
type requiredNodeAffinity struct {
	selector labels.Selector
	terms    *core.NodeSelector
}

func newRequiredNodeAffinity(pod *core.Pod) requiredNodeAffinity {
	r := requiredNodeAffinity{}
	if len(pod.Spec.NodeSelector) > 0 {
		r.selector = labels.SelectorFromSet(labels.Set(pod.Spec.NodeSelector))
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		r.terms = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return r
}

// empty reports whether r matches every node.
func (r requiredNodeAffinity) empty() bool { return r.selector == nil && r.terms == nil }

func (r requiredNodeAffinity) match(node *core.Node) bool {
	if r.selector != nil && !r.selector.Matches(labels.Set(node.Labels)) {
		return false
	}
	return matchNodeSelector(r.terms, node)
}

// defaultNormalizeScore rescales scores so the highest becomes
// maxPriority; with reverse, high raw scores become low ones. This is
// Kubernetes' helper of the same name.
func defaultNormalizeScore(maxPriority int64, reverse bool, scores framework.NodeScoreList) {
	var maxCount int64
	for i := range scores {
		maxCount = max(maxCount, scores[i].Score)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / maxCount
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
}

func podPriority(pod *core.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

func nodeInfoFor(h framework.Handle, nodeName string) (*framework.NodeInfo, *framework.Status) {
	ni, err := h.SnapshotSharedLister().NodeInfos().Get(nodeName)
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	return ni, nil
}

func sortedResourceNames(m map[core.ResourceName]int64) []core.ResourceName {
	out := make([]core.ResourceName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
