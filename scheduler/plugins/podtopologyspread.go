package plugins

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/scheduler/framework"
)

// PodTopologySpread's rejection reasons, as Kubernetes words them.
const (
	ReasonTopologySpread             = "node(s) didn't match pod topology spread constraints"
	ReasonTopologySpreadMissingLabel = ReasonTopologySpread + " (missing required label)"
)

// DefaultingType says where PodTopologySpread's default constraints come
// from.
type DefaultingType string

// The defaulting types.
const (
	// SystemDefaulting uses Kubernetes' built-in defaults: zone maxSkew 5
	// and hostname maxSkew 3, both ScheduleAnyway.
	SystemDefaulting DefaultingType = "System"
	// ListDefaulting uses PodTopologySpreadArgs.DefaultConstraints.
	ListDefaulting DefaultingType = "List"
)

// PodTopologySpreadArgs configure PodTopologySpread.
type PodTopologySpreadArgs struct {
	// DefaultConstraints apply to pods without constraints of their own,
	// with the selector of the services, replica sets and stateful sets
	// that select the pod. They must not have a label selector.
	DefaultConstraints []core.TopologySpreadConstraint `json:"defaultConstraints,omitempty"`
	DefaultingType     DefaultingType                  `json:"defaultingType,omitempty"`
}

// SystemDefaultConstraints returns Kubernetes' system default constraints.
func SystemDefaultConstraints() []core.TopologySpreadConstraint {
	return []core.TopologySpreadConstraint{
		{TopologyKey: core.LabelTopologyZone, MaxSkew: 5, WhenUnsatisfiable: core.ScheduleAnyway},
		{TopologyKey: core.LabelHostname, MaxSkew: 3, WhenUnsatisfiable: core.ScheduleAnyway},
	}
}

// PodTopologySpread spreads pods matching a constraint's selector evenly
// over topology domains: Filter enforces maxSkew for DoNotSchedule
// constraints (honouring minDomains, nodeAffinityPolicy, nodeTaintsPolicy
// and matchLabelKeys), Score prefers less crowded domains for
// ScheduleAnyway ones.
type PodTopologySpread struct {
	h        framework.Handle
	defaults []core.TopologySpreadConstraint
	system   bool
}

var (
	_ framework.PreFilterPlugin     = (*PodTopologySpread)(nil)
	_ framework.PreFilterExtensions = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin        = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin      = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin         = (*PodTopologySpread)(nil)
)

// NewPodTopologySpread is PodTopologySpread's factory; args are
// PodTopologySpreadArgs (default: System defaulting).
func NewPodTopologySpread(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	a, err := framework.DecodeArgs(args, PodTopologySpreadArgs{DefaultingType: SystemDefaulting})
	if err != nil {
		return nil, fmt.Errorf("PodTopologySpread: %w", err)
	}
	pl := &PodTopologySpread{h: h}
	switch a.DefaultingType {
	case SystemDefaulting, "":
		if len(a.DefaultConstraints) > 0 {
			return nil, fmt.Errorf("PodTopologySpread: %w: defaultConstraints: must be empty with System defaulting", framework.ErrInvalidArgs)
		}
		pl.defaults, pl.system = SystemDefaultConstraints(), true
	case ListDefaulting:
		for i, c := range a.DefaultConstraints {
			if c.LabelSelector != nil {
				return nil, fmt.Errorf("PodTopologySpread: %w: defaultConstraints[%d].labelSelector: must not be set", framework.ErrInvalidArgs, i)
			}
			if c.MaxSkew <= 0 || c.TopologyKey == "" || (c.WhenUnsatisfiable != core.DoNotSchedule && c.WhenUnsatisfiable != core.ScheduleAnyway) {
				return nil, fmt.Errorf("PodTopologySpread: %w: defaultConstraints[%d]: need maxSkew > 0, a topologyKey and whenUnsatisfiable DoNotSchedule or ScheduleAnyway", framework.ErrInvalidArgs, i)
			}
		}
		pl.defaults = a.DefaultConstraints
	default:
		return nil, fmt.Errorf("PodTopologySpread: %w: defaultingType: %q is not System or List", framework.ErrInvalidArgs, a.DefaultingType)
	}
	return pl, nil
}

// Name implements framework.Plugin.
func (*PodTopologySpread) Name() string { return framework.PodTopologySpreadName }

// spreadConstraint is a parsed constraint.
type spreadConstraint struct {
	maxSkew           int32
	topologyKey       string
	selector          labels.Selector
	minDomains        int32
	honorNodeAffinity bool
	honorNodeTaints   bool
}

func (c *spreadConstraint) includesNode(pod *core.Pod, node *core.Node, req requiredNodeAffinity) bool {
	if c.honorNodeAffinity && !req.match(node) {
		return false
	}
	if c.honorNodeTaints {
		if _, bad := firstUntolerated(node.Spec.Taints, pod.Spec.Tolerations, func(t *core.Taint) bool {
			return t.Effect == core.TaintEffectNoSchedule || t.Effect == core.TaintEffectNoExecute
		}); bad {
			return false
		}
	}
	return true
}

func (c *spreadConstraint) count(pods []*framework.PodInfo, ns string) int64 {
	var n int64
	for _, p := range pods {
		if p.Pod.Namespace == ns && p.Pod.DeletionTimestamp == nil && c.selector.Matches(labels.Set(p.Pod.Labels)) {
			n++
		}
	}
	return n
}

func hasAllKeys(node *core.Node, cs []spreadConstraint) bool {
	for i := range cs {
		if _, ok := node.Labels[cs[i].topologyKey]; !ok {
			return false
		}
	}
	return true
}

// constraints returns the pod's constraints with the given action, or
// the default ones when the pod has none; systemDefaulted reports the
// latter with System defaulting.
func (pl *PodTopologySpread) constraints(pod *core.Pod, action core.UnsatisfiableConstraintAction) (cs []spreadConstraint, systemDefaulted bool, err error) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		for _, c := range pod.Spec.TopologySpreadConstraints {
			if c.WhenUnsatisfiable != action {
				continue
			}
			sel, err := labels.FromLabelSelector(c.LabelSelector)
			if err != nil {
				return nil, false, err
			}
			var reqs []labels.Requirement
			for _, k := range c.MatchLabelKeys {
				if v, ok := pod.Labels[k]; ok {
					r, err := labels.NewRequirement(k, labels.In, []string{v})
					if err != nil {
						return nil, false, err
					}
					reqs = append(reqs, *r)
				}
			}
			if len(reqs) > 0 {
				sel = sel.Add(reqs...)
			}
			cs = append(cs, newSpreadConstraint(c, sel))
		}
		return cs, false, nil
	}
	if len(pl.defaults) == 0 {
		return nil, false, nil
	}
	sel := pl.defaultSelector(pod)
	if sel.Empty() {
		return nil, false, nil
	}
	for _, c := range pl.defaults {
		if c.WhenUnsatisfiable == action {
			cs = append(cs, newSpreadConstraint(c, sel))
		}
	}
	return cs, pl.system, nil
}

func newSpreadConstraint(c core.TopologySpreadConstraint, sel labels.Selector) spreadConstraint {
	sc := spreadConstraint{maxSkew: c.MaxSkew, topologyKey: c.TopologyKey, selector: sel, minDomains: 1, honorNodeAffinity: true}
	if c.MinDomains != nil {
		sc.minDomains = *c.MinDomains
	}
	if c.NodeAffinityPolicy != nil && *c.NodeAffinityPolicy == core.NodeInclusionPolicyIgnore {
		sc.honorNodeAffinity = false
	}
	if c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == core.NodeInclusionPolicyHonor {
		sc.honorNodeTaints = true
	}
	return sc
}

// defaultSelector merges the selectors of the services, replica sets and
// stateful sets in the pod's namespace that select it, as Kubernetes'
// DefaultSelector does.
func (pl *PodTopologySpread) defaultSelector(pod *core.Pod) labels.Selector {
	w := pl.h.SnapshotSharedLister().Workloads()
	set := labels.Set(pod.Labels)
	var reqs []labels.Requirement
	addSel := func(s labels.Selector) {
		if r, ok := s.Requirements(); ok {
			reqs = append(reqs, r...)
		}
	}
	for _, s := range w.Services(pod.Namespace) {
		if len(s.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(labels.Set(s.Spec.Selector))
		if sel.Matches(set) {
			addSel(sel)
		}
	}
	for _, rs := range w.ReplicaSets(pod.Namespace) {
		if sel, err := labels.FromLabelSelector(rs.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(set) {
			addSel(sel)
		}
	}
	for _, ss := range w.StatefulSets(pod.Namespace) {
		if sel, err := labels.FromLabelSelector(ss.Spec.Selector); err == nil && !sel.Empty() && sel.Matches(set) {
			addSel(sel)
		}
	}
	return labels.Everything().Add(reqs...)
}

const ptsPreFilterKey framework.StateKey = "PreFilter" + framework.StateKey(framework.PodTopologySpreadName)
const ptsPreScoreKey framework.StateKey = "PreScore" + framework.StateKey(framework.PodTopologySpreadName)

type ptsState struct {
	constraints []spreadConstraint
	required    requiredNodeAffinity
	// counts holds, per constraint, the matching pods per domain value of
	// eligible nodes (0 for an eligible empty domain).
	counts []map[string]int64
	// mins caches minMatch per constraint: Filter runs once per node and
	// must not walk every domain (one per node for a hostname key).
	mins []int64
}

func (s *ptsState) Clone() framework.StateData {
	out := &ptsState{constraints: s.constraints, required: s.required, counts: make([]map[string]int64, len(s.counts)), mins: slices.Clone(s.mins)}
	for i := range s.counts {
		out.counts[i] = maps.Clone(s.counts[i])
	}
	return out
}

// updateMins recomputes the cached minimum of every constraint.
func (s *ptsState) updateMins() {
	s.mins = make([]int64, len(s.counts))
	for i := range s.counts {
		s.mins[i] = s.minMatch(i)
	}
}

// minMatch returns the smallest count over the domains of constraint i,
// or 0 when there are fewer domains than minDomains.
func (s *ptsState) minMatch(i int) int64 {
	c := s.counts[i]
	if int32(len(c)) < s.constraints[i].minDomains {
		return 0
	}
	m := int64(math.MaxInt64)
	for _, v := range c {
		m = min(m, v)
	}
	if m == math.MaxInt64 {
		return 0
	}
	return m
}

// PreFilter implements framework.PreFilterPlugin: it counts matching pods
// per topology domain for the DoNotSchedule constraints.
func (pl *PodTopologySpread) PreFilter(ctx context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	cs, _, err := pl.constraints(pod, core.DoNotSchedule)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing topology spread constraints: %v", err))
	}
	if len(cs) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	nodes, err := pl.h.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	s := &ptsState{constraints: cs, required: newRequiredNodeAffinity(pod), counts: make([]map[string]int64, len(cs))}
	for i := range s.counts {
		s.counts[i] = make(map[string]int64, domainsHint(cs[i].topologyKey, len(nodes)))
	}
	vals := countPerNode(ctx, pl.h.Parallelizer(), nodes, cs, func(i int, node *core.Node) bool {
		return cs[i].includesNode(pod, node, s.required)
	}, pod.Namespace)
	for n, ni := range nodes {
		for i := range cs {
			if v := vals[n*len(cs)+i]; v >= 0 {
				s.counts[i][ni.Node().Labels[cs[i].topologyKey]] += v
			}
		}
	}
	s.updateMins()
	state.Write(ptsPreFilterKey, s)
	return nil, nil
}

// domainsHint sizes a domain count map: one domain per node for the
// hostname key, a few otherwise.
func domainsHint(key string, nodes int) int {
	if key == core.LabelHostname {
		return nodes
	}
	return 8
}

// countPerNode counts, in parallel and without locks, the pods matching
// each constraint on each node that has every topology key and that
// include accepts: vals[n*len(cs)+i] for node n and constraint i, -1
// where the node does not count.
func countPerNode(ctx context.Context, p framework.Parallelizer, nodes []*framework.NodeInfo, cs []spreadConstraint, include func(i int, node *core.Node) bool, ns string) []int64 {
	vals := make([]int64, len(nodes)*len(cs))
	p.Until(ctx, len(nodes), func(n int) {
		row := vals[n*len(cs) : (n+1)*len(cs)]
		node := nodes[n].Node()
		if node == nil || !hasAllKeys(node, cs) {
			for i := range row {
				row[i] = -1
			}
			return
		}
		for i := range cs {
			if !include(i, node) {
				row[i] = -1
				continue
			}
			row[i] = cs[i].count(nodes[n].Pods, ns)
		}
	})
	return vals
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (pl *PodTopologySpread) PreFilterExtensions() framework.PreFilterExtensions { return pl }

func (pl *PodTopologySpread) update(state *framework.CycleState, pod *core.Pod, pi *framework.PodInfo, ni *framework.NodeInfo, delta int64) *framework.Status {
	s, err := framework.ReadAs[*ptsState](state, ptsPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := ni.Node()
	if node == nil || pi.Pod.Namespace != pod.Namespace || !hasAllKeys(node, s.constraints) {
		return nil
	}
	for i := range s.constraints {
		c := &s.constraints[i]
		if c.includesNode(pod, node, s.required) && c.selector.Matches(labels.Set(pi.Pod.Labels)) {
			s.counts[i][node.Labels[c.topologyKey]] += delta
		}
	}
	s.updateMins()
	return nil
}

// AddPod implements framework.PreFilterExtensions.
func (pl *PodTopologySpread) AddPod(_ context.Context, state *framework.CycleState, pod *core.Pod, pi *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return pl.update(state, pod, pi, ni, 1)
}

// RemovePod implements framework.PreFilterExtensions.
func (pl *PodTopologySpread) RemovePod(_ context.Context, state *framework.CycleState, pod *core.Pod, pi *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	return pl.update(state, pod, pi, ni, -1)
}

// Filter implements framework.FilterPlugin: placing the pod on the node
// must keep (count in the node's domain + 1) - (smallest domain count)
// within maxSkew for every DoNotSchedule constraint.
func (pl *PodTopologySpread) Filter(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.AsStatus(fmt.Errorf("invalid nodeInfo: %w", framework.ErrNotFound))
	}
	s, err := framework.ReadAs[*ptsState](state, ptsPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	for i := range s.constraints {
		c := &s.constraints[i]
		v, ok := node.Labels[c.topologyKey]
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonTopologySpreadMissingLabel)
		}
		var self int64
		if c.selector.Matches(labels.Set(pod.Labels)) {
			self = 1
		}
		if skew := s.counts[i][v] + self - s.mins[i]; skew > int64(c.maxSkew) {
			return framework.NewStatus(framework.Unschedulable, ReasonTopologySpread)
		}
	}
	return nil
}

type ptsScoreState struct {
	constraints []spreadConstraint
	ignored     map[string]bool
	// counts per constraint per domain value (not used for hostname).
	counts  []map[string]int64
	weights []float64
}

func (s *ptsScoreState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin: it counts matching pods
// in the domains of the filtered nodes, for the ScheduleAnyway
// constraints.
func (pl *PodTopologySpread) PreScore(ctx context.Context, state *framework.CycleState, pod *core.Pod, filtered []*framework.NodeInfo) *framework.Status {
	cs, systemDefaulted, err := pl.constraints(pod, core.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 || len(filtered) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	all, err := pl.h.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return framework.AsStatus(err)
	}
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !systemDefaulted
	s := &ptsScoreState{constraints: cs, ignored: map[string]bool{}, counts: make([]map[string]int64, len(cs)), weights: make([]float64, len(cs))}
	for i := range cs {
		s.counts[i] = map[string]int64{}
	}
	for _, ni := range filtered {
		node := ni.Node()
		if requireAll && !hasAllKeys(node, cs) {
			s.ignored[node.Name] = true
			continue
		}
		for i := range cs {
			if cs[i].topologyKey == core.LabelHostname {
				continue
			}
			if v, ok := node.Labels[cs[i].topologyKey]; ok {
				s.counts[i][v] += 0
			}
		}
	}
	for i := range cs {
		size := len(s.counts[i])
		if cs[i].topologyKey == core.LabelHostname {
			size = len(filtered) - len(s.ignored)
		}
		s.weights[i] = math.Log(float64(size + 2))
	}
	req := newRequiredNodeAffinity(pod)
	vals := countPerNode(ctx, pl.h.Parallelizer(), all, cs, func(i int, node *core.Node) bool {
		if cs[i].topologyKey == core.LabelHostname || !cs[i].includesNode(pod, node, req) {
			return false
		}
		_, ok := s.counts[i][node.Labels[cs[i].topologyKey]] // read-only here
		return ok
	}, pod.Namespace)
	for n, ni := range all {
		for i := range cs {
			if v := vals[n*len(cs)+i]; v >= 0 {
				s.counts[i][ni.Node().Labels[cs[i].topologyKey]] += v
			}
		}
	}
	state.Write(ptsPreScoreKey, s)
	return nil
}

// Score implements framework.ScorePlugin: for each constraint, the
// matching pods in the node's domain times log(domains + 2), plus
// maxSkew - 1; lower is better, NormalizeScore reverses it.
func (pl *PodTopologySpread) Score(_ context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	s, err := framework.ReadAs[*ptsScoreState](state, ptsPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	if s.ignored[nodeName] {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		v, ok := ni.Node().Labels[c.topologyKey]
		if !ok {
			continue
		}
		var cnt int64
		if c.topologyKey == core.LabelHostname {
			cnt = c.count(ni.Pods, pod.Namespace)
		} else {
			cnt = s.counts[i][v]
		}
		score += float64(cnt)*s.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps raw scores onto [0, 100], lowest raw best; ignored
// nodes (missing a topology key) get 0.
func (pl *PodTopologySpread) NormalizeScore(_ context.Context, state *framework.CycleState, _ *core.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := framework.ReadAs[*ptsScoreState](state, ptsPreScoreKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, sc := range scores {
		if s.ignored[sc.Name] {
			continue
		}
		lo, hi = min(lo, sc.Score), max(hi, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored[scores[i].Name]:
			scores[i].Score = 0
		case hi == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (hi + lo - scores[i].Score) / hi
		}
	}
	return nil
}
