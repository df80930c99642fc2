package plugins

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sync"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// InterPodAffinity's rejection reasons, as Kubernetes words them.
const (
	ReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
	ReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// InterPodAffinityArgs configure InterPodAffinity.
type InterPodAffinityArgs struct {
	// HardPodAffinityWeight is the score weight given to existing pods'
	// required affinity terms that the incoming pod matches (0-100,
	// default 1).
	HardPodAffinityWeight *int32 `json:"hardPodAffinityWeight,omitempty"`
	// IgnorePreferredTermsOfExistingPods leaves existing pods' preferred
	// terms out of scoring.
	IgnorePreferredTermsOfExistingPods bool `json:"ignorePreferredTermsOfExistingPods,omitempty"`
}

// InterPodAffinity enforces required pod affinity and anti-affinity over
// topology domains, respecting the required anti-affinity of pods already
// running, and scores nodes by preferred terms (of the pod, and of the
// existing pods towards it). Namespace selectors are evaluated against
// empty namespace labels: only an empty selector ({}) selects namespaces.
type InterPodAffinity struct {
	h    framework.Handle
	args InterPodAffinityArgs
}

var (
	_ framework.PreFilterPlugin     = (*InterPodAffinity)(nil)
	_ framework.PreFilterExtensions = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin        = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin      = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin         = (*InterPodAffinity)(nil)
	_ framework.NodeInfoScorer      = (*InterPodAffinity)(nil)
)

// NewInterPodAffinity is InterPodAffinity's factory; args are
// InterPodAffinityArgs.
func NewInterPodAffinity(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	one := int32(1)
	a, err := framework.DecodeArgs(args, InterPodAffinityArgs{HardPodAffinityWeight: &one})
	if err != nil {
		return nil, fmt.Errorf("InterPodAffinity: %w", err)
	}
	if a.HardPodAffinityWeight == nil {
		a.HardPodAffinityWeight = &one
	}
	if w := *a.HardPodAffinityWeight; w < 0 || w > 100 {
		return nil, fmt.Errorf("InterPodAffinity: %w: hardPodAffinityWeight: must be in [0, 100], got %d", framework.ErrInvalidArgs, w)
	}
	return &InterPodAffinity{h: h, args: a}, nil
}

// Name implements framework.Plugin.
func (*InterPodAffinity) Name() string { return framework.InterPodAffinityName }

type topologyPair struct{ key, value string }

type topologyCounts map[topologyPair]int64

func (c topologyCounts) add(node *core.Node, key string, delta int64) {
	if v, ok := node.Labels[key]; ok {
		k := topologyPair{key, v}
		if n := c[k] + delta; n != 0 {
			c[k] = n
		} else {
			delete(c, k)
		}
	}
}

const ipaPreFilterKey framework.StateKey = "PreFilter" + framework.StateKey(framework.InterPodAffinityName)
const ipaPreScoreKey framework.StateKey = "PreScore" + framework.StateKey(framework.InterPodAffinityName)

type ipaState struct {
	pod *framework.PodInfo
	// existingAnti counts, per topology pair, existing pods whose required
	// anti-affinity terms select the incoming pod.
	existingAnti topologyCounts
	// affinity counts existing pods matching all the pod's required
	// affinity terms; anti counts pods matching each anti-affinity term.
	affinity topologyCounts
	anti     topologyCounts
	// antiIdx, when set, holds the snapshot's counts of the pods matching
	// each anti-affinity term: anti then holds only the changes AddPod
	// and RemovePod made.
	antiIdx []*framework.DomainCounts
}

func (s *ipaState) Clone() framework.StateData {
	return &ipaState{pod: s.pod, existingAnti: maps.Clone(s.existingAnti), affinity: maps.Clone(s.affinity), anti: maps.Clone(s.anti), antiIdx: s.antiIdx}
}

// antiCount returns the pods matching an anti-affinity term of key k in
// the domain v.
func (s *ipaState) antiCount(k, v string) int64 {
	n := s.anti[topologyPair{k, v}]
	for j, dc := range s.antiIdx {
		if s.pod.RequiredAntiAffinityTerms[j].TopologyKey == k {
			if slot, ok := dc.Slot(v); ok {
				n += dc.Count(slot)
			}
		}
	}
	return n
}

// antiSnapshotCounts returns the lister's counts of the pods matching
// each of the pod's required anti-affinity terms, when it maintains them
// and every term names one namespace (no namespace selector); nil
// otherwise.
func antiSnapshotCounts(lister framework.SharedLister, pi *framework.PodInfo) []*framework.DomainCounts {
	dcr, ok := lister.(framework.DomainCounter)
	terms := pi.RequiredAntiAffinityTerms
	if !ok || len(terms) == 0 {
		return nil
	}
	for i := range terms {
		if terms[i].NamespaceSelector != nil || len(terms[i].Namespaces) != 1 {
			return nil
		}
	}
	out := make([]*framework.DomainCounts, len(terms))
	for i := range terms {
		t := &terms[i]
		var ns string
		for n := range t.Namespaces {
			ns = n
		}
		// Term.Matches does not leave out pods being deleted.
		out[i] = dcr.DomainCounts(framework.DomainQuery{Namespace: ns, Selector: t.Selector, TopologyKey: t.TopologyKey, Terminating: true})
	}
	return out
}

func matchesAllTerms(terms []framework.AffinityTerm, pod *core.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod, nil) {
			return false
		}
	}
	return true
}

// updateWith adds (sign 1) or removes (sign -1) existing pod's
// contribution on node.
func (s *ipaState) updateWith(existing *framework.PodInfo, node *core.Node, sign int64) {
	incoming := s.pod.Pod
	for i := range existing.RequiredAntiAffinityTerms {
		t := &existing.RequiredAntiAffinityTerms[i]
		if t.Matches(incoming, nil) {
			s.existingAnti.add(node, t.TopologyKey, sign)
		}
	}
	if matchesAllTerms(s.pod.RequiredAffinityTerms, existing.Pod) {
		for i := range s.pod.RequiredAffinityTerms {
			s.affinity.add(node, s.pod.RequiredAffinityTerms[i].TopologyKey, sign)
		}
	}
	for i := range s.pod.RequiredAntiAffinityTerms {
		t := &s.pod.RequiredAntiAffinityTerms[i]
		if t.Matches(existing.Pod, nil) {
			s.anti.add(node, t.TopologyKey, sign)
		}
	}
}

// PreFilter implements framework.PreFilterPlugin: it counts, per topology
// pair, the existing pods relevant to the pod's required terms and the
// existing pods whose anti-affinity rejects it.
func (pl *InterPodAffinity) PreFilter(ctx context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod affinity: %v", err))
	}
	lister := pl.h.SnapshotSharedLister().NodeInfos()
	withAnti, err := lister.HavePodsWithRequiredAntiAffinityList()
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	s := &ipaState{pod: pi, existingAnti: topologyCounts{}, affinity: topologyCounts{}, anti: topologyCounts{}}
	for _, ni := range withAnti {
		for _, e := range ni.PodsWithRequiredAntiAffinity {
			for i := range e.RequiredAntiAffinityTerms {
				t := &e.RequiredAntiAffinityTerms[i]
				if t.Matches(pod, nil) {
					s.existingAnti.add(ni.Node(), t.TopologyKey, 1)
				}
			}
		}
	}
	if len(pi.RequiredAffinityTerms) == 0 && len(pi.RequiredAntiAffinityTerms) == 0 {
		if len(s.existingAnti) == 0 {
			return nil, framework.NewStatus(framework.Skip)
		}
		state.Write(ipaPreFilterKey, s)
		return nil, nil
	}
	all, err := lister.List()
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	antiTerms := pi.RequiredAntiAffinityTerms
	if s.antiIdx = antiSnapshotCounts(pl.h.SnapshotSharedLister(), pi); s.antiIdx != nil {
		antiTerms = nil // counted by the snapshot
		if len(pi.RequiredAffinityTerms) == 0 {
			state.Write(ipaPreFilterKey, s)
			return nil, nil
		}
	}
	// Count matches per node in parallel into one flat slice (no locks,
	// no per-node maps), then add them up per topology pair serially.
	// Row layout per node: [0] pods matching every affinity term, [1+j]
	// pods matching anti-affinity term j.
	width := 1 + len(antiTerms)
	vals := make([]int64, len(all)*width)
	pl.h.Parallelizer().Until(ctx, len(all), func(i int) {
		row := vals[i*width : (i+1)*width]
		for _, e := range all[i].Pods {
			if len(pi.RequiredAffinityTerms) > 0 && matchesAllTerms(pi.RequiredAffinityTerms, e.Pod) {
				row[0]++
			}
			for j := range antiTerms {
				if antiTerms[j].Matches(e.Pod, nil) {
					row[1+j]++
				}
			}
		}
	})
	for i, ni := range all {
		row := vals[i*width : (i+1)*width]
		if node := ni.Node(); node != nil {
			if row[0] > 0 {
				for j := range pi.RequiredAffinityTerms {
					s.affinity.add(node, pi.RequiredAffinityTerms[j].TopologyKey, row[0])
				}
			}
			for j := range antiTerms {
				if row[1+j] > 0 {
					s.anti.add(node, antiTerms[j].TopologyKey, row[1+j])
				}
			}
		}
	}
	state.Write(ipaPreFilterKey, s)
	return nil, nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (pl *InterPodAffinity) PreFilterExtensions() framework.PreFilterExtensions { return pl }

// AddPod implements framework.PreFilterExtensions.
func (pl *InterPodAffinity) AddPod(_ context.Context, state *framework.CycleState, _ *core.Pod, add *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	s, err := framework.ReadAs[*ipaState](state, ipaPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s.updateWith(add, ni.Node(), 1)
	return nil
}

// RemovePod implements framework.PreFilterExtensions.
func (pl *InterPodAffinity) RemovePod(_ context.Context, state *framework.CycleState, _ *core.Pod, rm *framework.PodInfo, ni *framework.NodeInfo) *framework.Status {
	s, err := framework.ReadAs[*ipaState](state, ipaPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s.updateWith(rm, ni.Node(), -1)
	return nil
}

// Filter implements framework.FilterPlugin.
func (pl *InterPodAffinity) Filter(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.AsStatus(fmt.Errorf("invalid nodeInfo: %w", framework.ErrNotFound))
	}
	s, err := framework.ReadAs[*ipaState](state, ipaPreFilterKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	for k, v := range node.Labels {
		if s.existingAnti[topologyPair{k, v}] > 0 {
			return framework.NewStatus(framework.Unschedulable, ReasonExistingAntiAffinityRulesNotMatch)
		}
	}
	for i := range s.pod.RequiredAntiAffinityTerms {
		k := s.pod.RequiredAntiAffinityTerms[i].TopologyKey
		if v, ok := node.Labels[k]; ok && s.antiCount(k, v) > 0 {
			return framework.NewStatus(framework.Unschedulable, ReasonAntiAffinityRulesNotMatch)
		}
	}
	if terms := s.pod.RequiredAffinityTerms; len(terms) > 0 {
		podsExist := true
		for i := range terms {
			v, ok := node.Labels[terms[i].TopologyKey]
			if !ok {
				return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonAffinityRulesNotMatch)
			}
			if s.affinity[topologyPair{terms[i].TopologyKey, v}] <= 0 {
				podsExist = false
			}
		}
		// The first pod of a group whose affinity selects itself may go
		// anywhere the topology keys exist.
		if !podsExist && !(len(s.affinity) == 0 && matchesAllTerms(terms, s.pod.Pod)) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonAffinityRulesNotMatch)
		}
	}
	return nil
}

type ipaScoreState struct {
	scores map[string]map[string]int64 // topology key -> value -> score
}

func (s *ipaScoreState) Clone() framework.StateData { return s }

// PreScore implements framework.PreScorePlugin: it sums, per topology
// domain, the weights of the preferred terms satisfied there (the pod's
// own, existing pods' preferred terms, and existing pods' required
// affinity times hardPodAffinityWeight).
func (pl *InterPodAffinity) PreScore(ctx context.Context, state *framework.CycleState, pod *core.Pod, _ []*framework.NodeInfo) *framework.Status {
	pi, err := framework.NewPodInfo(pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	lister := pl.h.SnapshotSharedLister().NodeInfos()
	hasPreferred := len(pi.PreferredAffinityTerms) > 0 || len(pi.PreferredAntiAffinityTerms) > 0
	var nodes []*framework.NodeInfo
	if hasPreferred {
		nodes, err = lister.List()
	} else {
		nodes, err = lister.HavePodsWithAffinityList()
	}
	if err != nil {
		return framework.AsStatus(err)
	}
	if !hasPreferred && len(nodes) == 0 {
		return framework.NewStatus(framework.Skip)
	}
	total := map[string]map[string]int64{}
	var mu sync.Mutex
	hard := int64(*pl.args.HardPodAffinityWeight)
	pl.h.Parallelizer().Until(ctx, len(nodes), func(n int) {
		ni := nodes[n]
		node := ni.Node()
		if node == nil || len(node.Labels) == 0 {
			return
		}
		local := map[string]map[string]int64{}
		add := func(t *framework.AffinityTerm, target *core.Pod, w int64) {
			if w == 0 || !t.Matches(target, nil) {
				return
			}
			v, ok := node.Labels[t.TopologyKey]
			if !ok {
				return
			}
			if local[t.TopologyKey] == nil {
				local[t.TopologyKey] = map[string]int64{}
			}
			local[t.TopologyKey][v] += w
		}
		pods := ni.Pods
		if !hasPreferred {
			pods = ni.PodsWithAffinity
		}
		for _, e := range pods {
			for i := range pi.PreferredAffinityTerms {
				add(&pi.PreferredAffinityTerms[i].AffinityTerm, e.Pod, int64(pi.PreferredAffinityTerms[i].Weight))
			}
			for i := range pi.PreferredAntiAffinityTerms {
				add(&pi.PreferredAntiAffinityTerms[i].AffinityTerm, e.Pod, -int64(pi.PreferredAntiAffinityTerms[i].Weight))
			}
			for i := range e.RequiredAffinityTerms {
				add(&e.RequiredAffinityTerms[i], pod, hard)
			}
			if !pl.args.IgnorePreferredTermsOfExistingPods {
				for i := range e.PreferredAffinityTerms {
					add(&e.PreferredAffinityTerms[i].AffinityTerm, pod, int64(e.PreferredAffinityTerms[i].Weight))
				}
				for i := range e.PreferredAntiAffinityTerms {
					add(&e.PreferredAntiAffinityTerms[i].AffinityTerm, pod, -int64(e.PreferredAntiAffinityTerms[i].Weight))
				}
			}
		}
		mu.Lock()
		for k, vs := range local {
			if total[k] == nil {
				total[k] = map[string]int64{}
			}
			for v, w := range vs {
				total[k][v] += w
			}
		}
		mu.Unlock()
	})
	state.Write(ipaPreScoreKey, &ipaScoreState{scores: total})
	return nil
}

// Score implements framework.ScorePlugin: the sum of the scores of the
// node's topology domains. It may be negative before normalisation.
func (pl *InterPodAffinity) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *InterPodAffinity) ScoreNodeInfo(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := framework.ReadAs[*ipaScoreState](state, ipaPreScoreKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var score int64
	for k, vs := range s.scores {
		if v, ok := ni.Node().Labels[k]; ok {
			score += vs[v]
		}
	}
	return score, nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps [min, max] of the raw scores onto [0, 100].
func (pl *InterPodAffinity) NormalizeScore(_ context.Context, state *framework.CycleState, _ *core.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := framework.ReadAs[*ipaScoreState](state, ipaPreScoreKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(s.scores) == 0 {
		return nil
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, sc := range scores {
		lo, hi = min(lo, sc.Score), max(hi, sc.Score)
	}
	diff := hi - lo
	for i := range scores {
		var f float64
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * float64(scores[i].Score-lo) / float64(diff)
		}
		scores[i].Score = int64(f)
	}
	return nil
}
