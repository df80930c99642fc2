package framework_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/scheduler/framework"
)

// ZoneOnly is a custom Filter plugin: it only accepts nodes of one zone,
// given as its argument.
type ZoneOnly struct{ zone string }

type zoneOnlyArgs struct {
	Zone string `json:"zone"`
}

// Name implements framework.Plugin.
func (z *ZoneOnly) Name() string { return "ZoneOnly" }

// Filter implements framework.FilterPlugin.
func (z *ZoneOnly) Filter(_ context.Context, _ *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) *framework.Status {
	if ni.Node().Labels[core.LabelTopologyZone] != z.zone {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) are outside zone "+z.zone)
	}
	return nil
}

// FirstNode binds by printing, and sorts the queue by name.
type FirstNode struct{}

// Name implements framework.Plugin.
func (FirstNode) Name() string { return "FirstNode" }

// Less implements framework.QueueSortPlugin.
func (FirstNode) Less(a, b *framework.QueuedPodInfo) bool {
	return a.Pod.Name < b.Pod.Name
}

// Bind implements framework.BindPlugin.
func (FirstNode) Bind(_ context.Context, _ *framework.CycleState, pod *core.Pod, node string) *framework.Status {
	fmt.Printf("bind %s to %s\n", pod.Name, node)
	return nil
}

func Example() {
	ctx := context.Background()
	registry := framework.Registry{
		"ZoneOnly": func(_ context.Context, args any, _ framework.Handle) (framework.Plugin, error) {
			a, err := framework.DecodeArgs(args, zoneOnlyArgs{Zone: "z1"})
			if err != nil {
				return nil, err
			}
			return &ZoneOnly{zone: a.Zone}, nil
		},
		"FirstNode": func(context.Context, any, framework.Handle) (framework.Plugin, error) { return FirstNode{}, nil },
	}
	cfg, err := framework.ParseConfig([]byte(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: zoned
  plugins:
    multiPoint:
      disabled: [{name: "*"}]
      enabled: [{name: FirstNode}, {name: ZoneOnly}]
  pluginConfig:
  - name: ZoneOnly
    args: {zone: z2}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	node := func(name, zone string) *core.Node {
		return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelTopologyZone: zone}}}
	}
	snap := framework.NewSnapshot(nil, []*core.Node{node("a", "z1"), node("b", "z2")})
	fw, err := framework.New(ctx, registry, &cfg.Profiles[0], &framework.Options{Snapshot: snap})
	if err != nil {
		fmt.Println(err)
		return
	}
	pod := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"}}
	state := framework.NewCycleState()
	nodes, _ := snap.NodeInfos().List()
	for _, ni := range nodes {
		if st := fw.RunFilterPlugins(ctx, state, pod, ni); !st.IsSuccess() {
			fmt.Printf("%s: %s (%s)\n", ni.NodeName(), st.Message(), st.Plugin())
			continue
		}
		fw.RunBindPlugins(ctx, state, pod, ni.NodeName())
	}
	// Output:
	// a: node(s) are outside zone z2 (ZoneOnly)
	// bind web to b
}

func ExamplePodRequests() {
	pod := &core.Pod{Spec: core.PodSpec{
		InitContainers: []core.Container{{Name: "init", Resources: core.ResourceRequirements{Requests: core.ResourceList{"cpu": mustQ("2")}}}},
		Containers: []core.Container{
			{Name: "app", Resources: core.ResourceRequirements{Requests: core.ResourceList{"cpu": mustQ("500m"), "memory": mustQ("1Gi")}}},
			{Name: "log"},
		},
	}}
	r := framework.PodRequests(pod, false)
	nz := framework.PodRequests(pod, true)
	fmt.Println(r.MilliCPU, r.Memory)
	fmt.Println(nz.MilliCPU, nz.Memory)
	// Output:
	// 2000 1073741824
	// 2000 1283457024
}

func ExampleStatus() {
	st := framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory").WithPlugin("NodeResourcesFit")
	fmt.Println(st.Code(), st.IsRejected(), st.Plugin())
	fmt.Println(st.Message())
	var ok *framework.Status
	fmt.Println(ok.IsSuccess())
	// Output:
	// Unschedulable true NodeResourcesFit
	// Insufficient cpu, Insufficient memory
	// true
}

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }
