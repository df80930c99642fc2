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
	_ framework.NodeInfoScorer      = (*PodTopologySpread)(nil)
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
	return framework.CountMatchingPods(pods, &framework.DomainQuery{Namespace: ns, Selector: c.selector, TopologyKey: c.topologyKey})
}

// allNodesIncluded reports whether every node is included by the
// constraints (those for which consider returns true): trivially when
// they honour neither a node affinity the pod has nor taints.
func allNodesIncluded(pod *core.Pod, nodes []*framework.NodeInfo, cs []spreadConstraint, req requiredNodeAffinity, consider func(i int) bool) bool {
	scan := false
	for i := range cs {
		if consider(i) && ((cs[i].honorNodeAffinity && !req.empty()) || cs[i].honorNodeTaints) {
			scan = true
		}
	}
	if !scan {
		return true
	}
	for _, ni := range nodes {
		for i := range cs {
			if consider(i) && !cs[i].includesNode(pod, ni.Node(), req) {
				return false
			}
		}
	}
	return true
}

// snapshotCounts returns the snapshot's per-domain counts for each
// constraint when they are the counts the plugin would make itself:
// the lister maintains them, every node has every constraint's key, and
// every node is included (for the constraints consider accepts). It
// returns nil otherwise.
func snapshotCounts(lister framework.SharedLister, pod *core.Pod, nodes []*framework.NodeInfo, cs []spreadConstraint, req requiredNodeAffinity, consider func(i int) bool) []*framework.DomainCounts {
	dcr, ok := lister.(framework.DomainCounter)
	if !ok || len(nodes) == 0 || !allNodesIncluded(pod, nodes, cs, req, consider) {
		return nil
	}
	out := make([]*framework.DomainCounts, len(cs))
	for i := range cs {
		dc := dcr.DomainCounts(framework.DomainQuery{Namespace: pod.Namespace, Selector: cs[i].selector, TopologyKey: cs[i].topologyKey})
		if dc == nil || dc.NodesWithKey() != len(nodes) {
			return nil
		}
		out[i] = dc
	}
	return out
}

// domainCounts is one constraint's matching pods per domain: counted
// this cycle (m), or the snapshot's counts (base) with the changes
// AddPod and RemovePod made (m, nil until then).
type domainCounts struct {
	base *framework.DomainCounts
	m    map[string]int64
}

// get returns the count of a domain and whether it is one.
func (c *domainCounts) get(v string) (int64, bool) {
	if c.base == nil {
		n, ok := c.m[v]
		return n, ok
	}
	var n int64
	slot, ok := c.base.Slot(v)
	if ok {
		n = c.base.Count(slot)
	}
	if d, dok := c.m[v]; dok {
		n += d
		ok = true
	}
	return n, ok
}

// add changes the count of a domain, adding the domain if needed.
func (c *domainCounts) add(v string, delta int64) {
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[v] += delta
}

func (c *domainCounts) clone() domainCounts {
	return domainCounts{base: c.base, m: maps.Clone(c.m)}
}

// minAndLen returns the smallest count (math.MaxInt64 without domains)
// and the number of domains.
func (c *domainCounts) minAndLen() (int64, int) {
	m := int64(math.MaxInt64)
	if c.base == nil {
		for _, v := range c.m {
			m = min(m, v)
		}
		return m, len(c.m)
	}
	n := c.base.Len()
	if len(c.m) == 0 {
		if v, ok := c.base.Min(); ok {
			m = v
		}
		return m, n
	}
	for slot := range n {
		v := c.base.Count(slot)
		if d, ok := c.m[c.base.Domain(slot)]; ok {
			v += d
		}
		m = min(m, v)
	}
	for dom, d := range c.m {
		if _, ok := c.base.Slot(dom); !ok {
			n++
			m = min(m, d)
		}
	}
	return m, n
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
	counts []domainCounts
	// mins caches minMatch per constraint: Filter runs once per node and
	// must not walk every domain (one per node for a hostname key).
	mins []int64
	// self is 1 for the constraints whose selector matches the pod.
	self []int64
}

func (s *ptsState) Clone() framework.StateData {
	out := &ptsState{constraints: s.constraints, required: s.required, counts: make([]domainCounts, len(s.counts)), mins: slices.Clone(s.mins), self: s.self}
	for i := range s.counts {
		out.counts[i] = s.counts[i].clone()
	}
	return out
}

// updateMins recomputes the cached minimum of every constraint.
func (s *ptsState) updateMins() {
	if len(s.mins) != len(s.counts) {
		s.mins = make([]int64, len(s.counts))
	}
	for i := range s.counts {
		s.mins[i] = s.minMatch(i)
	}
}

// minMatch returns the smallest count over the domains of constraint i,
// or 0 when there are fewer domains than minDomains.
func (s *ptsState) minMatch(i int) int64 {
	m, n := s.counts[i].minAndLen()
	if int32(n) < s.constraints[i].minDomains || m == math.MaxInt64 {
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
	lister := pl.h.SnapshotSharedLister()
	nodes, err := lister.NodeInfos().List()
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	s := &ptsState{constraints: cs, required: newRequiredNodeAffinity(pod), counts: make([]domainCounts, len(cs)), self: make([]int64, len(cs))}
	for i := range cs {
		if cs[i].selector.Matches(labels.Set(pod.Labels)) {
			s.self[i] = 1
		}
	}
	if dcs := snapshotCounts(lister, pod, nodes, cs, s.required, func(int) bool { return true }); dcs != nil {
		// Every node counts: the snapshot's counts are the ones.
		for i := range cs {
			s.counts[i].base = dcs[i]
		}
		s.updateMins()
		state.Write(ptsPreFilterKey, s)
		return nil, nil
	}
	for i := range s.counts {
		s.counts[i].m = make(map[string]int64, domainsHint(cs[i].topologyKey, len(nodes)))
	}
	vals := countPerNode(ctx, pl.h.Parallelizer(), nodes, cs, func(i int, node *core.Node) bool {
		return cs[i].includesNode(pod, node, s.required)
	}, pod.Namespace)
	for n, ni := range nodes {
		for i := range cs {
			if v := vals[n*len(cs)+i]; v >= 0 {
				s.counts[i].m[ni.Node().Labels[cs[i].topologyKey]] += v
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
			s.counts[i].add(node.Labels[c.topologyKey], delta)
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
		n, _ := s.counts[i].get(v)
		if skew := n + s.self[i] - s.mins[i]; skew > int64(c.maxSkew) {
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
	// hosts holds, for the hostname constraints, the snapshot's counts
	// per hostname when the lister maintains them (nil otherwise).
	hosts []*framework.DomainCounts
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
	lister := pl.h.SnapshotSharedLister()
	all, err := lister.NodeInfos().List()
	if err != nil {
		return framework.AsStatus(err)
	}
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !systemDefaulted
	s := &ptsScoreState{constraints: cs, ignored: map[string]bool{}, counts: make([]map[string]int64, len(cs)), weights: make([]float64, len(cs)), hosts: make([]*framework.DomainCounts, len(cs))}
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
	counted := func(i int) bool { return cs[i].topologyKey != core.LabelHostname }
	if dcs := snapshotCounts(lister, pod, all, cs, req, counted); dcs != nil {
		// Every node counts: the snapshot's counts are the ones.
		for i := range cs {
			if !counted(i) {
				s.hosts[i] = dcs[i]
				continue
			}
			for v := range s.counts[i] {
				if slot, ok := dcs[i].Slot(v); ok {
					s.counts[i][v] = dcs[i].Count(slot)
				}
			}
		}
		state.Write(ptsPreScoreKey, s)
		return nil
	}
	if dcr, ok := lister.(framework.DomainCounter); ok {
		for i := range cs {
			if !counted(i) {
				s.hosts[i] = dcr.DomainCounts(framework.DomainQuery{Namespace: pod.Namespace, Selector: cs[i].selector, TopologyKey: cs[i].topologyKey})
			}
		}
	}
	vals := countPerNode(ctx, pl.h.Parallelizer(), all, cs, func(i int, node *core.Node) bool {
		if !counted(i) || !cs[i].includesNode(pod, node, req) {
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
func (pl *PodTopologySpread) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *PodTopologySpread) ScoreNodeInfo(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := framework.ReadAs[*ptsScoreState](state, ptsPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	if s.ignored[ni.NodeName()] {
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
			cnt = hostCount(s.hosts[i], v, c, ni, pod.Namespace)
		} else {
			cnt = s.counts[i][v]
		}
		score += float64(cnt)*s.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// hostCount returns the matching pods on ni, whose hostname label is v:
// the snapshot's count of the domain when ni is alone in it, else
// counted.
func hostCount(dc *framework.DomainCounts, v string, c *spreadConstraint, ni *framework.NodeInfo, ns string) int64 {
	if dc != nil {
		if slot, ok := dc.Slot(v); ok && dc.NodesIn(slot) == 1 {
			return dc.Count(slot)
		}
	}
	return c.count(ni.Pods, ns)
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
