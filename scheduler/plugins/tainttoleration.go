package plugins

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// TaintToleration filters out nodes with a NoSchedule or NoExecute taint
// the pod does not tolerate, and scores nodes by the number of
// PreferNoSchedule taints the pod does not tolerate: fewer is better.
type TaintToleration struct {
	h framework.Handle
}

var (
	_ framework.FilterPlugin   = (*TaintToleration)(nil)
	_ framework.PreScorePlugin = (*TaintToleration)(nil)
	_ framework.ScorePlugin    = (*TaintToleration)(nil)
	_ framework.NodeInfoScorer = (*TaintToleration)(nil)
)

// NewTaintToleration is TaintToleration's factory.
func NewTaintToleration(_ context.Context, _ any, h framework.Handle) (framework.Plugin, error) {
	return &TaintToleration{h: h}, nil
}

// Name implements framework.Plugin.
func (*TaintToleration) Name() string { return framework.TaintTolerationName }

// Filter implements framework.FilterPlugin.
func (*TaintToleration) Filter(_ context.Context, _ *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.AsStatus(fmt.Errorf("invalid nodeInfo: %w", framework.ErrNotFound))
	}
	taint, found := firstUntolerated(node.Spec.Taints, pod.Spec.Tolerations, func(t *core.Taint) bool {
		return t.Effect == core.TaintEffectNoSchedule || t.Effect == core.TaintEffectNoExecute
	})
	if !found {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("node(s) had untolerated taint {%s: %s}", taint.Key, taint.Value))
}

const taintTolerationStateKey framework.StateKey = "PreScore" + framework.StateKey(framework.TaintTolerationName)

type taintTolerationState struct{ tolerations []core.Toleration }

func (s *taintTolerationState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin: it keeps the tolerations
// that can matter for PreferNoSchedule taints.
func (*TaintToleration) PreScore(_ context.Context, state *framework.CycleState, pod *core.Pod, _ []*framework.NodeInfo) *framework.Status {
	s := &taintTolerationState{}
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == core.TaintEffectPreferNoSchedule {
			s.tolerations = append(s.tolerations, t)
		}
	}
	state.Write(taintTolerationStateKey, s)
	return nil
}

// Score implements framework.ScorePlugin: the raw score is the number of
// intolerable PreferNoSchedule taints.
func (pl *TaintToleration) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *TaintToleration) ScoreNodeInfo(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := framework.ReadAs[*taintTolerationState](state, taintTolerationStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var n int64
	for i := range ni.Node().Spec.Taints {
		t := &ni.Node().Spec.Taints[i]
		if t.Effect == core.TaintEffectPreferNoSchedule && !toleratesAny(s.tolerations, t) {
			n++
		}
	}
	return n, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *TaintToleration) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps the counts in reverse onto [0, 100]: the node with
// the most intolerable taints gets 0.
func (*TaintToleration) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *core.Pod, scores framework.NodeScoreList) *framework.Status {
	defaultNormalizeScore(framework.MaxNodeScore, true, scores)
	return nil
}
