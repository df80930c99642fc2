package scheduler

import (
	"context"
	"fmt"
	"slices"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// A scheduler built with a nil client (New(ctx, nil, opts), or NewLocal)
// watches nothing: the caller reports the cluster through the methods
// below, as informers would. Embedders with their own source of truth,
// simulators and the in-memory benchmarks (bench/schedulerperf) use it.

// LocalBinderName is the bind plugin NewLocal puts in place of
// DefaultBinder: it reports the bound pod back to the scheduler itself.
const LocalBinderName = "LocalBinder"

// NewLocal returns a client-less scheduler whose binding and preemption
// act on its own view: LocalBinder replaces DefaultBinder in every
// profile (a bound pod is reported back with UpdatePod, as the informer
// would), and, unless opts.PodWriter is set, evictions delete the victim
// at once (DeletePod) and nominations update the local copy. opts.Config
// is copied, not modified.
func NewLocal(ctx context.Context, opts *Options) (*Scheduler, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	cfg := framework.DefaultConfig()
	if o.Config != nil {
		c := *o.Config
		c.Profiles = slices.Clone(c.Profiles)
		cfg = &c
	}
	for i := range cfg.Profiles {
		p := cfg.Profiles[i].Plugins
		if p == nil {
			p = framework.DefaultPlugins()
		}
		cfg.Profiles[i].Plugins = framework.MergePlugins(p, &framework.Plugins{
			MultiPoint: framework.PluginSet{Disabled: []framework.PluginRef{{Name: framework.DefaultBinderName}}, Enabled: []framework.PluginRef{{Name: LocalBinderName}}},
			Bind:       framework.PluginSet{Disabled: []framework.PluginRef{{Name: framework.DefaultBinderName}}},
		})
	}
	o.Config = cfg
	var s *Scheduler
	reg := framework.Registry{LocalBinderName: func(context.Context, any, framework.Handle) (framework.Plugin, error) {
		return localBinder{func() *Scheduler { return s }}, nil
	}}
	if err := reg.Merge(o.Plugins); err != nil {
		return nil, err
	}
	o.Plugins = reg
	lw := &localWriter{}
	if o.PodWriter == nil {
		o.PodWriter = lw
	}
	s, err := New(ctx, nil, &o)
	if err != nil {
		return nil, err
	}
	lw.s = s
	return s, nil
}

// localBinder binds by reporting the bound pod to the scheduler.
type localBinder struct{ s func() *Scheduler }

func (localBinder) Name() string { return LocalBinderName }

func (b localBinder) Bind(_ context.Context, _ *framework.CycleState, pod *core.Pod, nodeName string) *framework.Status {
	s := b.s()
	old, ok := s.getPod(pod.Namespace, pod.Name)
	if !ok || old.UID != pod.UID {
		return framework.NewStatus(framework.Error, fmt.Sprintf("bind pod %s: pod is gone", podKey(pod)))
	}
	bound := *old
	bound.Spec.NodeName = nodeName
	bound.Status.NominatedNodeName = ""
	if err := s.UpdatePod(old, &bound); err != nil {
		return framework.AsStatus(err)
	}
	return nil
}

// localWriter is NewLocal's PodWriter.
type localWriter struct{ s *Scheduler }

func (w *localWriter) DeletePod(_ context.Context, pod *core.Pod) error {
	return w.s.DeletePod(pod)
}

func (w *localWriter) SetNominatedNodeName(_ context.Context, pod *core.Pod, nodeName string) error {
	old, ok := w.s.getPod(pod.Namespace, pod.Name)
	if !ok {
		return nil
	}
	cur := *old
	cur.Status.NominatedNodeName = nodeName
	return w.s.UpdatePod(old, &cur)
}

// AddNode reports a new node to a local scheduler.
func (s *Scheduler) AddNode(n *core.Node) error {
	if s.local == nil {
		return fmt.Errorf("add node %s: %w", n.Name, ErrLocal)
	}
	s.cache.AddNode(n)
	s.queue.MoveAllToActiveOrBackoff()
	return nil
}

// UpdateNode reports a changed node to a local scheduler.
func (s *Scheduler) UpdateNode(n *core.Node) error { return s.AddNode(n) }

// DeleteNode reports a deleted node to a local scheduler.
func (s *Scheduler) DeleteNode(n *core.Node) error {
	if s.local == nil {
		return fmt.Errorf("delete node %s: %w", n.Name, ErrLocal)
	}
	s.cache.RemoveNode(n)
	return nil
}

// AddPod reports a new pod (bound or not) to a local scheduler.
func (s *Scheduler) AddPod(p *core.Pod) error { return s.UpdatePod(nil, p) }

// UpdatePod reports a changed pod to a local scheduler; old is the
// previous copy (nil for a new pod). Binding a pod is reported as an
// update whose spec.nodeName is set.
func (s *Scheduler) UpdatePod(old, p *core.Pod) error {
	if s.local == nil {
		return fmt.Errorf("update pod %s: %w", podKey(p), ErrLocal)
	}
	s.localMu.Lock()
	s.local[podKey(p)] = p
	s.localMu.Unlock()
	s.onPod(old, p)
	return nil
}

// DeletePod reports a deleted pod to a local scheduler.
func (s *Scheduler) DeletePod(p *core.Pod) error {
	if s.local == nil {
		return fmt.Errorf("delete pod %s: %w", podKey(p), ErrLocal)
	}
	s.localMu.Lock()
	delete(s.local, podKey(p))
	s.localMu.Unlock()
	s.onPodDelete(p)
	return nil
}
