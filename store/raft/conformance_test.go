package raft

import (
	"testing"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/storetest"
)

// TestConformance runs the store conformance suite against a 3-replica
// cluster, handing the suite the leader (writes applied locally) and then
// a follower (every write forwarded, every read through ReadIndex).
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-replica cluster per case")
	}
	tests := []struct {
		name string
		pick func(c *cluster) int
	}{
		{"leader", func(c *cluster) int { return c.leader() }},
		{"follower", func(c *cluster) int { return c.follower() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t testing.TB) store.Store {
				c := newCluster(t, 3, nil)
				return c.node(tt.pick(c))
			})
		})
	}
}
