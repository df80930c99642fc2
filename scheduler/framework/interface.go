package framework

import (
	"context"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// Score bounds: Score plugins return, after NormalizeScore, a value in
// [MinNodeScore, MaxNodeScore].
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
	// MaxTotalScore bounds the weighted sum of all plugins' scores.
	MaxTotalScore int64 = 1<<63 - 1
)

// Plugin is the base of every plugin: a unique name, used in
// configuration and in Status.Plugin.
type Plugin interface {
	Name() string
}

// PreEnqueuePlugin is called before a pod enters the active queue; a
// non-success status (usually Pending) keeps it in the unschedulable pool.
// It must be cheap: it runs for every pod add and update.
type PreEnqueuePlugin interface {
	Plugin
	PreEnqueue(ctx context.Context, pod *core.Pod) *Status
}

// QueuedPodInfo is a pod in the scheduling queue.
type QueuedPodInfo struct {
	*PodInfo
	// Timestamp is when the pod was last added to the queue.
	Timestamp time.Time
	// Attempts counts scheduling attempts.
	Attempts int
	// InitialAttemptTimestamp is the first attempt's time.
	InitialAttemptTimestamp time.Time
	// UnschedulablePlugins names the plugins that rejected the pod in its
	// last attempt.
	UnschedulablePlugins map[string]struct{}
}

// QueueSortPlugin orders the active queue. Exactly one is enabled per
// scheduler, and every profile must use the same one.
type QueueSortPlugin interface {
	Plugin
	// Less reports whether a should be scheduled before b.
	Less(a, b *QueuedPodInfo) bool
}

// PreFilterResult narrows the nodes worth filtering. A nil result, or one
// with nil NodeNames, means every node.
type PreFilterResult struct {
	NodeNames map[string]struct{}
}

// AllNodes reports whether r places no restriction.
func (r *PreFilterResult) AllNodes() bool { return r == nil || r.NodeNames == nil }

// Merge intersects two results.
func (r *PreFilterResult) Merge(o *PreFilterResult) *PreFilterResult {
	if r.AllNodes() {
		return o
	}
	if o.AllNodes() {
		return r
	}
	out := &PreFilterResult{NodeNames: map[string]struct{}{}}
	for n := range r.NodeNames {
		if _, ok := o.NodeNames[n]; ok {
			out.NodeNames[n] = struct{}{}
		}
	}
	return out
}

// PreFilterPlugin runs once per scheduling cycle before Filter; it
// precomputes data into the CycleState and may reject the pod outright.
// Returning Skip skips the plugin's Filter for this cycle.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *core.Pod) (*PreFilterResult, *Status)
	// PreFilterExtensions returns nil when the plugin's state does not
	// depend on other pods.
	PreFilterExtensions() PreFilterExtensions
}

// PreFilterExtensions update a plugin's PreFilter state when the framework
// evaluates "what if this pod were added to or removed from the node"
// (nominated pods, preemption).
type PreFilterExtensions interface {
	AddPod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToAdd *PodInfo, nodeInfo *NodeInfo) *Status
	RemovePod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToRemove *PodInfo, nodeInfo *NodeInfo) *Status
}

// FilterPlugin decides whether the pod may run on one node. It is called
// concurrently for many nodes and must not change nodeInfo.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *core.Pod, nodeInfo *NodeInfo) *Status
}

// NodeToStatusMap holds the Filter status of each rejected node.
type NodeToStatusMap map[string]*Status

// PostFilterResult is what a PostFilter plugin achieved: the node the pod
// is nominated to once preemption finishes.
type PostFilterResult struct {
	NominatedNodeName string
}

// PostFilterPlugin runs when no node passed Filter (preemption).
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *core.Pod, filteredNodeStatusMap NodeToStatusMap) (*PostFilterResult, *Status)
}

// PreScorePlugin runs once before Score with the nodes that passed Filter.
// Returning Skip skips the plugin's Score for this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *core.Pod, nodes []*NodeInfo) *Status
}

// NodeScore is a node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// NodeScoreList is one plugin's scores, in the order of the nodes.
type NodeScoreList []NodeScore

// ScorePlugin ranks the nodes that passed Filter. Score is called
// concurrently for many nodes.
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) (int64, *Status)
	// ScoreExtensions returns nil when scores need no normalisation.
	ScoreExtensions() ScoreExtensions
}

// NodeInfoScorer is implemented by Score plugins that can score a node
// from its NodeInfo: RunScorePlugins then calls ScoreNodeInfo with the
// NodeInfo it was given instead of Score, sparing a lookup of the node by
// name per node and plugin. ScoreNodeInfo must return what Score returns
// for the node of the same name in the snapshot.
type NodeInfoScorer interface {
	ScoreNodeInfo(ctx context.Context, state *CycleState, pod *core.Pod, nodeInfo *NodeInfo) (int64, *Status)
}

// ScoreExtensions rescales a plugin's scores into [MinNodeScore,
// MaxNodeScore] once all nodes are scored.
type ScoreExtensions interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *core.Pod, scores NodeScoreList) *Status
}

// ReservePlugin is told when a node is reserved for the pod (the pod is
// assumed in the cache) and, through Unreserve, when that reservation is
// undone because a later step failed. Unreserve must be idempotent and
// cannot fail.
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string)
}

// PermitPlugin approves, rejects or delays the binding of a pod. A Wait
// status with a timeout parks the pod as a WaitingPod until a plugin calls
// Allow or Reject, or the timeout passes (which rejects it).
type PermitPlugin interface {
	Plugin
	Permit(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) (*Status, time.Duration)
}

// WaitingPod is a pod held at Permit.
type WaitingPod interface {
	// Pod returns the pod.
	Pod() *core.Pod
	// PendingPlugins names the Permit plugins that have not allowed it yet.
	PendingPlugins() []string
	// Allow records the plugin's approval; the pod binds once every
	// waiting plugin allowed it.
	Allow(pluginName string)
	// Reject fails the pod's binding cycle with msg.
	Reject(pluginName, msg string)
}

// PreBindPlugin runs before Bind (for example to provision volumes).
type PreBindPlugin interface {
	Plugin
	PreBind(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status
}

// BindPlugin binds the pod to the node. Bind plugins run in order until
// one returns anything but Skip.
type BindPlugin interface {
	Plugin
	Bind(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status
}

// PostBindPlugin is told that a pod was bound; it cannot fail.
type PostBindPlugin interface {
	Plugin
	PostBind(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string)
}

// EventRecorder records Kubernetes Events about objects, the way
// client-go's events.EventRecorder does.
type EventRecorder interface {
	Eventf(regarding meta.Object, eventType, reason, action, note string, args ...any)
}

// PodWriter performs the pod writes plugins ask for; the scheduler wires it
// to the API server, tests to a fake.
type PodWriter interface {
	// DeletePod deletes (evicts) pod gracefully.
	DeletePod(ctx context.Context, pod *core.Pod) error
	// SetNominatedNodeName records status.nominatedNodeName; an empty name
	// clears it.
	SetNominatedNodeName(ctx context.Context, pod *core.Pod, nodeName string) error
}

// Handle is what the framework gives plugins at construction: read access
// to the cluster snapshot, the API client, and the ability to run other
// plugins (preemption simulates filters with pods removed).
type Handle interface {
	// SnapshotSharedLister returns the snapshot of the current cycle. Its
	// contents change between cycles: read it during a call, never keep
	// what it returns.
	SnapshotSharedLister() SharedLister
	// Client returns the API client, or nil when the framework runs
	// without one (simulations, tests).
	Client() *client.Client
	// EventRecorder returns the event recorder (never nil).
	EventRecorder() EventRecorder
	// PodWriter returns where pod deletions and nominations go (never nil).
	PodWriter() PodWriter
	// Parallelizer runs work over a bounded number of goroutines.
	Parallelizer() Parallelizer
	// RunPreFilterExtensionAddPod calls every PreFilter plugin's AddPod.
	RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToAdd *PodInfo, nodeInfo *NodeInfo) *Status
	// RunPreFilterExtensionRemovePod calls every PreFilter plugin's
	// RemovePod.
	RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToRemove *PodInfo, nodeInfo *NodeInfo) *Status
	// RunFilterPlugins runs every Filter plugin against nodeInfo and
	// returns the first non-success status.
	RunFilterPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeInfo *NodeInfo) *Status
	// IterateOverWaitingPods calls fn for every pod held at Permit.
	IterateOverWaitingPods(fn func(WaitingPod))
	// GetWaitingPod returns the waiting pod with that UID, or nil.
	GetWaitingPod(uid string) WaitingPod
}

// PluginFactory builds a plugin. args is the plugin's configuration: nil,
// a typed value, or raw JSON (RawArgs) from a configuration file; plugins
// turn it into their typed arguments with DecodeArgs.
type PluginFactory func(ctx context.Context, args any, h Handle) (Plugin, error)
