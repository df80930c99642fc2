package main

import (
	"fmt"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

// workload is one scheduler_perf test case: nodes, pods scheduled first
// and waited for (init), pods created and not waited for (background),
// and the measured pods.
type workload struct {
	name  string
	nodes int
	zones int // nodes get topology.kubernetes.io/zone moon-1..zones when > 0

	initPods int
	initPod  func(i int) *core.Pod
	bgPods   int
	bgPod    func(i int) *core.Pod
	pods     int
	pod      func(i int) *core.Pod
	// churn creates and deletes pods and nodes while the measured pods
	// are scheduled.
	churn bool

	floor   float64 // kube-scheduler's published CI floor, pods/s (0: none)
	goal    float64 // Longshore's goal on the 2-core machine, pods/s
	e2eGoal float64 // the goal end to end, when it differs (0: goal)
	timeout time.Duration
}

// goalFor returns the goal of the workload in mode m.
func (w *workload) goalFor(m string) float64 {
	if m == "e2e" && w.e2eGoal > 0 {
		return w.e2eGoal
	}
	return w.goal
}

// scaled divides the counts by div (at least 1 of each that is set), for
// quick runs.
func (w workload) scaled(div int) workload {
	if div <= 1 {
		return w
	}
	f := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(n/div, 1)
	}
	w.nodes, w.initPods, w.bgPods, w.pods = f(w.nodes), f(w.initPods), f(w.bgPods), f(w.pods)
	return w
}

var (
	cpu4     = resource.MustParse("4")
	mem32    = resource.MustParse("32Gi")
	pods110  = resource.MustParse("110")
	zoneKeys = []string{"moon-1", "moon-2", "moon-3"}
)

// newNode is scheduler_perf's node-default.yaml: 4 CPU, 32 GiB, 110
// pods.
func newNode(name string, zones int, i int) *core.Node {
	labels := map[string]string{core.LabelHostname: name}
	if zones > 0 {
		labels[core.LabelTopologyZone] = zoneKeys[i%min(zones, len(zoneKeys))]
	}
	rl := core.ResourceList{core.ResourceCPU: cpu4, core.ResourceMemory: mem32, core.ResourcePods: pods110}
	return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: labels},
		Status: core.NodeStatus{Capacity: rl, Allocatable: rl, Phase: core.NodeRunning,
			Conditions: []core.NodeCondition{{Type: core.NodeReady, Status: core.ConditionTrue}}}}
}

// podOf is scheduler_perf's pod-default.yaml shape with the given
// requests.
func podOf(name, cpu, mem string) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10",
			Resources: core.ResourceRequirements{Requests: core.ResourceList{core.ResourceCPU: resource.MustParse(cpu), core.ResourceMemory: resource.MustParse(mem)}}}}}}
}

func defaultPod(prefix string) func(int) *core.Pod {
	return func(i int) *core.Pod { return podOf(fmt.Sprintf("%s-%05d", prefix, i), "100m", "500Mi") }
}

func spreadPod(prefix string, action core.UnsatisfiableConstraintAction, keys ...string) func(int) *core.Pod {
	return func(i int) *core.Pod {
		p := podOf(fmt.Sprintf("%s-%05d", prefix, i), "100m", "500Mi")
		p.Labels = map[string]string{"color": "blue"}
		for _, k := range keys {
			p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, core.TopologySpreadConstraint{
				MaxSkew: 5, TopologyKey: k, WhenUnsatisfiable: action,
				LabelSelector: &meta.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}})
		}
		return p
	}
}

func antiAffinityPod(prefix string) func(int) *core.Pod {
	return func(i int) *core.Pod {
		p := podOf(fmt.Sprintf("%s-%05d", prefix, i), "100m", "500Mi")
		p.Labels = map[string]string{"color": "green"}
		p.Spec.Affinity = &core.Affinity{PodAntiAffinity: &core.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []core.PodAffinityTerm{{
			LabelSelector: &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "color", Operator: meta.LabelSelectorOpIn, Values: []string{"green"}}}},
			TopologyKey:   core.LabelHostname}}}}
		return p
	}
}

// priorityClasses are the classes priorityPod refers to; the end-to-end
// mode creates them (the API server resolves the class to the priority),
// the in-memory mode uses the priority set on the pod.
var priorityClasses = map[string]int32{"low-priority": 0, "high-priority": 10}

func priorityPod(prefix, cpu, class string) func(int) *core.Pod {
	prio := priorityClasses[class]
	return func(i int) *core.Pod {
		p := podOf(fmt.Sprintf("%s-%05d", prefix, i), cpu, "500Mi")
		p.Spec.PriorityClassName = class
		p.Spec.Priority = &prio
		zero := int64(0)
		p.Spec.TerminationGracePeriodSeconds = &zero
		return p
	}
}

// workloads are scheduler_perf's (test/integration/scheduler_perf,
// config/performance-config.yaml) at their 5,000-node sizes.
func workloads() []workload {
	return []workload{
		{name: "SchedulingBasic", nodes: 5000, initPods: 1000, initPod: defaultPod("init"), pods: 10000, pod: defaultPod("m"),
			floor: 270, goal: 3000, e2eGoal: 1000, timeout: 5 * time.Minute},
		{name: "TopologySpreading", nodes: 5000, zones: 3, initPods: 1000, initPod: defaultPod("init"), pods: 5000,
			pod: spreadPod("m", core.DoNotSchedule, core.LabelTopologyZone, core.LabelHostname), floor: 85, goal: 1000, timeout: 5 * time.Minute},
		{name: "PreferredTopologySpreading", nodes: 5000, zones: 3, initPods: 1000, initPod: defaultPod("init"), pods: 5000,
			pod: spreadPod("m", core.ScheduleAnyway, core.LabelTopologyZone), floor: 125, goal: 1000, timeout: 5 * time.Minute},
		{name: "PodAntiAffinity", nodes: 5000, initPods: 1000, initPod: antiAffinityPod("init"), pods: 1000, pod: antiAffinityPod("m"),
			goal: 500, timeout: 5 * time.Minute},
		{name: "PreemptionBasic", nodes: 500, initPods: 2000, initPod: priorityPod("init", "900m", "low-priority"), pods: 500, pod: priorityPod("m", "3000m", "high-priority"),
			floor: 18, goal: 200, timeout: 5 * time.Minute},
		{name: "Unschedulable", nodes: 5000, bgPods: 200, bgPod: func(i int) *core.Pod { return podOf(fmt.Sprintf("bg-%05d", i), "9", "500Mi") },
			pods: 10000, pod: defaultPod("m"), floor: 140, goal: 1500, timeout: 5 * time.Minute},
		{name: "MixedChurn", nodes: 1000, initPods: 1000, initPod: defaultPod("init"), pods: 5000, pod: defaultPod("m"), churn: true,
			timeout: 5 * time.Minute},
	}
}
