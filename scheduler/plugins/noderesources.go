package plugins

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// ScoringStrategyType names how NodeResourcesFit scores nodes.
type ScoringStrategyType string

// The scoring strategies.
const (
	// LeastAllocated favours the emptiest nodes (spreads load).
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	// MostAllocated favours the fullest nodes (bin packing).
	MostAllocated ScoringStrategyType = "MostAllocated"
	// RequestedToCapacityRatio scores utilisation through a piecewise
	// linear shape.
	RequestedToCapacityRatio ScoringStrategyType = "RequestedToCapacityRatio"
)

// ResourceSpec is a resource and its weight in scoring.
type ResourceSpec struct {
	Name   core.ResourceName `json:"name"`
	Weight int64             `json:"weight,omitempty"`
}

// UtilizationShapePoint is a point of the RequestedToCapacityRatio shape:
// at Utilization percent (0-100) the score is Score (0-10).
type UtilizationShapePoint struct {
	Utilization int32 `json:"utilization"`
	Score       int32 `json:"score"`
}

// RequestedToCapacityRatioParam is the shape of that strategy.
type RequestedToCapacityRatioParam struct {
	Shape []UtilizationShapePoint `json:"shape,omitempty"`
}

// ScoringStrategy configures NodeResourcesFit's scoring.
type ScoringStrategy struct {
	Type                     ScoringStrategyType            `json:"type,omitempty"`
	Resources                []ResourceSpec                 `json:"resources,omitempty"`
	RequestedToCapacityRatio *RequestedToCapacityRatioParam `json:"requestedToCapacityRatio,omitempty"`
}

// NodeResourcesFitArgs configure NodeResourcesFit.
type NodeResourcesFitArgs struct {
	// IgnoredResources are extended resources Filter does not check.
	IgnoredResources []string `json:"ignoredResources,omitempty"`
	// IgnoredResourceGroups are domains ("example.com") whose extended
	// resources Filter does not check.
	IgnoredResourceGroups []string         `json:"ignoredResourceGroups,omitempty"`
	ScoringStrategy       *ScoringStrategy `json:"scoringStrategy,omitempty"`
}

// NodeResourcesBalancedAllocationArgs configure
// NodeResourcesBalancedAllocation.
type NodeResourcesBalancedAllocationArgs struct {
	Resources []ResourceSpec `json:"resources,omitempty"`
}

func defaultResources() []ResourceSpec {
	return []ResourceSpec{{Name: core.ResourceCPU, Weight: 1}, {Name: core.ResourceMemory, Weight: 1}}
}

// DefaultNodeResourcesFitArgs returns Kubernetes' defaults: LeastAllocated
// over cpu and memory, weight 1 each.
func DefaultNodeResourcesFitArgs() NodeResourcesFitArgs {
	return NodeResourcesFitArgs{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: defaultResources()}}
}

// Validate checks the arguments, returning an error wrapping
// framework.ErrInvalidArgs.
func (a *NodeResourcesFitArgs) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{framework.ErrInvalidArgs}, args...)...))
	}
	s := a.ScoringStrategy
	if s == nil {
		return nil
	}
	switch s.Type {
	case LeastAllocated, MostAllocated:
	case RequestedToCapacityRatio:
		if s.RequestedToCapacityRatio == nil || len(s.RequestedToCapacityRatio.Shape) == 0 {
			bad("scoringStrategy.requestedToCapacityRatio.shape: required for %s", s.Type)
			break
		}
		shape := s.RequestedToCapacityRatio.Shape
		for i, p := range shape {
			if p.Utilization < 0 || p.Utilization > 100 {
				bad("scoringStrategy.requestedToCapacityRatio.shape[%d].utilization: must be in [0, 100], got %d", i, p.Utilization)
			}
			if p.Score < 0 || p.Score > maxCustomPriorityScore {
				bad("scoringStrategy.requestedToCapacityRatio.shape[%d].score: must be in [0, %d], got %d", i, maxCustomPriorityScore, p.Score)
			}
			if i > 0 && p.Utilization <= shape[i-1].Utilization {
				bad("scoringStrategy.requestedToCapacityRatio.shape[%d].utilization: values must be sorted in increasing order", i)
			}
		}
	default:
		bad("scoringStrategy.type: %q is not one of LeastAllocated, MostAllocated, RequestedToCapacityRatio", s.Type)
	}
	errs = append(errs, validateResources("scoringStrategy.resources", s.Resources)...)
	return errors.Join(errs...)
}

func validateResources(path string, rs []ResourceSpec) []error {
	var errs []error
	for i, r := range rs {
		if r.Weight <= 0 || r.Weight > 100 {
			errs = append(errs, fmt.Errorf("%w: %s[%d].weight: must be in [1, 100], got %d", framework.ErrInvalidArgs, path, i, r.Weight))
		}
	}
	return errs
}

const maxCustomPriorityScore = 10

// NodeResourcesFit filters out nodes without enough free cpu, memory,
// ephemeral storage, pod slots or extended resources for the pod's
// requests, and scores nodes by its scoring strategy.
type NodeResourcesFit struct {
	h       framework.Handle
	args    NodeResourcesFitArgs
	scorer  resourceScorer
	ignored map[string]bool
}

var (
	_ framework.PreFilterPlugin = (*NodeResourcesFit)(nil)
	_ framework.FilterPlugin    = (*NodeResourcesFit)(nil)
	_ framework.ScorePlugin     = (*NodeResourcesFit)(nil)
	_ framework.NodeInfoScorer  = (*NodeResourcesFit)(nil)
)

// NewNodeResourcesFit is NodeResourcesFit's factory; args are
// NodeResourcesFitArgs.
func NewNodeResourcesFit(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	a, err := framework.DecodeArgs(args, DefaultNodeResourcesFitArgs())
	if err != nil {
		return nil, fmt.Errorf("NodeResourcesFit: %w", err)
	}
	if a.ScoringStrategy == nil {
		a.ScoringStrategy = DefaultNodeResourcesFitArgs().ScoringStrategy
	}
	if a.ScoringStrategy.Type == "" {
		a.ScoringStrategy.Type = LeastAllocated
	}
	if len(a.ScoringStrategy.Resources) == 0 {
		a.ScoringStrategy.Resources = defaultResources()
	}
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("NodeResourcesFit: %w", err)
	}
	pl := &NodeResourcesFit{h: h, args: a, ignored: map[string]bool{}}
	for _, r := range a.IgnoredResources {
		pl.ignored[r] = true
	}
	s := a.ScoringStrategy
	var fn func(requested, allocatable []int64) int64
	switch s.Type {
	case LeastAllocated:
		fn = weightedAverage(s.Resources, leastRequestedScore)
	case MostAllocated:
		fn = weightedAverage(s.Resources, mostRequestedScore)
	case RequestedToCapacityRatio:
		fn = requestedToCapacityRatioScorer(s.Resources, s.RequestedToCapacityRatio.Shape)
	}
	pl.scorer = resourceScorer{resources: s.Resources, score: fn}
	return pl, nil
}

// Name implements framework.Plugin.
func (*NodeResourcesFit) Name() string { return framework.NodeResourcesFitName }

const fitKey framework.StateKey = "PreFilter" + framework.StateKey(framework.NodeResourcesFitName)

type fitState struct{ framework.Resource }

func (s *fitState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin: it computes the pod's
// requests once.
func (*NodeResourcesFit) PreFilter(_ context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	state.Write(fitKey, &fitState{*framework.PodRequests(pod, false)})
	return nil, nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*NodeResourcesFit) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// InsufficientResource is a resource the node lacks for the pod.
type InsufficientResource struct {
	Name      core.ResourceName
	Reason    string
	Requested int64
	Used      int64
	Capacity  int64
}

// Filter implements framework.FilterPlugin, with Kubernetes' reasons
// ("Too many pods", "Insufficient cpu", "Insufficient example.com/gpu").
func (pl *NodeResourcesFit) Filter(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := framework.ReadAs[*fitState](state, fitKey)
	if err != nil {
		s = &fitState{*framework.PodRequests(pod, false)}
	}
	insufficient := pl.Fits(&s.Resource, ni)
	if len(insufficient) == 0 {
		return nil
	}
	reasons := make([]string, len(insufficient))
	for i, r := range insufficient {
		reasons[i] = r.Reason
	}
	return framework.NewStatus(framework.Unschedulable, reasons...)
}

// Fits lists what the node lacks for a pod with request req.
func (pl *NodeResourcesFit) Fits(req *framework.Resource, ni *framework.NodeInfo) []InsufficientResource {
	var out []InsufficientResource
	alloc, used := ni.Allocatable, ni.Requested
	if n := int64(len(ni.Pods)); n+1 > alloc.AllowedPodNumber {
		out = append(out, InsufficientResource{Name: core.ResourcePods, Reason: "Too many pods", Requested: 1, Used: n, Capacity: alloc.AllowedPodNumber})
	}
	if req.MilliCPU == 0 && req.Memory == 0 && req.EphemeralStorage == 0 && len(req.ScalarResources) == 0 {
		return out
	}
	check := func(name core.ResourceName, want, have, capacity int64) {
		if want > 0 && want > capacity-have {
			out = append(out, InsufficientResource{Name: name, Reason: "Insufficient " + string(name), Requested: want, Used: have, Capacity: capacity})
		}
	}
	check(core.ResourceCPU, req.MilliCPU, used.MilliCPU, alloc.MilliCPU)
	check(core.ResourceMemory, req.Memory, used.Memory, alloc.Memory)
	check(core.ResourceEphemeralStorage, req.EphemeralStorage, used.EphemeralStorage, alloc.EphemeralStorage)
	for _, name := range sortedResourceNames(req.ScalarResources) {
		if pl.isIgnored(name) {
			continue
		}
		check(name, req.ScalarResources[name], used.ScalarResources[name], alloc.ScalarResources[name])
	}
	return out
}

func (pl *NodeResourcesFit) isIgnored(name core.ResourceName) bool {
	if pl.ignored[string(name)] {
		return true
	}
	if i := strings.IndexByte(string(name), '/'); i > 0 {
		for _, g := range pl.args.IgnoredResourceGroups {
			if string(name)[:i] == g {
				return true
			}
		}
	}
	return false
}

// podRequestState is the pod's requests computed once per cycle at
// PreScore instead of once per node at Score.
type podRequestState struct{ req *framework.Resource }

// Clone implements framework.StateData; the requests are not modified.
func (s *podRequestState) Clone() framework.StateData { return s }

const (
	fitPreScoreKey      framework.StateKey = "PreScore" + framework.NodeResourcesFitName
	balancedPreScoreKey framework.StateKey = "PreScore" + framework.NodeResourcesBalancedAllocationName
)

// podRequests returns the requests PreScore stored under key, or
// computes them (a Score called without PreScore).
func podRequests(state *framework.CycleState, key framework.StateKey, pod *core.Pod, nonZero bool) *framework.Resource {
	if state != nil {
		if s, err := framework.ReadAs[*podRequestState](state, key); err == nil {
			return s.req
		}
	}
	return framework.PodRequests(pod, nonZero)
}

// PreScore implements framework.PreScorePlugin: the pod's requests (with
// default requests for containers without any) are computed once.
func (pl *NodeResourcesFit) PreScore(_ context.Context, state *framework.CycleState, pod *core.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(fitPreScoreKey, &podRequestState{framework.PodRequests(pod, true)})
	return nil
}

// Score implements framework.ScorePlugin with the configured strategy.
func (pl *NodeResourcesFit) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *NodeResourcesFit) ScoreNodeInfo(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	return pl.scorer.scoreNode(podRequests(state, fitPreScoreKey, pod, true), ni, false), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (*NodeResourcesFit) ScoreExtensions() framework.ScoreExtensions { return nil }

// resourceScorer is the part LeastAllocated, MostAllocated,
// RequestedToCapacityRatio and BalancedAllocation share: gather requested
// and allocatable amounts per configured resource, then score them.
type resourceScorer struct {
	resources []ResourceSpec
	score     func(requested, allocatable []int64) int64
}

const scoreBufLen = 8

type scoreBuf struct{ req, alloc [scoreBufLen]int64 }

var scoreBufs = sync.Pool{New: func() any { return new(scoreBuf) }}

// scoreNode gathers amounts as Kubernetes does: with useRequested false
// (NodeResourcesFit), cpu and memory count default requests for
// containers without any; extended resources the pod does not request,
// or the node does not have, are left out.
func (r resourceScorer) scoreNode(podReq *framework.Resource, ni *framework.NodeInfo, useRequested bool) int64 {
	nodeReq := ni.NonZeroRequested
	if useRequested {
		nodeReq = ni.Requested
	}
	// The amounts go through a function value, so they would escape:
	// pooled buffers save two allocations per node.
	var requested, allocatable []int64
	if len(r.resources) <= scoreBufLen {
		b := scoreBufs.Get().(*scoreBuf)
		defer scoreBufs.Put(b)
		b.req, b.alloc = [scoreBufLen]int64{}, [scoreBufLen]int64{}
		requested, allocatable = b.req[:len(r.resources)], b.alloc[:len(r.resources)]
	} else {
		requested, allocatable = make([]int64, len(r.resources)), make([]int64, len(r.resources))
	}
	for i, res := range r.resources {
		want := podReq.Get(res.Name)
		if want == 0 && framework.IsScalarResourceName(res.Name) {
			continue
		}
		alloc := ni.Allocatable.Get(res.Name)
		if alloc == 0 {
			continue
		}
		allocatable[i] = alloc
		requested[i] = nodeReq.Get(res.Name) + want
	}
	return r.score(requested, allocatable)
}

func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}

func mostRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 {
		return 0
	}
	requested = min(requested, capacity)
	return requested * framework.MaxNodeScore / capacity
}

func weightedAverage(rs []ResourceSpec, f func(req, capacity int64) int64) func(requested, allocatable []int64) int64 {
	return func(requested, allocatable []int64) int64 {
		var score, weights int64
		for i := range requested {
			if allocatable[i] == 0 {
				continue
			}
			score += f(requested[i], allocatable[i]) * rs[i].Weight
			weights += rs[i].Weight
		}
		if weights == 0 {
			return 0
		}
		return score / weights
	}
}

// requestedToCapacityRatioScorer scores each resource's utilisation
// through the broken-linear shape (scores scaled from 0-10 to 0-100) and
// rounds the weighted average.
func requestedToCapacityRatioScorer(rs []ResourceSpec, shape []UtilizationShapePoint) func(requested, allocatable []int64) int64 {
	pts := make([]UtilizationShapePoint, len(shape))
	for i, p := range shape {
		pts[i] = UtilizationShapePoint{Utilization: p.Utilization, Score: int32(int64(p.Score) * framework.MaxNodeScore / maxCustomPriorityScore)}
	}
	raw := func(p int64) int64 {
		for i := range pts {
			if p <= int64(pts[i].Utilization) {
				if i == 0 {
					return int64(pts[0].Score)
				}
				a, b := pts[i-1], pts[i]
				return int64(a.Score) + (int64(b.Score)-int64(a.Score))*(p-int64(a.Utilization))/(int64(b.Utilization)-int64(a.Utilization))
			}
		}
		return int64(pts[len(pts)-1].Score)
	}
	one := func(requested, capacity int64) int64 {
		if capacity == 0 || requested > capacity {
			return raw(100)
		}
		return raw(requested * 100 / capacity)
	}
	return func(requested, allocatable []int64) int64 {
		var score, weights int64
		for i := range requested {
			if allocatable[i] == 0 {
				continue
			}
			score += one(requested[i], allocatable[i]) * rs[i].Weight
			weights += rs[i].Weight
		}
		if weights == 0 {
			return 0
		}
		return int64(math.Round(float64(score) / float64(weights)))
	}
}

// NodeResourcesBalancedAllocation favours nodes whose resource usage
// would be balanced across the configured resources (cpu and memory by
// default): the score is (1 - standard deviation of the usage fractions)
// * 100.
type NodeResourcesBalancedAllocation struct {
	h      framework.Handle
	scorer resourceScorer
}

var (
	_ framework.ScorePlugin    = (*NodeResourcesBalancedAllocation)(nil)
	_ framework.NodeInfoScorer = (*NodeResourcesBalancedAllocation)(nil)
)

// NewNodeResourcesBalancedAllocation is the factory; args are
// NodeResourcesBalancedAllocationArgs.
func NewNodeResourcesBalancedAllocation(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	a, err := framework.DecodeArgs(args, NodeResourcesBalancedAllocationArgs{Resources: defaultResources()})
	if err != nil {
		return nil, fmt.Errorf("NodeResourcesBalancedAllocation: %w", err)
	}
	if len(a.Resources) == 0 {
		a.Resources = defaultResources()
	}
	if err := errors.Join(validateResources("resources", a.Resources)...); err != nil {
		return nil, fmt.Errorf("NodeResourcesBalancedAllocation: %w", err)
	}
	return &NodeResourcesBalancedAllocation{h: h, scorer: resourceScorer{resources: a.Resources, score: balancedScore}}, nil
}

// Name implements framework.Plugin.
func (*NodeResourcesBalancedAllocation) Name() string {
	return framework.NodeResourcesBalancedAllocationName
}

// PreScore implements framework.PreScorePlugin: the pod's requests are
// computed once.
func (pl *NodeResourcesBalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *core.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(balancedPreScoreKey, &podRequestState{framework.PodRequests(pod, false)})
	return nil
}

// Score implements framework.ScorePlugin.
func (pl *NodeResourcesBalancedAllocation) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *NodeResourcesBalancedAllocation) ScoreNodeInfo(_ context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	return pl.scorer.scoreNode(podRequests(state, balancedPreScoreKey, pod, false), ni, true), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (*NodeResourcesBalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }

func balancedScore(requested, allocatable []int64) int64 {
	var fractions []float64
	var total float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := min(float64(requested[i])/float64(allocatable[i]), 1)
		total += f
		fractions = append(fractions, f)
	}
	var std float64
	switch n := len(fractions); {
	case n == 2:
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case n > 2:
		mean := total / float64(n)
		var v float64
		for _, f := range fractions {
			v += (f - mean) * (f - mean)
		}
		std = math.Sqrt(v / float64(n))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}
