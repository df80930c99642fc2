package framework

import (
	"testing"

	"github.com/longshore/longshore/api/core"
)

func TestSnapshotUpdateNodeInfos(t *testing.T) {
	nodes := []string{"a", "b"}
	tests := []struct {
		name    string
		node    string
		known   bool
		wantOK  bool
		wantCPU int64
	}{
		{name: "known node", node: "b", known: true, wantOK: true, wantCPU: 250},
		{name: "unknown node", node: "z", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := NewSnapshot(nil, []*core.Node{testNode(nodes[0], rl("cpu", "1")), testNode(nodes[1], rl("cpu", "1"))})
			before, _ := snap.NodeInfos().List()
			ni := NewNodeInfo(testPod("p", tt.node, container(rl("cpu", "250m"))))
			ni.SetNode(testNode(tt.node, rl("cpu", "1")))
			if ok := snap.UpdateNodeInfos(map[string]*NodeInfo{tt.node: ni}); ok != tt.wantOK {
				t.Fatalf("UpdateNodeInfos = %v, want %v", ok, tt.wantOK)
			}
			got, err := snap.NodeInfos().Get(tt.node)
			if !tt.wantOK {
				if err == nil {
					t.Error("unknown node became visible")
				}
				return
			}
			if err != nil || got != ni || got.Requested.MilliCPU != tt.wantCPU {
				t.Fatalf("Get = %v, %v", got, err)
			}
			after, _ := snap.NodeInfos().List()
			if len(after) != len(before) || &after[0] == &before[0] {
				t.Error("the list was not copied")
			}
			if before[1] == ni {
				t.Error("the previous list was modified")
			}
		})
	}
}
