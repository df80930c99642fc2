package framework

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// MaxPermitTimeout caps the wait a Permit plugin may ask for.
const MaxPermitTimeout = 15 * time.Minute

// Options are a Framework's optional dependencies; the zero value works
// (no client, events and pod writes dropped, an empty snapshot).
type Options struct {
	// Client is handed to plugins (DefaultBinder needs it).
	Client *client.Client
	// EventRecorder receives events; nil drops them.
	EventRecorder EventRecorder
	// PodWriter performs deletions and nominations asked by plugins; nil
	// uses the Client when there is one and fails the writes otherwise.
	PodWriter PodWriter
	// Snapshot is the cluster view, refreshed in place by the scheduler
	// between cycles; nil is an empty snapshot.
	Snapshot SharedLister
	// Parallelism bounds the goroutines of Filter and Score.
	Parallelism int
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// ObservePlugin, if set, receives each plugin call's duration in the
	// cycles whose CycleState has RecordPluginMetrics set (the scheduler
	// samples a share of cycles, as kube-scheduler does). point is the
	// extension point ("Filter", "Score", ...), code the status code.
	ObservePlugin func(point, plugin string, code Code, d time.Duration)
}

// Framework is the plugins of one profile, instantiated and ordered per
// extension point, with the logic that runs each extension point the way
// kube-scheduler's framework runtime does. It implements Handle for its
// plugins. The scheduler runtime builds one per profile.
type Framework struct {
	profileName string
	opts        Options
	parallel    Parallelizer
	plugins     map[string]Plugin

	preEnqueue   []PreEnqueuePlugin
	queueSort    []QueueSortPlugin
	preFilter    []PreFilterPlugin
	filter       []FilterPlugin
	postFilter   []PostFilterPlugin
	preScore     []PreScorePlugin
	score        []ScorePlugin
	scoreWeights map[string]int64
	reserve      []ReservePlugin
	permit       []PermitPlugin
	preBind      []PreBindPlugin
	bind         []BindPlugin
	postBind     []PostBindPlugin

	waitingMu   sync.RWMutex
	waitingPods map[string]*waitingPod

	// epoch is the origin of the plugin-timing clock.
	epoch time.Time
}

var _ Handle = (*Framework)(nil)

// New instantiates the plugins a profile enables (each once, with its
// pluginConfig arguments) and orders them per extension point: plugins
// configured both at the point and in multiPoint first, in the point's
// order; then multiPoint plugins implementing the point; then the other
// plugins of the point. A plugin named at a point it does not implement,
// a missing factory, a bad argument, or a profile without a queue sort
// or bind plugin is an error.
func New(ctx context.Context, r Registry, profile *Profile, opts *Options) (*Framework, error) {
	fw := &Framework{profileName: profile.SchedulerName, plugins: map[string]Plugin{}, waitingPods: map[string]*waitingPod{}, scoreWeights: map[string]int64{}, epoch: time.Now()}
	if opts != nil {
		fw.opts = *opts
	}
	if fw.opts.Logger == nil {
		fw.opts.Logger = slog.New(slog.DiscardHandler)
	}
	if fw.opts.EventRecorder == nil {
		fw.opts.EventRecorder = discardRecorder{}
	}
	if fw.opts.PodWriter == nil {
		fw.opts.PodWriter = &ClientPodWriter{Client: fw.opts.Client}
	}
	if fw.opts.Snapshot == nil {
		fw.opts.Snapshot = NewSnapshot(nil, nil)
	}
	fw.parallel = NewParallelizer(fw.opts.Parallelism)
	plugins := profile.Plugins
	if plugins == nil {
		plugins = DefaultPlugins()
	}
	for _, set := range plugins.sets() {
		for _, e := range set.Enabled {
			if _, ok := fw.plugins[e.Name]; ok {
				continue
			}
			f, ok := r[e.Name]
			if !ok {
				return nil, fmt.Errorf("profile %q: %q: %w", fw.profileName, e.Name, ErrUnknownPlugin)
			}
			p, err := f(ctx, profile.Args(e.Name), fw)
			if err != nil {
				return nil, fmt.Errorf("profile %q: initialize plugin %q: %w", fw.profileName, e.Name, err)
			}
			fw.plugins[e.Name] = p
		}
	}
	var err error
	mp := plugins.MultiPoint
	build := func(set PluginSet, point string, implements func(Plugin) bool) []Plugin {
		if err != nil {
			return nil
		}
		var out []Plugin
		out, err = fw.order(set, mp, point, implements)
		return out
	}
	fw.preEnqueue = as[PreEnqueuePlugin](build(plugins.PreEnqueue, "preEnqueue", is[PreEnqueuePlugin]))
	fw.queueSort = as[QueueSortPlugin](build(plugins.QueueSort, "queueSort", is[QueueSortPlugin]))
	fw.preFilter = as[PreFilterPlugin](build(plugins.PreFilter, "preFilter", is[PreFilterPlugin]))
	fw.filter = as[FilterPlugin](build(plugins.Filter, "filter", is[FilterPlugin]))
	fw.postFilter = as[PostFilterPlugin](build(plugins.PostFilter, "postFilter", is[PostFilterPlugin]))
	fw.preScore = as[PreScorePlugin](build(plugins.PreScore, "preScore", is[PreScorePlugin]))
	fw.score = as[ScorePlugin](build(plugins.Score, "score", is[ScorePlugin]))
	fw.reserve = as[ReservePlugin](build(plugins.Reserve, "reserve", is[ReservePlugin]))
	fw.permit = as[PermitPlugin](build(plugins.Permit, "permit", is[PermitPlugin]))
	fw.preBind = as[PreBindPlugin](build(plugins.PreBind, "preBind", is[PreBindPlugin]))
	fw.bind = as[BindPlugin](build(plugins.Bind, "bind", is[BindPlugin]))
	fw.postBind = as[PostBindPlugin](build(plugins.PostBind, "postBind", is[PostBindPlugin]))
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", fw.profileName, err)
	}
	if len(fw.queueSort) != 1 {
		return nil, fmt.Errorf("profile %q: %w: exactly one queueSort plugin must be enabled, got %d", fw.profileName, ErrInvalidConfig, len(fw.queueSort))
	}
	if len(fw.bind) == 0 {
		return nil, fmt.Errorf("profile %q: %w: at least one bind plugin must be enabled", fw.profileName, ErrInvalidConfig)
	}
	for _, p := range fw.score {
		w := weightOf(plugins.Score, p.Name())
		if w == 0 {
			w = weightOf(mp, p.Name())
		}
		if w == 0 {
			w = 1
		}
		fw.scoreWeights[p.Name()] = int64(w)
	}
	return fw, nil
}

func weightOf(set PluginSet, name string) int32 {
	for _, e := range set.Enabled {
		if e.Name == name {
			return e.Weight
		}
	}
	return 0
}

func is[T any](p Plugin) bool { _, ok := p.(T); return ok }

func as[T any](ps []Plugin) []T {
	out := make([]T, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.(T))
	}
	return out
}

func (fw *Framework) order(set, mp PluginSet, point string, implements func(Plugin) bool) ([]Plugin, error) {
	disabled := map[string]bool{}
	for _, d := range set.Disabled {
		disabled[d.Name] = true
	}
	inMulti := map[string]bool{}
	for _, e := range mp.Enabled {
		inMulti[e.Name] = true
	}
	explicit := map[string]bool{}
	var overrides, others, multi []Plugin
	for _, e := range set.Enabled {
		p := fw.plugins[e.Name]
		if !implements(p) {
			return nil, fmt.Errorf("%w: plugin %q does not extend %s", ErrInvalidConfig, e.Name, point)
		}
		if explicit[e.Name] {
			return nil, fmt.Errorf("%w: plugin %q enabled twice at %s", ErrInvalidConfig, e.Name, point)
		}
		explicit[e.Name] = true
		if inMulti[e.Name] {
			overrides = append(overrides, p)
		} else {
			others = append(others, p)
		}
	}
	for _, e := range mp.Enabled {
		p := fw.plugins[e.Name]
		if explicit[e.Name] || disabled["*"] || disabled[e.Name] || !implements(p) {
			continue
		}
		multi = append(multi, p)
	}
	return slices.Concat(overrides, multi, others), nil
}

// ProfileName returns the profile's scheduler name.
func (fw *Framework) ProfileName() string { return fw.profileName }

// Plugin returns the instantiated plugin with that name, or nil.
func (fw *Framework) Plugin(name string) Plugin { return fw.plugins[name] }

// ListPlugins returns the plugin names enabled at each extension point, in
// order, keyed by the configuration's field names ("filter", "score", ...).
func (fw *Framework) ListPlugins() map[string][]string {
	return map[string][]string{
		"preEnqueue": names(fw.preEnqueue), "queueSort": names(fw.queueSort), "preFilter": names(fw.preFilter),
		"filter": names(fw.filter), "postFilter": names(fw.postFilter), "preScore": names(fw.preScore),
		"score": names(fw.score), "reserve": names(fw.reserve), "permit": names(fw.permit),
		"preBind": names(fw.preBind), "bind": names(fw.bind), "postBind": names(fw.postBind),
	}
}

func names[T Plugin](ps []T) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Name())
	}
	return out
}

// ScoreWeight returns the weight of a Score plugin (0 if not enabled).
func (fw *Framework) ScoreWeight(name string) int64 { return fw.scoreWeights[name] }

// Handle methods.

// SnapshotSharedLister implements Handle.
func (fw *Framework) SnapshotSharedLister() SharedLister { return fw.opts.Snapshot }

// Client implements Handle.
func (fw *Framework) Client() *client.Client { return fw.opts.Client }

// EventRecorder implements Handle.
func (fw *Framework) EventRecorder() EventRecorder { return fw.opts.EventRecorder }

// PodWriter implements Handle.
func (fw *Framework) PodWriter() PodWriter { return fw.opts.PodWriter }

// Parallelizer implements Handle.
func (fw *Framework) Parallelizer() Parallelizer { return fw.parallel }

// Logger returns the framework's logger.
func (fw *Framework) Logger() *slog.Logger { return fw.opts.Logger }

// observe reports a plugin call that started at start (a reading of
// clock), when the cycle is sampled.
func (fw *Framework) observe(state *CycleState, point, plugin string, st *Status, start time.Duration) {
	if state != nil && state.RecordPluginMetrics && fw.opts.ObservePlugin != nil {
		fw.opts.ObservePlugin(point, plugin, st.Code(), fw.elapsed()-start)
	}
}

// sampled reports whether plugin calls of this cycle are timed.
func (fw *Framework) sampled(state *CycleState) bool {
	return state != nil && state.RecordPluginMetrics && fw.opts.ObservePlugin != nil
}

// now returns the clock when the cycle is sampled, else 0.
func (fw *Framework) now(state *CycleState) time.Duration {
	if fw.sampled(state) {
		return fw.elapsed()
	}
	return 0
}

// elapsed reads the monotonic clock only (time.Now reads the wall clock
// too, and sampled cycles read the clock twice per plugin and node).
func (fw *Framework) elapsed() time.Duration { return time.Since(fw.epoch) }

// QueueSortFunc returns the Less function of the queue sort plugin.
func (fw *Framework) QueueSortFunc() func(a, b *QueuedPodInfo) bool { return fw.queueSort[0].Less }

// RunPreEnqueuePlugins returns the first non-success status.
func (fw *Framework) RunPreEnqueuePlugins(ctx context.Context, pod *core.Pod) *Status {
	for _, p := range fw.preEnqueue {
		if s := p.PreEnqueue(ctx, pod); !s.IsSuccess() {
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunPreFilterPlugins runs every PreFilter plugin and intersects their
// results. A plugin returning Skip has its Filter skipped this cycle. The
// first rejection or error is returned with the plugin's name.
func (fw *Framework) RunPreFilterPlugins(ctx context.Context, state *CycleState, pod *core.Pod) (*PreFilterResult, *Status) {
	var result *PreFilterResult
	var narrowedBy []string
	state.SkipFilterPlugins = map[string]struct{}{}
	state.filtersOf = nil
	for _, p := range fw.preFilter {
		t := fw.now(state)
		r, s := p.PreFilter(ctx, state, pod)
		fw.observe(state, "PreFilter", p.Name(), s, t)
		if s.IsSkip() {
			state.SkipFilterPlugins[p.Name()] = struct{}{}
			continue
		}
		if !s.IsSuccess() {
			if s.Code() == Error {
				return nil, AsStatus(fmt.Errorf("running PreFilter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
			}
			return nil, s.WithPlugin(p.Name())
		}
		if !r.AllNodes() {
			narrowedBy = append(narrowedBy, p.Name())
		}
		result = result.Merge(r)
		if !result.AllNodes() && len(result.NodeNames) == 0 {
			return nil, NewStatus(UnschedulableAndUnresolvable, fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", narrowedBy)).WithPlugin(narrowedBy[len(narrowedBy)-1])
		}
	}
	state.filters, state.filtersOf, state.skipped = fw.filter, fw, len(state.SkipFilterPlugins)
	if len(state.SkipFilterPlugins) > 0 {
		state.filters = make([]FilterPlugin, 0, len(fw.filter))
		for _, p := range fw.filter {
			if _, skip := state.SkipFilterPlugins[p.Name()]; !skip {
				state.filters = append(state.filters, p)
			}
		}
	}
	return result, nil
}

// RunPreFilterExtensionAddPod implements Handle.
func (fw *Framework) RunPreFilterExtensionAddPod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToAdd *PodInfo, nodeInfo *NodeInfo) *Status {
	for _, p := range fw.preFilter {
		if _, skip := state.SkipFilterPlugins[p.Name()]; skip {
			continue
		}
		if ext := p.PreFilterExtensions(); ext != nil {
			if s := ext.AddPod(ctx, state, podToSchedule, podInfoToAdd, nodeInfo); !s.IsSuccess() {
				return AsStatus(fmt.Errorf("running AddPod on PreFilter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
			}
		}
	}
	return nil
}

// RunPreFilterExtensionRemovePod implements Handle.
func (fw *Framework) RunPreFilterExtensionRemovePod(ctx context.Context, state *CycleState, podToSchedule *core.Pod, podInfoToRemove *PodInfo, nodeInfo *NodeInfo) *Status {
	for _, p := range fw.preFilter {
		if _, skip := state.SkipFilterPlugins[p.Name()]; skip {
			continue
		}
		if ext := p.PreFilterExtensions(); ext != nil {
			if s := ext.RemovePod(ctx, state, podToSchedule, podInfoToRemove, nodeInfo); !s.IsSuccess() {
				return AsStatus(fmt.Errorf("running RemovePod on PreFilter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
			}
		}
	}
	return nil
}

// filtersFor returns the Filter plugins not skipped in state, when
// PreFilter computed them (and SkipFilterPlugins kept its size since);
// ok is false otherwise.
func (fw *Framework) filtersFor(state *CycleState) (filters []FilterPlugin, ok bool) {
	if state.filtersOf == fw && state.skipped == len(state.SkipFilterPlugins) {
		return state.filters, true
	}
	return fw.filter, false
}

// RunFilterPlugins implements Handle: the first non-success status of
// the Filter plugins not skipped at PreFilter, with the plugin's name.
func (fw *Framework) RunFilterPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeInfo *NodeInfo) *Status {
	filters, checked := fw.filtersFor(state)
	for _, p := range filters {
		if !checked {
			if _, skip := state.SkipFilterPlugins[p.Name()]; skip {
				continue
			}
		}
		t := fw.now(state)
		s := p.Filter(ctx, state, pod, nodeInfo)
		fw.observe(state, "Filter", p.Name(), s, t)
		if !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running %q filter plugin: %w", p.Name(), s.AsError()))
			}
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunPostFilterPlugins runs PostFilter plugins until one succeeds or
// fails with an error; otherwise it returns Unschedulable with every
// plugin's reasons.
func (fw *Framework) RunPostFilterPlugins(ctx context.Context, state *CycleState, pod *core.Pod, m NodeToStatusMap) (*PostFilterResult, *Status) {
	var reasons []string
	var rejector string
	for _, p := range fw.postFilter {
		t := fw.now(state)
		r, s := p.PostFilter(ctx, state, pod, m)
		fw.observe(state, "PostFilter", p.Name(), s, t)
		if s.IsSuccess() {
			return r, nil
		}
		if s.Code() == Error {
			return nil, s.WithPlugin(p.Name())
		}
		if rejector == "" {
			rejector = p.Name()
		}
		reasons = append(reasons, s.Reasons()...)
	}
	return nil, NewStatus(Unschedulable, reasons...).WithPlugin(rejector)
}

// RunPreScorePlugins runs PreScore plugins; Skip marks the plugin's Score
// as skipped this cycle.
func (fw *Framework) RunPreScorePlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodes []*NodeInfo) *Status {
	state.SkipScorePlugins = map[string]struct{}{}
	for _, p := range fw.preScore {
		t := fw.now(state)
		s := p.PreScore(ctx, state, pod, nodes)
		fw.observe(state, "PreScore", p.Name(), s, t)
		if s.IsSkip() {
			state.SkipScorePlugins[p.Name()] = struct{}{}
			continue
		}
		if !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running PreScore plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		}
	}
	return nil
}

// PluginScore is one plugin's weighted score of a node.
type PluginScore struct {
	Name  string
	Score int64
}

// NodePluginScores is a node's scores from every plugin and their sum.
type NodePluginScores struct {
	Name       string
	Scores     []PluginScore
	TotalScore int64
}

var scoreSlabs = sync.Pool{New: func() any { return new([]NodeScore) }}

// RunScorePlugins scores nodes with every Score plugin not skipped, in
// parallel over nodes, normalises each plugin's scores, checks they lie
// in [MinNodeScore, MaxNodeScore], and multiplies them by the plugin's
// weight. The result is in the order of nodes.
func (fw *Framework) RunScorePlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodes []*NodeInfo) ([]NodePluginScores, *Status) {
	var out []NodePluginScores
	st := fw.runScorePlugins(ctx, state, pod, nodes, func(plugins []ScorePlugin, scores []NodeScoreList) {
		out = make([]NodePluginScores, len(nodes))
		all := make([]PluginScore, len(nodes)*len(plugins)) // one allocation, not one per node
		for n, ni := range nodes {
			out[n] = NodePluginScores{Name: ni.NodeName(), Scores: all[n*len(plugins) : (n+1)*len(plugins) : (n+1)*len(plugins)]}
			for i, p := range plugins {
				out[n].Scores[i] = PluginScore{Name: p.Name(), Score: scores[i][n].Score}
				out[n].TotalScore += scores[i][n].Score
			}
		}
	})
	if !st.IsSuccess() {
		return nil, st
	}
	return out, nil
}

// RunScorePluginsTotals is RunScorePlugins without the per-plugin
// scores: each node's total (its TotalScore), in the order of nodes,
// appended to buf[:0], which the caller may reuse from cycle to cycle.
func (fw *Framework) RunScorePluginsTotals(ctx context.Context, state *CycleState, pod *core.Pod, nodes []*NodeInfo, buf NodeScoreList) (NodeScoreList, *Status) {
	out := buf[:0]
	st := fw.runScorePlugins(ctx, state, pod, nodes, func(plugins []ScorePlugin, scores []NodeScoreList) {
		for n, ni := range nodes {
			var total int64
			for i := range plugins {
				total += scores[i][n].Score
			}
			out = append(out, NodeScore{Name: ni.NodeName(), Score: total})
		}
	})
	if !st.IsSuccess() {
		return buf[:0], st
	}
	return out, nil
}

// runScorePlugins runs Score and NormalizeScore and weighs the scores,
// then hands the weighted scores per plugin (in the order of nodes) to
// collect, which must not keep them.
func (fw *Framework) runScorePlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodes []*NodeInfo, collect func(plugins []ScorePlugin, scores []NodeScoreList)) *Status {
	var plugins []ScorePlugin
	for _, p := range fw.score {
		if _, skip := state.SkipScorePlugins[p.Name()]; !skip {
			plugins = append(plugins, p)
		}
	}
	// The per-plugin lists live only in this call: one pooled slab.
	slab := scoreSlabs.Get().(*[]NodeScore)
	defer scoreSlabs.Put(slab)
	if need := len(plugins) * len(nodes); cap(*slab) < need {
		*slab = make([]NodeScore, need)
	}
	scores := make([]NodeScoreList, len(plugins))
	for i := range scores {
		scores[i] = (*slab)[i*len(nodes) : (i+1)*len(nodes) : (i+1)*len(nodes)]
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var errMu sync.Mutex
	var firstErr *Status
	fail := func(s *Status) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = s
		}
		errMu.Unlock()
		cancel()
	}
	// Plugins that score a NodeInfo are spared the lookup by name.
	direct := make([]NodeInfoScorer, len(plugins))
	for i, p := range plugins {
		direct[i], _ = p.(NodeInfoScorer)
	}
	fw.parallel.Until(ctx, len(nodes), func(n int) {
		ni := nodes[n]
		name := ni.NodeName()
		for i, p := range plugins {
			t := fw.now(state)
			var v int64
			var s *Status
			if direct[i] != nil {
				v, s = direct[i].ScoreNodeInfo(ctx, state, pod, ni)
			} else {
				v, s = p.Score(ctx, state, pod, name)
			}
			fw.observe(state, "Score", p.Name(), s, t)
			if !s.IsSuccess() {
				fail(AsStatus(fmt.Errorf("running Score plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name()))
				return
			}
			scores[i][n] = NodeScore{Name: name, Score: v}
		}
	})
	if firstErr != nil {
		return firstErr
	}
	fw.parallel.Until(ctx, len(plugins), func(i int) {
		p := plugins[i]
		if ext := p.ScoreExtensions(); ext != nil {
			if s := ext.NormalizeScore(ctx, state, pod, scores[i]); !s.IsSuccess() {
				fail(AsStatus(fmt.Errorf("running NormalizeScore of %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name()))
				return
			}
		}
		w := fw.scoreWeights[p.Name()]
		for n := range scores[i] {
			v := scores[i][n].Score
			if v < MinNodeScore || v > MaxNodeScore {
				fail(AsStatus(fmt.Errorf("plugin %q returns an invalid score %d for node %q, it should be in [%d, %d] after normalizing", p.Name(), v, scores[i][n].Name, MinNodeScore, MaxNodeScore)).WithPlugin(p.Name()))
				return
			}
			scores[i][n].Score = v * w
		}
	})
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return AsStatus(err)
	}
	collect(plugins, scores)
	return nil
}

// RunReservePluginsReserve runs Reserve in order; on failure the caller
// runs RunReservePluginsUnreserve.
func (fw *Framework) RunReservePluginsReserve(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status {
	for _, p := range fw.reserve {
		t := fw.now(state)
		s := p.Reserve(ctx, state, pod, nodeName)
		fw.observe(state, "Reserve", p.Name(), s, t)
		if !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running Reserve plugin %q: %w", p.Name(), s.AsError()))
			}
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunReservePluginsUnreserve runs Unreserve in reverse order.
func (fw *Framework) RunReservePluginsUnreserve(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) {
	for i := len(fw.reserve) - 1; i >= 0; i-- {
		fw.reserve[i].Unreserve(ctx, state, pod, nodeName)
	}
}

// RunPermitPlugins runs Permit plugins. A rejection returns at once. When
// some plugins ask to wait, the pod becomes a WaitingPod (with each
// plugin's timeout, capped at MaxPermitTimeout) and Wait is returned; the
// binding cycle then calls WaitOnPermit.
func (fw *Framework) RunPermitPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status {
	timeouts := map[string]time.Duration{}
	for _, p := range fw.permit {
		t := fw.now(state)
		s, d := p.Permit(ctx, state, pod, nodeName)
		fw.observe(state, "Permit", p.Name(), s, t)
		switch {
		case s.IsSuccess():
		case s.IsWait():
			timeouts[p.Name()] = min(d, MaxPermitTimeout)
		case s.IsRejected():
			return s.WithPlugin(p.Name())
		default:
			return AsStatus(fmt.Errorf("running Permit plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		}
	}
	if len(timeouts) == 0 {
		return nil
	}
	wp := newWaitingPod(pod, timeouts)
	fw.waitingMu.Lock()
	fw.waitingPods[string(pod.UID)] = wp
	fw.waitingMu.Unlock()
	return NewStatus(Wait, fmt.Sprintf("one or more plugins asked to wait and no plugin rejected pod %q", pod.Name))
}

// WaitOnPermit blocks until the waiting pod is allowed (nil), rejected or
// timed out (Unschedulable), or ctx ends (Error). A pod that is not
// waiting returns nil at once.
func (fw *Framework) WaitOnPermit(ctx context.Context, pod *core.Pod) *Status {
	fw.waitingMu.RLock()
	wp := fw.waitingPods[string(pod.UID)]
	fw.waitingMu.RUnlock()
	if wp == nil {
		return nil
	}
	defer func() {
		fw.waitingMu.Lock()
		delete(fw.waitingPods, string(pod.UID))
		fw.waitingMu.Unlock()
	}()
	select {
	case s := <-wp.done:
		return s
	case <-ctx.Done():
		wp.stopTimers()
		return AsStatus(fmt.Errorf("waiting on permit for pod %q: %w", pod.Name, ctx.Err()))
	}
}

// IterateOverWaitingPods implements Handle.
func (fw *Framework) IterateOverWaitingPods(fn func(WaitingPod)) {
	fw.waitingMu.RLock()
	pods := make([]*waitingPod, 0, len(fw.waitingPods))
	for _, wp := range fw.waitingPods {
		pods = append(pods, wp)
	}
	fw.waitingMu.RUnlock()
	for _, wp := range pods {
		fn(wp)
	}
}

// GetWaitingPod implements Handle.
func (fw *Framework) GetWaitingPod(uid string) WaitingPod {
	fw.waitingMu.RLock()
	defer fw.waitingMu.RUnlock()
	if wp, ok := fw.waitingPods[uid]; ok {
		return wp
	}
	return nil
}

// RunPreBindPlugins runs PreBind until one fails.
func (fw *Framework) RunPreBindPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status {
	for _, p := range fw.preBind {
		t := fw.now(state)
		s := p.PreBind(ctx, state, pod, nodeName)
		fw.observe(state, "PreBind", p.Name(), s, t)
		if !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running PreBind plugin %q: %w", p.Name(), s.AsError()))
			}
			return s.WithPlugin(p.Name())
		}
	}
	return nil
}

// RunBindPlugins runs Bind plugins until one does not Skip; if all skip,
// it returns Skip.
func (fw *Framework) RunBindPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) *Status {
	for _, p := range fw.bind {
		t := fw.now(state)
		s := p.Bind(ctx, state, pod, nodeName)
		fw.observe(state, "Bind", p.Name(), s, t)
		if s.IsSkip() {
			continue
		}
		if !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running Bind plugin %q: %w", p.Name(), s.AsError()))
			}
			return s.WithPlugin(p.Name())
		}
		return nil
	}
	return NewStatus(Skip, "all bind plugins skipped")
}

// RunPostBindPlugins tells every PostBind plugin.
func (fw *Framework) RunPostBindPlugins(ctx context.Context, state *CycleState, pod *core.Pod, nodeName string) {
	for _, p := range fw.postBind {
		t := fw.now(state)
		p.PostBind(ctx, state, pod, nodeName)
		fw.observe(state, "PostBind", p.Name(), nil, t)
	}
}

// HasPostFilterPlugins reports whether any PostFilter plugin is enabled.
func (fw *Framework) HasPostFilterPlugins() bool { return len(fw.postFilter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (fw *Framework) HasScorePlugins() bool { return len(fw.score) > 0 }

type waitingPod struct {
	pod  *core.Pod
	mu   sync.Mutex
	pend map[string]*time.Timer
	done chan *Status
	sent bool
}

func newWaitingPod(pod *core.Pod, timeouts map[string]time.Duration) *waitingPod {
	wp := &waitingPod{pod: pod, pend: map[string]*time.Timer{}, done: make(chan *Status, 1)}
	wp.mu.Lock()
	defer wp.mu.Unlock()
	for name, d := range timeouts {
		wp.pend[name] = time.AfterFunc(d, func() {
			wp.Reject(name, fmt.Sprintf("rejected due to timeout after waiting %v at plugin %s", d, name))
		})
	}
	return wp
}

func (wp *waitingPod) Pod() *core.Pod { return wp.pod }

func (wp *waitingPod) PendingPlugins() []string {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	out := make([]string, 0, len(wp.pend))
	for n := range wp.pend {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (wp *waitingPod) Allow(pluginName string) {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	if t, ok := wp.pend[pluginName]; ok {
		t.Stop()
		delete(wp.pend, pluginName)
	}
	if len(wp.pend) == 0 && !wp.sent {
		wp.sent = true
		wp.done <- nil
	}
}

func (wp *waitingPod) Reject(pluginName, msg string) {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	for _, t := range wp.pend {
		t.Stop()
	}
	if !wp.sent {
		wp.sent = true
		wp.done <- NewStatus(Unschedulable, msg).WithPlugin(pluginName)
	}
}

func (wp *waitingPod) stopTimers() {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	for _, t := range wp.pend {
		t.Stop()
	}
}

type discardRecorder struct{}

func (discardRecorder) Eventf(meta.Object, string, string, string, string, ...any) {}
