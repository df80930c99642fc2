package plugins

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// ReasonNodeAffinity is NodeAffinity's rejection reason.
const ReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"

// NodeAffinityArgs configure NodeAffinity.
type NodeAffinityArgs struct {
	// AddedAffinity is applied to every pod of the profile, on top of
	// the pod's own affinity.
	AddedAffinity *core.NodeAffinity `json:"addedAffinity,omitempty"`
}

// NodeAffinity filters nodes by the pod's nodeSelector and required node
// affinity, and scores them by the summed weights of the preferred terms
// they match.
type NodeAffinity struct {
	h     framework.Handle
	added *core.NodeAffinity
}

var (
	_ framework.PreFilterPlugin = (*NodeAffinity)(nil)
	_ framework.FilterPlugin    = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin  = (*NodeAffinity)(nil)
	_ framework.ScorePlugin     = (*NodeAffinity)(nil)
	_ framework.NodeInfoScorer  = (*NodeAffinity)(nil)
)

// NewNodeAffinity is NodeAffinity's factory; args are NodeAffinityArgs.
func NewNodeAffinity(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	a, err := framework.DecodeArgs(args, NodeAffinityArgs{})
	if err != nil {
		return nil, fmt.Errorf("NodeAffinity: %w", err)
	}
	return &NodeAffinity{h: h, added: a.AddedAffinity}, nil
}

// Name implements framework.Plugin.
func (*NodeAffinity) Name() string { return framework.NodeAffinityName }

const nodeAffinityPreFilterKey framework.StateKey = "PreFilter" + framework.StateKey(framework.NodeAffinityName)
const nodeAffinityPreScoreKey framework.StateKey = "PreScore" + framework.StateKey(framework.NodeAffinityName)

type nodeAffinityState struct{ required requiredNodeAffinity }

func (s *nodeAffinityState) Clone() framework.StateData { return s }

type nodeAffinityScoreState struct {
	preferred []core.PreferredSchedulingTerm
}

func (s *nodeAffinityScoreState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin. When every required
// term pins metadata.name with In, only those nodes are worth filtering.
func (pl *NodeAffinity) PreFilter(_ context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	req := newRequiredNodeAffinity(pod)
	state.Write(nodeAffinityPreFilterKey, &nodeAffinityState{required: req})
	a := pod.Spec.Affinity
	noAdded := pl.added == nil || pl.added.RequiredDuringSchedulingIgnoredDuringExecution == nil
	if req.selector == nil && req.terms == nil && noAdded {
		return nil, framework.NewStatus(framework.Skip)
	}
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil, nil
	}
	var names map[string]struct{}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		var termNames map[string]struct{}
		for _, f := range t.MatchFields {
			if f.Key == "metadata.name" && f.Operator == core.NodeSelectorOpIn {
				termNames = map[string]struct{}{}
				for _, v := range f.Values {
					termNames[v] = struct{}{}
				}
			}
		}
		if termNames == nil {
			return nil, nil // one term allows any node name
		}
		if names == nil {
			names = map[string]struct{}{}
		}
		for n := range termNames {
			names[n] = struct{}{}
		}
	}
	if names == nil {
		return nil, nil
	}
	if len(names) == 0 {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeAffinity)
	}
	return &framework.PreFilterResult{NodeNames: names}, nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*NodeAffinity) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin.
func (pl *NodeAffinity) Filter(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.AsStatus(fmt.Errorf("invalid nodeInfo: %w", framework.ErrNotFound))
	}
	if pl.added != nil && !matchNodeSelector(pl.added.RequiredDuringSchedulingIgnoredDuringExecution, node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't match scheduler-enforced node affinity")
	}
	s, err := framework.ReadAs[*nodeAffinityState](state, nodeAffinityPreFilterKey)
	if err != nil {
		s = &nodeAffinityState{required: newRequiredNodeAffinity(pod)}
	}
	if !s.required.match(node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNodeAffinity)
	}
	return nil
}

// PreScore implements framework.PreScorePlugin; it skips pods without
// preferred terms.
func (pl *NodeAffinity) PreScore(_ context.Context, state *framework.CycleState, pod *core.Pod, _ []*framework.NodeInfo) *framework.Status {
	var pref []core.PreferredSchedulingTerm
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		pref = append(pref, a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution...)
	}
	if pl.added != nil {
		pref = append(pref, pl.added.PreferredDuringSchedulingIgnoredDuringExecution...)
	}
	if len(pref) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(nodeAffinityPreScoreKey, &nodeAffinityScoreState{preferred: pref})
	return nil
}

// Score implements framework.ScorePlugin: the sum of the weights of the
// preferred terms the node matches.
func (pl *NodeAffinity) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *NodeAffinity) ScoreNodeInfo(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := framework.ReadAs[*nodeAffinityScoreState](state, nodeAffinityPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var total int64
	for i := range s.preferred {
		if s.preferred[i].Weight != 0 && matchTerm(&s.preferred[i].Preference, ni.Node()) {
			total += int64(s.preferred[i].Weight)
		}
	}
	return total, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales so the best node gets 100.
func (*NodeAffinity) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *core.Pod, scores framework.NodeScoreList) *framework.Status {
	defaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}
