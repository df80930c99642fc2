package plugins

import (
	"context"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestPrioritySort(t *testing.T) {
	now := time.Now()
	qp := func(prio int32, ts time.Time) *framework.QueuedPodInfo {
		return &framework.QueuedPodInfo{PodInfo: &framework.PodInfo{Pod: mkPod("p", priority(prio))}, Timestamp: ts}
	}
	tests := []struct {
		name string
		a, b *framework.QueuedPodInfo
		want bool
	}{
		{"higher priority first", qp(10, now), qp(1, now.Add(-time.Hour)), true},
		{"lower priority later", qp(1, now), qp(10, now), false},
		{"same priority earlier first", qp(5, now), qp(5, now.Add(time.Second)), true},
		{"same priority later second", qp(5, now.Add(time.Second)), qp(5, now), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (PrioritySort{}).Less(tt.a, tt.b); got != tt.want {
				t.Errorf("Less = %v", got)
			}
		})
	}
}

func TestSchedulingGates(t *testing.T) {
	gated := mkPod("g", func(p *core.Pod) { p.Spec.SchedulingGates = []core.PodSchedulingGate{{Name: "a"}, {Name: "b"}} })
	if st := (SchedulingGates{}).PreEnqueue(context.Background(), gated); st.Code() != framework.UnschedulableAndUnresolvable || st.Message() != "waiting for scheduling gates: [a b]" {
		t.Errorf("gated: %v", st)
	}
	if st := (SchedulingGates{}).PreEnqueue(context.Background(), mkPod("p")); !st.IsSuccess() {
		t.Errorf("ungated: %v", st)
	}
}

func TestNodeUnschedulableAndNodeName(t *testing.T) {
	cordoned := mkNode("cordoned", func(n *core.Node) { n.Spec.Unschedulable = true })
	snap := framework.NewSnapshot(nil, []*core.Node{mkNode("a"), mkNode("b"), cordoned})
	fw := newFramework(t, snap, nil, nil, framework.NodeUnschedulableName, framework.NodeNameName)
	tolerant := podOpt(func(p *core.Pod) {
		p.Spec.Tolerations = []core.Toleration{{Key: core.TaintNodeUnschedulable, Operator: core.TolerationOpExists, Effect: core.TaintEffectNoSchedule}}
	})
	tests := []struct {
		name   string
		pod    *core.Pod
		fit    []string
		reason map[string]string
	}{
		{"plain pod avoids cordoned node", mkPod("p"), []string{"a", "b"}, map[string]string{"cordoned": ReasonNodeUnschedulable}},
		{"tolerating pod may use it", mkPod("p", tolerant), []string{"a", "b", "cordoned"}, nil},
		{"nodeName pins the node", mkPod("p", onNode("b")), []string{"b"}, map[string]string{"a": ReasonNodeName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			f := fits(got)
			if len(f) != len(tt.fit) {
				t.Errorf("fits %v, want %v", f, tt.fit)
			}
			for _, n := range tt.fit {
				if !f[n] {
					t.Errorf("node %s does not fit: %v", n, got[n])
				}
			}
			for n, r := range tt.reason {
				if got[n].Message() != r {
					t.Errorf("node %s: %q, want %q", n, got[n].Message(), r)
				}
			}
		})
	}
}

func TestTaintToleration(t *testing.T) {
	snap := framework.NewSnapshot(nil, []*core.Node{
		mkNode("clean"),
		mkNode("gpu", taints(core.Taint{Key: "gpu", Value: "true", Effect: core.TaintEffectNoSchedule})),
		mkNode("evict", taints(core.Taint{Key: "maint", Value: "now", Effect: core.TaintEffectNoExecute})),
		mkNode("soft1", taints(core.Taint{Key: "soft", Value: "a", Effect: core.TaintEffectPreferNoSchedule})),
		mkNode("soft2", taints(core.Taint{Key: "soft", Value: "a", Effect: core.TaintEffectPreferNoSchedule}, core.Taint{Key: "other", Effect: core.TaintEffectPreferNoSchedule})),
	})
	fw := newFramework(t, snap, nil, nil, framework.TaintTolerationName)
	tol := func(ts ...core.Toleration) podOpt { return func(p *core.Pod) { p.Spec.Tolerations = ts } }
	tests := []struct {
		name    string
		pod     *core.Pod
		fit     int
		reasons map[string]string
		scores  map[string]int64
	}{
		{name: "no tolerations", pod: mkPod("p"), fit: 3,
			reasons: map[string]string{"gpu": "node(s) had untolerated taint {gpu: true}", "evict": "node(s) had untolerated taint {maint: now}"},
			// raw counts clean 0, soft1 1, soft2 2; normalised reversed.
			scores: map[string]int64{"clean": 100, "soft1": 50, "soft2": 0}},
		{name: "equal toleration", pod: mkPod("p", tol(core.Toleration{Key: "gpu", Operator: core.TolerationOpEqual, Value: "true", Effect: core.TaintEffectNoSchedule})), fit: 4},
		{name: "wrong value", pod: mkPod("p", tol(core.Toleration{Key: "gpu", Value: "false"})), fit: 3},
		{name: "exists any effect", pod: mkPod("p", tol(core.Toleration{Key: "maint", Operator: core.TolerationOpExists})), fit: 4},
		{name: "tolerate everything", pod: mkPod("p", tol(core.Toleration{Operator: core.TolerationOpExists})), fit: 5,
			scores: map[string]int64{"clean": 100, "soft1": 100, "soft2": 100}},
		{name: "prefer toleration", pod: mkPod("p", tol(core.Toleration{Key: "soft", Operator: core.TolerationOpExists, Effect: core.TaintEffectPreferNoSchedule})), fit: 3,
			scores: map[string]int64{"clean": 100, "soft1": 100, "soft2": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			if f := fits(got); len(f) != tt.fit {
				t.Errorf("%d nodes fit (%v), want %d", len(f), f, tt.fit)
			}
			for n, r := range tt.reasons {
				if got[n].Message() != r || got[n].Code() != framework.UnschedulableAndUnresolvable {
					t.Errorf("node %s: %v, want %q", n, got[n], r)
				}
			}
			if tt.scores != nil {
				s := scoreNodes(t, fw, snap, tt.pod)
				for n, want := range tt.scores {
					if s[n] != want {
						t.Errorf("score of %s = %d, want %d (all %v)", n, s[n], want, s)
					}
				}
			}
		})
	}
}

func TestNodePorts(t *testing.T) {
	hostPort := func(ip string, proto core.Protocol, port int32) podOpt {
		return func(p *core.Pod) {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, core.ContainerPort{HostIP: ip, Protocol: proto, HostPort: port, ContainerPort: port})
		}
	}
	existing := []*core.Pod{
		mkPod("web", onNode("a"), hostPort("", "", 80)),
		mkPod("dns", onNode("b"), hostPort("10.0.0.1", core.ProtocolUDP, 53)),
	}
	snap := framework.NewSnapshot(existing, []*core.Node{mkNode("a"), mkNode("b")})
	fw := newFramework(t, snap, nil, nil, framework.NodePortsName)
	tests := []struct {
		name string
		pod  *core.Pod
		fit  []string
	}{
		{"no host ports", mkPod("p"), []string{"a", "b"}},
		{"port 80 taken on a", mkPod("p", hostPort("", core.ProtocolTCP, 80)), []string{"b"}},
		{"udp 53 on another ip", mkPod("p", hostPort("10.0.0.2", core.ProtocolUDP, 53)), []string{"a", "b"}},
		{"udp 53 on all ips", mkPod("p", hostPort("0.0.0.0", core.ProtocolUDP, 53)), []string{"a"}},
		{"tcp 53", mkPod("p", hostPort("", core.ProtocolTCP, 53)), []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterResult(t, fw, snap, tt.pod)
			f := fits(got)
			if len(f) != len(tt.fit) {
				t.Errorf("fits %v, want %v", f, tt.fit)
			}
			for _, n := range tt.fit {
				if !f[n] {
					t.Errorf("%s: %v", n, got[n])
				}
			}
			for n, s := range got {
				if !s.IsSuccess() && (s.Message() != ReasonNodePorts || s.Plugin() != framework.NodePortsName) {
					t.Errorf("%s: %v from %s", n, s, s.Plugin())
				}
			}
		})
	}
}
