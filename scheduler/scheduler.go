package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/leaderelection"
	"github.com/longshore/longshore/controller/record"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

// ErrNoNodes is the failure of a cycle when the cluster has no node.
var ErrNoNodes = errors.New("no nodes available to schedule pods")

// minFeasibleNodesToFind is the floor of the adaptive search: below it
// every node is evaluated.
const minFeasibleNodesToFind = 100

// Options tune a Scheduler; the zero value runs the default profile.
type Options struct {
	// Config is the configuration (profiles, percentage of nodes to
	// score, parallelism, back-off); nil is framework.DefaultConfig().
	// It must be defaulted and valid (ParseConfig and DefaultConfig
	// return such).
	Config *framework.Configuration
	// Plugins are out-of-tree plugin factories, merged with the in-tree
	// ones.
	Plugins framework.Registry
	// EventRecorder receives the Scheduled/FailedScheduling events; nil
	// writes Events through the client.
	EventRecorder framework.EventRecorder
	// PodWriter receives preemption's writes; nil writes through the
	// client.
	PodWriter framework.PodWriter
	// Logger receives the scheduler's logs; nil discards.
	Logger *slog.Logger
	// AssumedPodTTL is how long an assumed pod whose binding cycle
	// finished waits for its binding to show up before the cache forgets
	// it and frees its node's resources (default 30 s).
	AssumedPodTTL time.Duration
	// Metrics, if set, receives the scheduler's Prometheus collectors:
	// scheduler_schedule_attempts_total, scheduler_scheduling_attempt_duration_seconds,
	// scheduler_pod_scheduling_duration_seconds, scheduler_pending_pods
	// and scheduler_plugin_execution_duration_seconds.
	Metrics prometheus.Registerer
	// PluginMetricsSamplePercent is the share of scheduling cycles whose
	// plugin calls are timed (default 10, as kube-scheduler; negative
	// disables). Only used with Metrics.
	PluginMetricsSamplePercent int
	// LeaderElection, if set, makes Run campaign for a Lease and
	// schedule only while it leads, so several replicas can run. It
	// needs a client.
	LeaderElection *LeaderElection
}

// LeaderElection configures the election of the replica that schedules.
// The zero value works: the Lease kube-system/kube-scheduler, the host
// name plus a random suffix as identity, client-go's durations.
type LeaderElection struct {
	// Namespace and Name of the Lease (default kube-system, kube-scheduler).
	Namespace, Name string
	// Identity names this replica (default hostname_random).
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are those of
	// controller/leaderelection (defaults 15 s, 10 s, 2 s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// ErrLocal is returned by the feeding methods (AddNode, AddPod, ...) of a
// scheduler that watches the API server itself, and by New for options
// that need a client when there is none.
var ErrLocal = errors.New("scheduler: operation needs a local (client-less) scheduler, or a client")

// DefaultAssumedPodTTL is the default of Options.AssumedPodTTL.
const DefaultAssumedPodTTL = 30 * time.Second

// Scheduler watches unscheduled pods through the API server and binds
// them to nodes, one scheduling cycle at a time, with binding cycles
// running concurrently.
type Scheduler struct {
	c        *client.Client
	cfg      *framework.Configuration
	log      *slog.Logger
	profiles map[string]*framework.Framework
	queue    *Queue
	cache    *Cache
	snapshot *framework.Snapshot
	factory  *controller.Factory
	recorder *record.Recorder
	events   framework.EventRecorder

	pods         *controller.Informer[*core.Pod]
	nodes        *controller.Informer[*core.Node]
	pvcs         *controller.Informer[*core.PersistentVolumeClaim]
	pvs          *controller.Informer[*core.PersistentVolume]
	services     *controller.Informer[*core.Service]
	replicaSets  *controller.Informer[*apps.ReplicaSet]
	statefulSets *controller.Informer[*apps.StatefulSet]

	nominator *nominator

	nextStartNode atomic.Int64
	binding       sync.WaitGroup
	scheduled     atomic.Int64

	ttl           time.Duration
	metrics       *metrics
	samplePercent int
	elector       *leaderelection.Elector

	// local holds the pods of a client-less scheduler, fed by AddPod.
	localMu sync.RWMutex
	local   map[string]*core.Pod
}

// New builds a scheduler over the API client: one framework per profile,
// informers for pods, nodes, claims, volumes, services, replica sets and
// stateful sets. Run starts it.
func New(ctx context.Context, c *client.Client, opts *Options) (*Scheduler, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Scheduler{c: c, cfg: opts.Config, log: opts.Logger, profiles: map[string]*framework.Framework{}, cache: NewCache(), snapshot: framework.NewSnapshot(nil, nil), nominator: newNominator(),
		ttl: opts.AssumedPodTTL, samplePercent: opts.PluginMetricsSamplePercent}
	if s.ttl <= 0 {
		s.ttl = DefaultAssumedPodTTL
	}
	if s.samplePercent == 0 {
		s.samplePercent = 10
	}
	if s.cfg == nil {
		s.cfg = framework.DefaultConfig()
	}
	if err := s.cfg.Validate(); err != nil {
		return nil, err
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.events = opts.EventRecorder
	if s.events == nil && c != nil {
		s.recorder = record.New(c, &record.Options{Component: "default-scheduler", Logger: s.log})
		s.events = eventAdapter{s.recorder}
	}
	registry := plugins.NewInTreeRegistry()
	if err := registry.Merge(opts.Plugins); err != nil {
		return nil, err
	}
	parallelism := 0
	if s.cfg.Parallelism != nil {
		parallelism = int(*s.cfg.Parallelism)
	}
	// The queue sort function is only known once the profiles exist, and
	// the metrics need the queue: the queue reads less through this
	// indirection.
	var less func(a, b *framework.QueuedPodInfo) bool
	s.queue = NewQueue(func(a, b *framework.QueuedPodInfo) bool { return less(a, b) }, s.queueOptions())
	var err error
	if s.metrics, err = newMetrics(opts.Metrics, s.queue); err != nil {
		return nil, err
	}
	var observe func(point, plugin string, code framework.Code, d time.Duration)
	if opts.Metrics != nil && s.samplePercent > 0 {
		observe = s.metrics.observePlugin
	}
	for i := range s.cfg.Profiles {
		p := &s.cfg.Profiles[i]
		fw, err := framework.New(ctx, registry, p, &framework.Options{
			Client: c, EventRecorder: s.events, PodWriter: opts.PodWriter, Snapshot: s.snapshot, Parallelism: parallelism, Logger: s.log,
			ObservePlugin: observe,
		})
		if err != nil {
			return nil, err
		}
		s.profiles[p.SchedulerName] = fw
		if less == nil {
			less = fw.QueueSortFunc()
		}
	}
	if opts.LeaderElection != nil {
		if c == nil {
			return nil, fmt.Errorf("leader election: %w", ErrLocal)
		}
		if s.elector, err = newElector(c, opts.LeaderElection, s.log, s.lead); err != nil {
			return nil, err
		}
	}
	if c == nil {
		s.local = map[string]*core.Pod{}
		return s, nil
	}
	s.factory = controller.NewFactory(c, &controller.FactoryOptions{Logger: s.log})
	if s.pods, err = controller.InformerFor[*core.Pod](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.nodes, err = controller.InformerFor[*core.Node](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.pvcs, err = controller.InformerFor[*core.PersistentVolumeClaim](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.pvs, err = controller.InformerFor[*core.PersistentVolume](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.services, err = controller.InformerFor[*core.Service](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.replicaSets, err = controller.InformerFor[*apps.ReplicaSet](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if s.statefulSets, err = controller.InformerFor[*apps.StatefulSet](s.factory, controller.InformerOptions{}); err != nil {
		return nil, err
	}
	s.addHandlers()
	return s, nil
}

func (s *Scheduler) queueOptions() *QueueOptions {
	qo := &QueueOptions{}
	if v := s.cfg.PodInitialBackoffSeconds; v != nil {
		qo.InitialBackoff = time.Duration(*v) * time.Second
	}
	if v := s.cfg.PodMaxBackoffSeconds; v != nil {
		qo.MaxBackoff = time.Duration(*v) * time.Second
	}
	return qo
}

type eventAdapter struct{ r *record.Recorder }

func (e eventAdapter) Eventf(regarding meta.Object, eventType, reason, _, note string, args ...any) {
	e.r.Eventf(regarding, eventType, reason, note, args...)
}

// Framework returns the framework of a profile, or nil.
func (s *Scheduler) Framework(schedulerName string) *framework.Framework {
	return s.profiles[schedulerName]
}

// Queue returns the scheduling queue.
func (s *Scheduler) Queue() *Queue { return s.queue }

// Cache returns the node cache.
func (s *Scheduler) Cache() *Cache { return s.cache }

// Scheduled returns the number of pods bound so far.
func (s *Scheduler) Scheduled() int64 { return s.scheduled.Load() }

func (s *Scheduler) responsible(p *core.Pod) bool {
	name := p.Spec.SchedulerName
	if name == "" {
		name = framework.DefaultSchedulerName
	}
	_, ok := s.profiles[name]
	return ok
}

func (s *Scheduler) frameworkFor(p *core.Pod) *framework.Framework {
	name := p.Spec.SchedulerName
	if name == "" {
		name = framework.DefaultSchedulerName
	}
	return s.profiles[name]
}

func terminal(p *core.Pod) bool {
	return p.Status.Phase == core.PodSucceeded || p.Status.Phase == core.PodFailed
}

func (s *Scheduler) addHandlers() {
	s.pods.AddEventHandler(controller.HandlerFuncs[*core.Pod]{
		AddFunc: func(p *core.Pod) { s.onPod(nil, p) },
		UpdateFunc: func(old, p *core.Pod) {
			s.onPod(old, p)
		},
		DeleteFunc: func(p *core.Pod, _ bool) { s.onPodDelete(p) },
	})
	moveAll := func() { s.queue.MoveAllToActiveOrBackoff() }
	s.nodes.AddEventHandler(controller.HandlerFuncs[*core.Node]{
		AddFunc:    func(n *core.Node) { s.cache.AddNode(n); moveAll() },
		UpdateFunc: func(_, n *core.Node) { s.cache.UpdateNode(n); moveAll() },
		DeleteFunc: func(n *core.Node, _ bool) { s.cache.RemoveNode(n) },
	})
	s.pvcs.AddEventHandler(controller.HandlerFuncs[*core.PersistentVolumeClaim]{
		AddFunc:    func(*core.PersistentVolumeClaim) { moveAll() },
		UpdateFunc: func(_, _ *core.PersistentVolumeClaim) { moveAll() },
	})
	s.pvs.AddEventHandler(controller.HandlerFuncs[*core.PersistentVolume]{
		AddFunc:    func(*core.PersistentVolume) { moveAll() },
		UpdateFunc: func(_, _ *core.PersistentVolume) { moveAll() },
	})
}

func (s *Scheduler) onPodDelete(p *core.Pod) {
	if p.Spec.NodeName != "" {
		if err := s.cache.RemovePod(p); err != nil {
			s.log.Debug("cache remove pod", "pod", podKey(p), "err", err)
		}
		s.queue.MoveAllToActiveOrBackoff()
		return
	}
	s.queue.Delete(p)
	s.nominator.remove(p)
}

func (s *Scheduler) onPod(old, p *core.Pod) {
	if p.Spec.NodeName == "" && p.DeletionTimestamp == nil && p.Status.NominatedNodeName != "" {
		s.nominator.add(p, p.Status.NominatedNodeName)
	} else {
		s.nominator.remove(p)
	}
	switch {
	case p.Spec.NodeName != "" && !terminal(p):
		if old != nil && old.Spec.NodeName == "" {
			s.queue.Delete(p) // bound by us or by someone else
		}
		if err := s.cache.AddPod(p); err != nil {
			s.log.Debug("cache add pod", "pod", podKey(p), "err", err)
		}
	case p.Spec.NodeName != "":
		// Finished pods free their resources.
		if err := s.cache.RemovePod(p); err == nil {
			s.queue.MoveAllToActiveOrBackoff()
		}
	case p.DeletionTimestamp != nil || !s.responsible(p) || s.cache.IsAssumed(p):
	case old != nil && !schedulingRelevantChange(old, p):
		// Status-only updates (our own PodScheduled condition among them)
		// cannot make the pod fit: ignoring them avoids a retry loop.
	default:
		if st := s.frameworkFor(p).RunPreEnqueuePlugins(context.Background(), p); !st.IsSuccess() {
			s.log.Debug("pod not enqueued", "pod", podKey(p), "reason", st.Message())
			s.queue.Delete(p)
			return
		}
		var err error
		if old == nil {
			err = s.queue.Add(p)
		} else {
			err = s.queue.Update(p)
		}
		if err != nil {
			s.log.Warn("queue pod", "pod", podKey(p), "err", err)
		}
	}
}

func schedulingRelevantChange(old, p *core.Pod) bool {
	return !reflect.DeepEqual(old.Spec, p.Spec) || !maps.Equal(old.Labels, p.Labels) || !maps.Equal(old.Annotations, p.Annotations)
}

// Run starts the informers, waits for their caches, and schedules until
// ctx ends; it then waits for binding cycles in flight and returns nil.
//
// With Options.LeaderElection, the informers run on every replica (so a
// new leader starts warm) but pods are scheduled only while this replica
// holds the Lease; Run returns leaderelection.ErrLeadershipLost if the
// lease is lost.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.recorder != nil {
		go func() { _ = s.recorder.Start(ctx) }()
	}
	if s.factory != nil {
		s.factory.Start(ctx)
		if err := s.factory.WaitForCacheSync(ctx); err != nil {
			return fmt.Errorf("scheduler: wait for caches: %w", err)
		}
	}
	go s.queue.Run(ctx)
	go s.expireAssumed(ctx)
	defer s.binding.Wait()
	if s.elector == nil {
		s.scheduleLoop(ctx)
		return nil
	}
	return s.elector.Run(ctx)
}

func (s *Scheduler) scheduleLoop(ctx context.Context) {
	for {
		qpi, err := s.queue.Pop(ctx)
		if err != nil {
			return
		}
		s.ScheduleOne(ctx, qpi)
	}
}

// expireAssumed forgets, every second, the assumed pods whose binding
// never showed up within the TTL, and requeues those still unbound.
func (s *Scheduler) expireAssumed(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.CleanupAssumed(now)
		}
	}
}

// CleanupAssumed forgets the assumed pods whose binding finished more
// than the TTL before now without the binding showing up, freeing their
// nodes' resources; the pods still unbound are queued again. Run calls it
// every second; it returns the number of pods forgotten.
func (s *Scheduler) CleanupAssumed(now time.Time) int {
	expired := s.cache.CleanupExpired(now)
	for _, p := range expired {
		s.log.Warn("assumed pod expired: its binding never showed up", "pod", podKey(p), "node", p.Spec.NodeName)
		if cur, ok := s.getPod(p.Namespace, p.Name); ok && cur.UID == p.UID && cur.Spec.NodeName == "" && s.responsible(cur) {
			if err := s.queue.Add(cur); err != nil {
				s.log.Warn("requeue expired pod", "pod", podKey(p), "err", err)
			}
		}
	}
	if len(expired) > 0 {
		s.queue.MoveAllToActiveOrBackoff()
	}
	return len(expired)
}

// getPod returns the informer's (or the local store's) copy of a pod.
func (s *Scheduler) getPod(namespace, name string) (*core.Pod, bool) {
	if s.pods != nil {
		return s.pods.Get(namespace, name)
	}
	s.localMu.RLock()
	defer s.localMu.RUnlock()
	p, ok := s.local[namespace+"/"+name]
	return p, ok
}

// FitError is the failure of a cycle where no node fits.
type FitError struct {
	Pod         *core.Pod
	NumAllNodes int
	Statuses    framework.NodeToStatusMap
	// PreFilter is set when a PreFilter plugin rejected the pod for every
	// node.
	PreFilter *framework.Status
	// PostFilterMessage is why preemption did not help, if it ran.
	PostFilterMessage string
}

// Error returns Kubernetes' message: "0/3 nodes are available: 1
// Insufficient cpu, 2 node(s) had untolerated taint {k: v}."
func (e *FitError) Error() string {
	counts := map[string]int{}
	if e.PreFilter != nil {
		for _, r := range e.PreFilter.Reasons() {
			counts[r] += e.NumAllNodes
		}
	} else {
		for _, st := range e.Statuses {
			for _, r := range st.Reasons() {
				counts[r]++
			}
		}
	}
	parts := make([]string, 0, len(counts))
	for r, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(parts)
	msg := fmt.Sprintf("0/%d nodes are available: %s.", e.NumAllNodes, strings.Join(parts, ", "))
	if e.PostFilterMessage != "" {
		msg += " " + e.PostFilterMessage
	}
	return msg
}

func (s *Scheduler) refreshSnapshot() {
	s.cache.UpdateSnapshot(s.snapshot)
	if s.factory == nil {
		return
	}
	s.snapshot.SetVolumes(s.pvcs.List(labels.Everything()), s.pvs.List(labels.Everything()))
	s.snapshot.SetWorkloads(s.services.List(labels.Everything()), s.replicaSets.List(labels.Everything()), s.statefulSets.List(labels.Everything()))
}

// ScheduleOne runs one scheduling cycle for a popped pod and, if a node
// was found, starts its binding cycle in the background.
func (s *Scheduler) ScheduleOne(ctx context.Context, qpi *framework.QueuedPodInfo) {
	pod := qpi.Pod
	fw := s.frameworkFor(pod)
	cycle := s.queue.SchedulingCycle()
	if fw == nil || pod.DeletionTimestamp != nil || s.cache.IsAssumed(pod) {
		return
	}
	// A stale copy: the pod was deleted or bound since it was queued.
	if cur, ok := s.getPod(pod.Namespace, pod.Name); !ok || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		return
	}
	start := time.Now()
	s.refreshSnapshot()
	state := framework.NewCycleState()
	state.RecordPluginMetrics = s.samplePercent > 0 && rand.IntN(100) < s.samplePercent
	host, err := s.schedulePod(ctx, fw, state, pod)
	if err != nil {
		result := ResultError
		if _, ok := errors.AsType[*FitError](err); ok || errors.Is(err, ErrNoNodes) {
			result = ResultUnschedulable
		}
		s.metrics.attempt(result, fw.ProfileName(), start)
		var fitErr *FitError
		nominated := ""
		if errors.As(err, &fitErr) && fw.HasPostFilterPlugins() && fitErr.PreFilter == nil {
			res, st := fw.RunPostFilterPlugins(ctx, state, pod, fitErr.Statuses)
			if st.IsSuccess() && res != nil {
				nominated = res.NominatedNodeName
				s.nominator.add(pod, nominated)
			} else if st.Code() == framework.Error {
				s.log.Warn("post filter", "pod", podKey(pod), "err", st.AsError())
			} else {
				fitErr.PostFilterMessage = st.Message()
			}
		}
		s.fail(ctx, qpi, cycle, err, fitErr == nil && !errors.Is(err, ErrNoNodes), nominated)
		return
	}
	s.nominator.remove(pod)
	assumed := pod.DeepCopyObject().(*core.Pod)
	assumed.Spec.NodeName = host
	if err := s.cache.AssumePod(assumed); err != nil {
		s.metrics.attempt(ResultError, fw.ProfileName(), start)
		s.fail(ctx, qpi, cycle, err, true, "")
		return
	}
	if st := fw.RunReservePluginsReserve(ctx, state, assumed, host); !st.IsSuccess() {
		s.undo(ctx, fw, state, assumed, host)
		s.metrics.attempt(resultOf(st), fw.ProfileName(), start)
		s.fail(ctx, qpi, cycle, st.AsError(), st.Code() == framework.Error, "")
		return
	}
	if st := fw.RunPermitPlugins(ctx, state, assumed, host); !st.IsSuccess() && !st.IsWait() {
		s.undo(ctx, fw, state, assumed, host)
		s.metrics.attempt(resultOf(st), fw.ProfileName(), start)
		s.fail(ctx, qpi, cycle, st.AsError(), st.Code() == framework.Error, "")
		return
	}
	s.binding.Add(1)
	go func() {
		defer s.binding.Done()
		s.bindingCycle(ctx, fw, state, qpi, cycle, assumed, host, start)
	}()
}

// resultOf is the attempts metric's result for a failed status.
func resultOf(st *framework.Status) string {
	if st.Code() == framework.Error {
		return ResultError
	}
	return ResultUnschedulable
}

func (s *Scheduler) undo(ctx context.Context, fw *framework.Framework, state *framework.CycleState, assumed *core.Pod, host string) {
	fw.RunReservePluginsUnreserve(ctx, state, assumed, host)
	if err := s.cache.ForgetPod(assumed); err != nil {
		s.log.Debug("forget pod", "pod", podKey(assumed), "err", err)
	}
}

func (s *Scheduler) bindingCycle(ctx context.Context, fw *framework.Framework, state *framework.CycleState, qpi *framework.QueuedPodInfo, cycle int64, assumed *core.Pod, host string, start time.Time) {
	st := fw.WaitOnPermit(ctx, assumed)
	if st.IsSuccess() {
		st = fw.RunPreBindPlugins(ctx, state, assumed, host)
	}
	if st.IsSuccess() {
		st = fw.RunBindPlugins(ctx, state, assumed, host)
		if st.IsSkip() {
			st = framework.NewStatus(framework.Error, "no bind plugin bound the pod")
		}
	}
	if !st.IsSuccess() {
		s.undo(ctx, fw, state, assumed, host)
		s.queue.MoveAllToActiveOrBackoff() // the reserved room is free again
		s.metrics.attempt(resultOf(st), fw.ProfileName(), start)
		s.fail(ctx, qpi, cycle, st.AsError(), st.Code() == framework.Error, "")
		return
	}
	if err := s.cache.FinishBinding(assumed, time.Now().Add(s.ttl)); err != nil {
		// Already confirmed by the informer: nothing to expire.
		s.log.Debug("finish binding", "pod", podKey(assumed), "err", err)
	}
	s.metrics.attempt(ResultScheduled, fw.ProfileName(), start)
	s.metrics.bound(qpi)
	s.scheduled.Add(1)
	if s.events != nil {
		s.events.Eventf(assumed, "Normal", "Scheduled", "Binding", "Successfully assigned %s to %s", podKey(assumed), host)
	}
	fw.RunPostBindPlugins(ctx, state, assumed, host)
}

// fail records the failure on the pod (event and PodScheduled condition)
// and requeues it.
func (s *Scheduler) fail(ctx context.Context, qpi *framework.QueuedPodInfo, cycle int64, err error, errored bool, nominated string) {
	pod := qpi.Pod
	s.log.Debug("unable to schedule pod", "pod", podKey(pod), "err", err)
	if s.events != nil {
		s.events.Eventf(pod, "Warning", "FailedScheduling", "Scheduling", "%s", err.Error())
	}
	if ctx.Err() != nil {
		return
	}
	reason := "Unschedulable"
	if errored {
		reason = "SchedulerError"
	}
	if perr := s.setScheduledCondition(ctx, pod, reason, err.Error(), nominated); perr != nil {
		s.log.Debug("update pod condition", "pod", podKey(pod), "err", perr)
	}
	// Requeue the informer's latest copy, if the pod still waits.
	if cur, ok := s.getPod(pod.Namespace, pod.Name); ok && cur.UID == pod.UID && cur.Spec.NodeName == "" {
		if pi, err := framework.NewPodInfo(cur); err == nil {
			qpi.PodInfo = pi
		}
		s.queue.AddUnschedulable(qpi, cycle, errored)
	}
}

func (s *Scheduler) setScheduledCondition(ctx context.Context, pod *core.Pod, reason, msg, nominated string) error {
	// A local scheduler has no API object to update.
	if s.c == nil {
		return nil
	}
	conds := make([]core.PodCondition, 0, len(pod.Status.Conditions)+1)
	for _, c := range pod.Status.Conditions {
		if c.Type != core.PodScheduled {
			conds = append(conds, c)
		}
	}
	conds = append(conds, core.PodCondition{Type: core.PodScheduled, Status: core.ConditionFalse, Reason: reason, Message: msg, LastTransitionTime: meta.Now()})
	status := map[string]any{"conditions": conds}
	if nominated != "" {
		status["nominatedNodeName"] = nominated
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	pods, err := client.For[*core.Pod](s.c)
	if err != nil {
		return err
	}
	_, err = pods.Namespace(pod.Namespace).Patch(ctx, pod.Name, client.MergePatch, patch, client.WriteOptions{}, "status")
	return err
}

// NumFeasibleNodesToFind returns how many feasible nodes a cycle looks
// for before scoring, as Kubernetes computes it: every node below 100;
// otherwise percentage (or, when 0, the adaptive 50 - nodes/125 with a
// floor of 5) percent of them, at least 100.
func NumFeasibleNodesToFind(percentage int32, numAllNodes int) int {
	if numAllNodes < minFeasibleNodesToFind || percentage >= 100 {
		return numAllNodes
	}
	adaptive := percentage
	if adaptive <= 0 {
		adaptive = 50 - int32(numAllNodes/125)
		adaptive = max(adaptive, 5)
	}
	n := numAllNodes * int(adaptive) / 100
	return max(n, minFeasibleNodesToFind)
}

func (s *Scheduler) percentage(fw *framework.Framework) int32 {
	for i := range s.cfg.Profiles {
		if p := &s.cfg.Profiles[i]; p.SchedulerName == fw.ProfileName() && p.PercentageOfNodesToScore != nil {
			return *p.PercentageOfNodesToScore
		}
	}
	if s.cfg.PercentageOfNodesToScore != nil {
		return *s.cfg.PercentageOfNodesToScore
	}
	return 0
}

// schedulePod finds the node for pod: PreFilter, Filter over the nodes
// from a round-robin start until enough fit, PreScore, Score, and the
// best total (ties broken at random).
func (s *Scheduler) schedulePod(ctx context.Context, fw *framework.Framework, state *framework.CycleState, pod *core.Pod) (string, error) {
	all, err := s.snapshot.NodeInfos().List()
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", ErrNoNodes
	}
	res, st := fw.RunPreFilterPlugins(ctx, state, pod)
	if !st.IsSuccess() {
		if st.IsRejected() {
			return "", &FitError{Pod: pod, NumAllNodes: len(all), PreFilter: st}
		}
		return "", st.AsError()
	}
	nodes := all
	if !res.AllNodes() {
		nodes = nil
		for _, ni := range all {
			if _, ok := res.NodeNames[ni.NodeName()]; ok {
				nodes = append(nodes, ni)
			}
		}
	}
	feasible, statuses, err := s.findFeasible(ctx, fw, state, pod, nodes)
	if err != nil {
		return "", err
	}
	if len(feasible) == 0 {
		for _, ni := range all {
			if _, ok := statuses[ni.NodeName()]; !ok {
				statuses[ni.NodeName()] = framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) didn't satisfy plugin(s) at PreFilter")
			}
		}
		return "", &FitError{Pod: pod, NumAllNodes: len(all), Statuses: statuses}
	}
	if len(feasible) == 1 {
		return feasible[0].NodeName(), nil
	}
	if st := fw.RunPreScorePlugins(ctx, state, pod, feasible); !st.IsSuccess() {
		return "", st.AsError()
	}
	buf := totalsBufs.Get().(*framework.NodeScoreList)
	defer totalsBufs.Put(buf)
	scores, st := fw.RunScorePluginsTotals(ctx, state, pod, feasible, *buf)
	*buf = scores
	if !st.IsSuccess() {
		return "", st.AsError()
	}
	best, seen := 0, 1
	for i := 1; i < len(scores); i++ {
		switch {
		case scores[i].Score > scores[best].Score:
			best, seen = i, 1
		case scores[i].Score == scores[best].Score:
			seen++
			if rand.IntN(seen) == 0 {
				best = i
			}
		}
	}
	return scores[best].Name, nil
}

// totalsBufs hold the nodes' total scores of a cycle, reused by the
// next.
var totalsBufs = sync.Pool{New: func() any { return new(framework.NodeScoreList) }}

func (s *Scheduler) findFeasible(ctx context.Context, fw *framework.Framework, state *framework.CycleState, pod *core.Pod, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, framework.NodeToStatusMap, error) {
	statuses := framework.NodeToStatusMap{}
	if len(nodes) == 0 {
		return nil, statuses, nil
	}
	want := NumFeasibleNodesToFind(s.percentage(fw), len(nodes))
	start := int(s.nextStartNode.Load() % int64(len(nodes)))
	feasible := make([]*framework.NodeInfo, want)
	var found, processed atomic.Int64
	var mu sync.Mutex
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fw.Parallelizer().Until(ctx, len(nodes), func(i int) {
		ni := nodes[(start+i)%len(nodes)]
		st := s.filter(ctx, fw, state, pod, ni)
		processed.Add(1)
		if st.IsSuccess() {
			if n := found.Add(1); n <= int64(want) {
				feasible[n-1] = ni
				if n == int64(want) {
					cancel()
				}
			}
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if st.Code() == framework.Error {
			if firstErr == nil {
				firstErr = st.AsError()
			}
			cancel()
			return
		}
		statuses[ni.NodeName()] = st
	})
	if firstErr != nil {
		return nil, nil, firstErr
	}
	s.nextStartNode.Store(int64((start + int(processed.Load())) % len(nodes)))
	n := min(int(found.Load()), want)
	return feasible[:n], statuses, nil
}
