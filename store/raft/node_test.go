package raft

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/store"
)

func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestWritesOnEveryReplica(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := testCtx(t, 30*time.Second)
	l, f := c.leader(), c.follower()
	tests := []struct {
		name string
		node int
	}{
		{"via leader", l},
		{"via follower", f},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := c.node(tt.node)
			key := "/k/" + strings.ReplaceAll(tt.name, " ", "-")
			kv, err := n.Create(ctx, key, []byte("v1"), 0)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			// Read-your-writes on the same replica, even serializable.
			got, err := n.Get(WithSerializable(ctx), key, store.GetOptions{})
			if err != nil || string(got.Value) != "v1" || got.ModRevision != kv.ModRevision {
				t.Fatalf("serializable get after create = %+v, %v", got, err)
			}
			if _, err := n.Create(ctx, key, []byte("v2"), 0); !errors.Is(err, store.ErrExists) {
				t.Fatalf("second create = %v, want ErrExists", err)
			}
			if _, err := n.Update(ctx, key, []byte("v2"), kv.ModRevision+100); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("stale update = %v, want ErrConflict", err)
			}
			up, err := n.Update(ctx, key, []byte("v2"), kv.ModRevision)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			// Linearizable reads on every replica see the update.
			for _, other := range c.up() {
				got, err := other.Get(ctx, key, store.GetOptions{})
				if err != nil || string(got.Value) != "v2" || got.ModRevision != up.ModRevision {
					t.Fatalf("%s: get = %+v, %v; want v2 at %d", other.ID(), got, err, up.ModRevision)
				}
			}
			prev, rev, err := n.Delete(ctx, key, 0)
			if err != nil || string(prev.Value) != "v2" || rev <= up.ModRevision {
				t.Fatalf("delete = %+v, %d, %v", prev, rev, err)
			}
			if _, err := n.Get(ctx, key, store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("get after delete = %v, want ErrNotFound", err)
			}
		})
	}
	// Every replica reaches the same revision.
	cur, _, err := c.node(l).Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range c.up() {
		got, _, err := n.Revision(ctx)
		if err != nil || got != cur {
			t.Errorf("%s: revision %d, %v; want %d", n.ID(), got, err, cur)
		}
	}
}

func TestInvalidInputNeverReachesTheLog(t *testing.T) {
	c := newCluster(t, 1, nil)
	ctx := testCtx(t, 10*time.Second)
	n := c.node(0)
	before := n.AppliedIndex()
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"empty key", func() error { _, err := n.Create(ctx, "", []byte("v"), 0); return err }, store.ErrInvalid},
		{"empty value", func() error { _, err := n.Update(ctx, "k", nil, 0); return err }, store.ErrInvalid},
		{"huge value", func() error {
			_, err := n.Create(ctx, "k", make([]byte, store.MaxValueSize+1), 0)
			return err
		}, store.ErrTooLarge},
		{"negative revision", func() error { _, _, err := n.Delete(ctx, "k", -1); return err }, store.ErrInvalid},
		{"short lease", func() error { _, err := n.Grant(ctx, time.Millisecond); return err }, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if got := n.AppliedIndex(); got != before {
		t.Errorf("applied index moved from %d to %d", before, got)
	}
}

func TestLeaseExpiresThroughLeader(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := testCtx(t, 30*time.Second)
	n := c.node(c.follower())
	id, err := n.Grant(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Create(ctx, "/lease/a", []byte("x"), id); err != nil {
		t.Fatal(err)
	}
	w, err := n.Watch(ctx, "/lease/", store.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Kept alive past its TTL, the key stays.
	for range 3 {
		time.Sleep(500 * time.Millisecond)
		ttl, err := n.KeepAlive(ctx, id)
		if err != nil || ttl != time.Second {
			t.Fatalf("keepalive = %v, %v", ttl, err)
		}
	}
	if _, err := n.Get(ctx, "/lease/a", store.GetOptions{}); err != nil {
		t.Fatalf("kept-alive key: %v", err)
	}
	// Left alone, it expires and every replica sees the delete.
	select {
	case ev := <-w.Events():
		if ev.Type != store.EventDelete || ev.KV.Key != "/lease/a" {
			t.Fatalf("event %+v, want delete of /lease/a", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lease did not expire")
	}
	for _, other := range c.up() {
		if _, err := other.Get(ctx, "/lease/a", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: get = %v, want ErrNotFound", other.ID(), err)
		}
	}
	if _, err := n.KeepAlive(ctx, id); !errors.Is(err, store.ErrLeaseNotFound) {
		t.Errorf("keepalive after expiry = %v, want ErrLeaseNotFound", err)
	}
}

func TestMembership(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := testCtx(t, 60*time.Second)
	l := c.leader()
	if _, err := c.node(l).Create(ctx, "/m/before", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}

	// Transfer leadership from a follower's handle.
	if err := c.node(c.follower()).TransferLeadership(ctx); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	l2 := c.waitLeader(20 * time.Second)
	if l2 < 0 {
		t.FailNow()
	}
	if l2 == l {
		t.Fatalf("leader still %s after transfer", c.ids[l])
	}

	// Remove a follower through another follower, then join it back with
	// an empty data dir.
	var victim, via int = -1, -1
	for i := range c.ids {
		if i != l2 {
			if victim < 0 {
				victim = i
			} else {
				via = i
			}
		}
	}
	if err := c.node(via).Remove(ctx, c.ids[victim]); err != nil {
		t.Fatalf("remove: %v", err)
	}
	members, err := c.node(l2).Members(ctx)
	if err != nil || len(members) != 2 {
		t.Fatalf("members after remove = %v, %v", members, err)
	}
	c.stop(victim)
	c.wipe(victim)
	// A write while it is out.
	if _, err := c.node(via).Create(ctx, "/m/during", []byte("2"), 0); err != nil {
		t.Fatal(err)
	}
	n := c.start(victim, nil, false)
	if err := c.node(via).Join(ctx, c.ids[victim], c.addrs[victim]); err != nil {
		t.Fatalf("join: %v", err)
	}
	for _, key := range []string{"/m/before", "/m/during"} {
		if _, err := n.Get(ctx, key, store.GetOptions{}); err != nil {
			t.Fatalf("rejoined node: get %s: %v", key, err)
		}
	}
	members, err = n.Members(ctx)
	if err != nil || len(members) != 3 {
		t.Fatalf("members after join = %v, %v", members, err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := newCluster(t, 1, func(cfg *Config) { cfg.Registerer = reg })
	ctx := testCtx(t, 10*time.Second)
	for i := range 5 {
		if _, err := c.node(0).Create(ctx, fmt.Sprintf("/metrics/%d", i), []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{
		"longshore_raft_is_leader":              false,
		"longshore_raft_leader_changes_total":   false,
		"longshore_raft_apply_duration_seconds": false,
		"longshore_raft_commit_lag_entries":     false,
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if _, ok := want[mf.GetName()]; ok {
			want[mf.GetName()] = true
		}
		if mf.GetName() == "longshore_raft_is_leader" {
			if got := mf.GetMetric()[0].GetGauge().GetValue(); got != 1 {
				t.Errorf("is_leader = %v on the only node", got)
			}
		}
		if mf.GetName() == "longshore_raft_apply_duration_seconds" {
			if got := mf.GetMetric()[0].GetHistogram().GetSampleCount(); got < 5 {
				t.Errorf("apply histogram has %d samples, want >= 5", got)
			}
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("metric %s not registered", name)
		}
	}
}

func TestNoLeaderError(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	// Stop two of three: the survivor can never reach a quorum.
	survivor := (l + 1) % len(c.ids)
	for i := range c.ids {
		if i != survivor {
			c.stop(i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.node(survivor).Create(ctx, "/x", []byte("v"), 0)
	if !errors.Is(err, ErrNoLeader) && !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("create without quorum = %v, want ErrNoLeader", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	_, err = c.node(survivor).Get(ctx2, "/x", store.GetOptions{})
	if !errors.Is(err, ErrNoLeader) {
		t.Fatalf("linearizable get without quorum = %v, want ErrNoLeader", err)
	}
	// A serializable read is still served locally.
	if _, err := c.node(survivor).Get(WithSerializable(context.Background()), "/x", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("serializable get = %v, want ErrNotFound", err)
	}
}
