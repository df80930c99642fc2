package plugins

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// DefaultPreemptionArgs configure DefaultPreemption: how many candidate
// nodes to evaluate, as a share of the nodes with a floor.
type DefaultPreemptionArgs struct {
	MinCandidateNodesPercentage int32 `json:"minCandidateNodesPercentage,omitempty"`
	MinCandidateNodesAbsolute   int32 `json:"minCandidateNodesAbsolute,omitempty"`
}

// DefaultPreemption is the PostFilter that makes room for a pod that fits
// nowhere by evicting lower-priority pods. For each node where preemption
// may help, it removes every lower-priority pod, checks the pod then fits,
// and adds back as many of them as possible, most important first; the
// rest are the node's victims. The chosen node has (in order) the lowest
// highest victim priority, the lowest sum of victim priorities, the
// fewest victims, and the latest start among its most important victims.
// Victims are deleted gracefully through the Handle's PodWriter (waiting
// pods are rejected instead), and the pod is nominated to the node.
// PodDisruptionBudgets are not considered.
type DefaultPreemption struct {
	h    framework.Handle
	args DefaultPreemptionArgs
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

// NewDefaultPreemption is DefaultPreemption's factory; args are
// DefaultPreemptionArgs (defaults 10 % and 100).
func NewDefaultPreemption(_ context.Context, args any, h framework.Handle) (framework.Plugin, error) {
	a, err := framework.DecodeArgs(args, DefaultPreemptionArgs{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: 100})
	if err != nil {
		return nil, fmt.Errorf("DefaultPreemption: %w", err)
	}
	if a.MinCandidateNodesPercentage < 0 || a.MinCandidateNodesPercentage > 100 {
		return nil, fmt.Errorf("DefaultPreemption: %w: minCandidateNodesPercentage: must be in [0, 100], got %d", framework.ErrInvalidArgs, a.MinCandidateNodesPercentage)
	}
	if a.MinCandidateNodesAbsolute < 0 {
		return nil, fmt.Errorf("DefaultPreemption: %w: minCandidateNodesAbsolute: must not be negative, got %d", framework.ErrInvalidArgs, a.MinCandidateNodesAbsolute)
	}
	if a.MinCandidateNodesPercentage == 0 && a.MinCandidateNodesAbsolute == 0 {
		return nil, fmt.Errorf("DefaultPreemption: %w: minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero", framework.ErrInvalidArgs)
	}
	return &DefaultPreemption{h: h, args: a}, nil
}

// Name implements framework.Plugin.
func (*DefaultPreemption) Name() string { return framework.DefaultPreemptionName }

// Candidate is a node and the pods to evict there.
type Candidate struct {
	Node    string
	Victims []*core.Pod
}

// PostFilter implements framework.PostFilterPlugin.
func (pl *DefaultPreemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *core.Pod, m framework.NodeToStatusMap) (*framework.PostFilterResult, *framework.Status) {
	if msg, ok := pl.eligible(pod); !ok {
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+msg)
	}
	cands, total, st := pl.FindCandidates(ctx, state, pod, m)
	if !st.IsSuccess() {
		return nil, st
	}
	if len(cands) == 0 {
		return nil, framework.NewStatus(framework.Unschedulable, fmt.Sprintf("preemption: 0/%d nodes are available: %d No preemption victims found for incoming pod.", total, total))
	}
	best := SelectCandidate(cands)
	if err := pl.prepare(ctx, best, pod); err != nil {
		return nil, framework.AsStatus(err)
	}
	return &framework.PostFilterResult{NominatedNodeName: best.Node}, nil
}

// eligible rejects pods that may not preempt: preemptionPolicy Never, or
// a pod already nominated to a node where a lower-priority pod is still
// terminating (the room is being made).
func (pl *DefaultPreemption) eligible(pod *core.Pod) (string, bool) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == core.PreemptNever {
		return "not eligible due to preemptionPolicy=Never.", false
	}
	if n := pod.Status.NominatedNodeName; n != "" {
		if ni, err := pl.h.SnapshotSharedLister().NodeInfos().Get(n); err == nil {
			for _, p := range ni.Pods {
				if p.Pod.DeletionTimestamp != nil && podPriority(p.Pod) < podPriority(pod) {
					return "not eligible due to a terminating pod on the nominated node.", false
				}
			}
		}
	}
	return "", true
}

// FindCandidates dry-runs preemption on the nodes where it may help
// (those not rejected as UnschedulableAndUnresolvable), starting at a
// random offset and stopping after enough candidates. It returns the
// candidates and the number of nodes.
func (pl *DefaultPreemption) FindCandidates(ctx context.Context, state *framework.CycleState, pod *core.Pod, m framework.NodeToStatusMap) ([]Candidate, int, *framework.Status) {
	all, err := pl.h.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return nil, 0, framework.AsStatus(err)
	}
	var potential []*framework.NodeInfo
	for _, ni := range all {
		if m[ni.NodeName()].Code() != framework.UnschedulableAndUnresolvable {
			potential = append(potential, ni)
		}
	}
	if len(potential) == 0 {
		return nil, len(all), nil
	}
	want := max(int(int64(len(potential))*int64(pl.args.MinCandidateNodesPercentage)/100), int(pl.args.MinCandidateNodesAbsolute))
	want = min(max(want, 1), len(potential))
	offset := rand.IntN(len(potential))
	var mu sync.Mutex
	var cands []Candidate
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pl.h.Parallelizer().Until(ctx, len(potential), func(i int) {
		ni := potential[(offset+i)%len(potential)]
		victims, ok, err := pl.SelectVictimsOnNode(ctx, state.Clone(), pod, ni.Clone())
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			cancel()
			return
		}
		if ok && len(victims) > 0 && len(cands) < want {
			cands = append(cands, Candidate{Node: ni.NodeName(), Victims: victims})
			if len(cands) >= want {
				cancel()
			}
		}
	})
	if firstErr != nil {
		return nil, len(all), framework.AsStatus(firstErr)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Node < cands[j].Node })
	return cands, len(all), nil
}

// moreImportant orders pods by priority, then earlier start.
func moreImportant(a, b *core.Pod) bool {
	pa, pb := podPriority(a), podPriority(b)
	if pa != pb {
		return pa > pb
	}
	return startTime(a).Before(startTime(b))
}

func startTime(p *core.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return p.CreationTimestamp.Time
}

// SelectVictimsOnNode returns the fewest, least important pods of ni
// whose removal lets pod pass the Filter plugins; ok is false when even
// removing every lower-priority pod does not help. state and ni are
// modified: pass clones.
func (pl *DefaultPreemption) SelectVictimsOnNode(ctx context.Context, state *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) (victims []*core.Pod, ok bool, err error) {
	var lower []*framework.PodInfo
	prio := podPriority(pod)
	for _, p := range ni.Pods {
		if podPriority(p.Pod) < prio {
			lower = append(lower, p)
		}
	}
	if len(lower) == 0 {
		return nil, false, nil
	}
	remove := func(p *framework.PodInfo) error {
		if err := ni.RemovePod(p.Pod); err != nil {
			return err
		}
		return pl.h.RunPreFilterExtensionRemovePod(ctx, state, pod, p, ni).AsError()
	}
	add := func(p *framework.PodInfo) error {
		ni.AddPodInfo(p)
		return pl.h.RunPreFilterExtensionAddPod(ctx, state, pod, p, ni).AsError()
	}
	for _, p := range lower {
		if err := remove(p); err != nil {
			return nil, false, err
		}
	}
	if st := pl.h.RunFilterPlugins(ctx, state, pod, ni); !st.IsSuccess() {
		if st.Code() == framework.Error {
			return nil, false, st.AsError()
		}
		return nil, false, nil
	}
	slices.SortStableFunc(lower, func(a, b *framework.PodInfo) int {
		switch {
		case moreImportant(a.Pod, b.Pod):
			return -1
		case moreImportant(b.Pod, a.Pod):
			return 1
		}
		return 0
	})
	for _, p := range lower {
		if err := add(p); err != nil {
			return nil, false, err
		}
		st := pl.h.RunFilterPlugins(ctx, state, pod, ni)
		if st.IsSuccess() {
			continue // reprieved
		}
		if st.Code() == framework.Error {
			return nil, false, st.AsError()
		}
		if err := remove(p); err != nil {
			return nil, false, err
		}
		victims = append(victims, p.Pod)
	}
	return victims, true, nil
}

// SelectCandidate picks the candidate Kubernetes would: lowest highest
// victim priority, then lowest sum of priorities, then fewest victims,
// then the latest earliest start among the highest-priority victims, then
// the first. Victims are ordered most important first.
func SelectCandidate(cands []Candidate) Candidate {
	type key struct {
		highest int32
		sum     int64
		n       int
		start   time.Time
	}
	keyOf := func(c Candidate) key {
		k := key{highest: math.MinInt32, n: len(c.Victims)}
		for _, v := range c.Victims {
			p := podPriority(v)
			k.highest = max(k.highest, p)
			k.sum += int64(p) + math.MaxInt32 + 1
		}
		first := true
		for _, v := range c.Victims {
			if podPriority(v) != k.highest {
				continue
			}
			if t := startTime(v); first || t.Before(k.start) {
				k.start, first = t, false
			}
		}
		return k
	}
	best, bk := cands[0], keyOf(cands[0])
	for _, c := range cands[1:] {
		k := keyOf(c)
		better := false
		switch {
		case k.highest != bk.highest:
			better = k.highest < bk.highest
		case k.sum != bk.sum:
			better = k.sum < bk.sum
		case k.n != bk.n:
			better = k.n < bk.n
		case !k.start.Equal(bk.start):
			better = k.start.After(bk.start)
		}
		if better {
			best, bk = c, k
		}
	}
	return best
}

// prepare evicts the victims and nominates the pod.
func (pl *DefaultPreemption) prepare(ctx context.Context, c Candidate, pod *core.Pod) error {
	w := pl.h.PodWriter()
	var errs []error
	for _, v := range c.Victims {
		if wp := pl.h.GetWaitingPod(string(v.UID)); wp != nil && v.UID != "" {
			wp.Reject(pl.Name(), "preempted")
			continue
		}
		if err := w.DeletePod(ctx, v); err != nil {
			errs = append(errs, fmt.Errorf("preempt %s: %w", framework.PodKey(v), err))
			continue
		}
		pl.h.EventRecorder().Eventf(v, "Normal", "Preempted", "Preempting", "Preempted by pod %s on node %s", pod.UID, c.Node)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return w.SetNominatedNodeName(ctx, pod, c.Node)
}
