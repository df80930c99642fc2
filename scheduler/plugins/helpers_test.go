package plugins

import (
	"context"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/scheduler/framework"
)

func rl(kv ...string) core.ResourceList {
	out := core.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[core.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// podOpt and nodeOpt change a test object.
type (
	podOpt  func(*core.Pod)
	nodeOpt func(*core.Node)
)

func mkPod(name string, opts ...podOpt) *core.Pod {
	p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name + "-uid"}, Spec: core.PodSpec{Containers: []core.Container{{Name: "c"}}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(n string) podOpt { return func(p *core.Pod) { p.Spec.NodeName = n } }
func req(kv ...string) podOpt {
	return func(p *core.Pod) { p.Spec.Containers[0].Resources.Requests = rl(kv...) }
}
func podLabels(kv ...string) podOpt {
	return func(p *core.Pod) {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}
func priority(v int32) podOpt { return func(p *core.Pod) { p.Spec.Priority = &v } }

func mkNode(name string, opts ...nodeOpt) *core.Node {
	n := &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelHostname: name}},
		Status: core.NodeStatus{Allocatable: rl("cpu", "4", "memory", "8Gi", "pods", "110")}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func alloc(kv ...string) nodeOpt { return func(n *core.Node) { n.Status.Allocatable = rl(kv...) } }
func nodeLabels(kv ...string) nodeOpt {
	return func(n *core.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}
func taints(ts ...core.Taint) nodeOpt { return func(n *core.Node) { n.Spec.Taints = ts } }

// newFramework builds a framework of the in-tree plugins over a snapshot.
// With names it enables only those plugins (plus the queue sort and the
// binder the framework requires); without, the default profile.
func newFramework(t testing.TB, snap *framework.Snapshot, opts *framework.Options, args map[string]string, names ...string) *framework.Framework {
	t.Helper()
	profile := &framework.Profile{SchedulerName: "test"}
	if len(names) > 0 {
		enabled := []framework.PluginRef{{Name: framework.PrioritySortName}, {Name: framework.DefaultBinderName}}
		for _, n := range names {
			enabled = append(enabled, framework.PluginRef{Name: n})
		}
		profile.Plugins = &framework.Plugins{MultiPoint: framework.PluginSet{Enabled: enabled}}
	} else {
		profile.Plugins = framework.DefaultPlugins()
	}
	for name, a := range args {
		profile.PluginConfig = append(profile.PluginConfig, framework.PluginConfig{Name: name, Args: framework.RawArgs(a)})
	}
	if opts == nil {
		opts = &framework.Options{}
	}
	opts.Snapshot = snap
	fw, err := framework.New(context.Background(), NewInTreeRegistry(), profile, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

// filterResult runs PreFilter then Filter on every node and returns the
// status per node (nil for nodes that fit). A PreFilter rejection is
// returned for every node.
func filterResult(t testing.TB, fw *framework.Framework, snap *framework.Snapshot, pod *core.Pod) (map[string]*framework.Status, *framework.CycleState) {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	nodes, _ := snap.NodeInfos().List()
	out := map[string]*framework.Status{}
	res, st := fw.RunPreFilterPlugins(ctx, state, pod)
	for _, ni := range nodes {
		if !st.IsSuccess() {
			out[ni.NodeName()] = st
			continue
		}
		if !res.AllNodes() && !hasKey(res.NodeNames, ni.NodeName()) {
			out[ni.NodeName()] = framework.NewStatus(framework.UnschedulableAndUnresolvable, "excluded by PreFilter")
			continue
		}
		out[ni.NodeName()] = fw.RunFilterPlugins(ctx, state, pod, ni)
	}
	return out, state
}

// scoreNodes runs PreScore and Score on every node and returns the
// weighted total per node.
func scoreNodes(t testing.TB, fw *framework.Framework, snap *framework.Snapshot, pod *core.Pod) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	nodes, _ := snap.NodeInfos().List()
	if st := fw.RunPreScorePlugins(ctx, state, pod, nodes); !st.IsSuccess() {
		t.Fatalf("PreScore: %v", st)
	}
	scores, st := fw.RunScorePlugins(ctx, state, pod, nodes)
	if !st.IsSuccess() {
		t.Fatalf("Score: %v", st)
	}
	out := map[string]int64{}
	for _, s := range scores {
		out[s.Name] = s.TotalScore
	}
	return out
}

// fits lists the nodes whose status is success.
func fits(m map[string]*framework.Status) map[string]bool {
	out := map[string]bool{}
	for n, s := range m {
		if s.IsSuccess() {
			out[n] = true
		}
	}
	return out
}

func hasKey(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }
