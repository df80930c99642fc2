package tiered_test

import (
	"context"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/examples/customscheduler/tiered"
	"github.com/longshore/longshore/scheduler/framework"
	"github.com/longshore/longshore/scheduler/plugins"
)

// profile enables TieredPlacement at Filter, PreScore and Score beside the
// two plugins every profile needs (a queue sort and a binder).
func profile(args framework.RawArgs) *framework.Profile {
	one := func(name string) framework.PluginSet {
		return framework.PluginSet{Enabled: []framework.PluginRef{{Name: name}}}
	}
	p := &framework.Profile{SchedulerName: "tiered-scheduler", Plugins: &framework.Plugins{
		QueueSort:  one(framework.PrioritySortName),
		Bind:       one(framework.DefaultBinderName),
		MultiPoint: one(tiered.Name),
	}}
	if args != nil {
		p.PluginConfig = []framework.PluginConfig{{Name: tiered.Name, Args: args}}
	}
	return p
}

func registry() framework.Registry {
	r := framework.Registry{
		framework.PrioritySortName:  plugins.NewPrioritySort,
		framework.DefaultBinderName: plugins.NewDefaultBinder,
	}
	_ = r.Merge(tiered.Registry())
	return r
}

// newFramework builds a framework over a snapshot of pods and nodes.
func newFramework(tb testing.TB, args framework.RawArgs, pods []*core.Pod, nodes []*core.Node) (*framework.Framework, *framework.Snapshot) {
	tb.Helper()
	snap := framework.NewSnapshot(pods, nodes)
	fw, err := framework.New(context.Background(), registry(), profile(args), &framework.Options{Snapshot: snap})
	if err != nil {
		tb.Fatalf("framework.New: %v", err)
	}
	return fw, snap
}

func node(name, tier string) *core.Node {
	n := &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelHostname: name}}}
	if tier != "" {
		n.Labels[tiered.DefaultTierKey] = tier
	}
	return n
}

func pod(namespace, name, tier, app, nodeName string) *core.Pod {
	p := &core.Pod{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: namespace, UID: namespace + "-" + name},
		Spec:       core.PodSpec{NodeName: nodeName, Containers: []core.Container{{Name: "c", Image: "img"}}},
	}
	if tier != "" {
		p.Annotations = map[string]string{tiered.DefaultTierKey: tier}
	}
	if app != "" {
		p.Labels = map[string]string{tiered.DefaultSpreadLabel: app}
	}
	return p
}
