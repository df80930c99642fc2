package scheduler

import (
	"errors"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/scheduler/framework"
)

func cNode(name string) *core.Node {
	return &core.Node{ObjectMeta: meta.ObjectMeta{Name: name}, Status: core.NodeStatus{Allocatable: core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourcePods: resource.MustParse("10")}}}
}

func cPod(name, node, cpu string) *core.Pod {
	return &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: name}, Spec: core.PodSpec{NodeName: node,
		Containers: []core.Container{{Name: "c", Resources: core.ResourceRequirements{Requests: core.ResourceList{core.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

func requested(t testing.TB, snap *framework.Snapshot, node string) int64 {
	t.Helper()
	ni, err := snap.NodeInfos().Get(node)
	if err != nil {
		t.Fatal(err)
	}
	return ni.Requested.MilliCPU
}

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := NewCache()
	c.AddNode(cNode("n1"))
	c.AddNode(cNode("n2"))
	snap := framework.NewSnapshot(nil, nil)
	p := cPod("p", "n1", "1")
	if err := c.AssumePod(p); err != nil {
		t.Fatal(err)
	}
	if err := c.AssumePod(p); !errors.Is(err, ErrAssumed) {
		t.Errorf("second assume: %v", err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 1000 || !c.IsAssumed(p) {
		t.Fatal("assumed pod not in the snapshot")
	}
	// The informer reports it bound elsewhere: the cache follows.
	bound := cPod("p", "n2", "1")
	if err := c.AddPod(bound); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 0 || requested(t, snap, "n2") != 1000 || c.IsAssumed(bound) {
		t.Errorf("confirmation: n1 %d n2 %d", requested(t, snap, "n1"), requested(t, snap, "n2"))
	}
	if err := c.ForgetPod(bound); !errors.Is(err, ErrNotAssumed) {
		t.Errorf("forget of a bound pod: %v", err)
	}
	q := cPod("q", "n1", "2")
	c.AssumePod(q)
	if err := c.ForgetPod(q); err != nil {
		t.Fatal(err)
	}
	if err := c.RemovePod(bound); err != nil {
		t.Fatal(err)
	}
	c.UpdateSnapshot(snap)
	if requested(t, snap, "n1") != 0 || requested(t, snap, "n2") != 0 {
		t.Error("forget/remove left requests behind")
	}
}

func TestCacheSnapshotIncremental(t *testing.T) {
	c := NewCache()
	c.AddNode(cNode("n1"))
	c.AddNode(cNode("n2"))
	snap := framework.NewSnapshot(nil, nil)
	c.UpdateSnapshot(snap)
	n2, _ := snap.NodeInfos().Get("n2")
	c.AddPod(cPod("p", "n1", "1"))
	c.UpdateSnapshot(snap)
	if again, _ := snap.NodeInfos().Get("n2"); again != n2 {
		t.Error("unchanged node was cloned again")
	}
	if requested(t, snap, "n1") != 1000 {
		t.Error("changed node not refreshed")
	}
	// A snapshot clone is not affected by later cache changes.
	n1, _ := snap.NodeInfos().Get("n1")
	c.AddPod(cPod("q", "n1", "1"))
	if n1.Requested.MilliCPU != 1000 {
		t.Error("snapshot shares state with the cache")
	}
	c.RemoveNode(cNode("n2"))
	c.UpdateSnapshot(snap)
	if _, err := snap.NodeInfos().Get("n2"); err == nil || c.NodeCount() != 1 {
		t.Error("removed node still listed")
	}
	c.RemoveNode(cNode("n1")) // has pods: kept without its node
	c.UpdateSnapshot(snap)
	if l, _ := snap.NodeInfos().List(); len(l) != 0 {
		t.Errorf("nodes %v", l)
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		pct   int32
		nodes int
		want  int
	}{
		{0, 50, 50}, {0, 99, 99}, {0, 100, 100}, {0, 1000, 420}, {0, 5000, 500}, {0, 6000, 300},
		{0, 1000000, 50000}, {10, 500, 100}, {30, 5000, 1500}, {100, 5000, 5000},
	}
	for _, tt := range tests {
		if got := NumFeasibleNodesToFind(tt.pct, tt.nodes); got != tt.want {
			t.Errorf("NumFeasibleNodesToFind(%d, %d) = %d, want %d", tt.pct, tt.nodes, got, tt.want)
		}
	}
}
