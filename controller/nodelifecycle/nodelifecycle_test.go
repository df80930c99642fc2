package nodelifecycle

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

func secs(n int64) *int64 { return &n }

func TestTolerates(t *testing.T) {
	unreachable := core.Taint{Key: core.TaintNodeUnreachable, Effect: core.TaintEffectNoExecute}
	tests := []struct {
		name string
		tol  core.Toleration
		want bool
	}{
		{"exists with key", core.Toleration{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists}, true},
		{"exists without key tolerates all", core.Toleration{Operator: core.TolerationOpExists}, true},
		{"other key", core.Toleration{Key: core.TaintNodeNotReady, Operator: core.TolerationOpExists}, false},
		{"other effect", core.Toleration{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists, Effect: core.TaintEffectNoSchedule}, false},
		{"equal needs the value", core.Toleration{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpEqual, Value: "x"}, false},
		{"equal with empty value", core.Toleration{Key: core.TaintNodeUnreachable, Value: ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tolerates(tt.tol, unreachable); got != tt.want {
				t.Fatalf("Tolerates = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvictAt(t *testing.T) {
	added := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ta := meta.NewTime(added)
	taints := []core.Taint{{Key: core.TaintNodeUnreachable, Effect: core.TaintEffectNoExecute, TimeAdded: &ta}}
	tests := []struct {
		name      string
		tols      []core.Toleration
		wantNever bool
		wantAt    time.Time
	}{
		{"not tolerated: now", nil, false, time.Time{}},
		{"forever", []core.Toleration{{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists}}, true, time.Time{}},
		{"shortest matching seconds", []core.Toleration{
			{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists, TolerationSeconds: secs(300)},
			{Operator: core.TolerationOpExists, Effect: core.TaintEffectNoExecute, TolerationSeconds: secs(30)},
		}, false, added.Add(30 * time.Second)},
		{"unbounded toleration wins", []core.Toleration{
			{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists, TolerationSeconds: secs(30)},
			{Operator: core.TolerationOpExists},
		}, true, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, never := evictAt(&core.Pod{Spec: core.PodSpec{Tolerations: tt.tols}}, taints)
			if never != tt.wantNever || !at.Equal(tt.wantAt) {
				t.Fatalf("evictAt = %v, %v; want %v, %v", at, never, tt.wantAt, tt.wantNever)
			}
		})
	}
}

// kubelet renews a node's Lease and posts Ready=True while alive is set.
type kubelet struct {
	c     *client.Client
	node  string
	alive atomic.Bool
}

func (k *kubelet) run(ctx context.Context) {
	leases := client.MustFor[*coordination.Lease](k.c).Namespace(LeaseNamespace)
	nodes := client.MustFor[*core.Node](k.c)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !k.alive.Load() {
			continue
		}
		now := meta.NowMicro()
		l, err := leases.Get(ctx, k.node)
		if apierror.IsNotFound(err) {
			holder, dur := k.node, int32(40)
			_, _ = leases.Create(ctx, &coordination.Lease{ObjectMeta: meta.ObjectMeta{Name: k.node, Namespace: LeaseNamespace},
				Spec: coordination.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: &now}}, client.WriteOptions{})
		} else if err == nil {
			l.Spec.RenewTime = &now
			_, _ = leases.Update(ctx, l, client.WriteOptions{})
		}
		n, err := nodes.Get(ctx, k.node)
		if err != nil {
			continue
		}
		if c := readyCondition(n); c == nil || c.Status != core.ConditionTrue {
			ts := meta.Now()
			n.Status.Conditions = []core.NodeCondition{{Type: core.NodeReady, Status: core.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: ts, LastTransitionTime: ts}}
			_, _ = nodes.UpdateStatus(ctx, n, client.WriteOptions{})
		}
	}
}

func TestUnreachableNodeTaintedAndEvicted(t *testing.T) {
	c := apiservertest.Start(t)
	apiservertest.Namespace(t, c, LeaseNamespace)
	nodes := client.MustFor[*core.Node](c)
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	ctx := context.Background()
	if _, err := nodes.Create(ctx, &core.Node{ObjectMeta: meta.ObjectMeta{Name: "n1"}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	k := &kubelet{c: c, node: "n1"}
	k.alive.Store(true)
	kctx, kcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() { kcancel(); wg.Wait() })
	wg.Add(1)
	go func() { defer wg.Done(); k.run(kctx) }()

	mkPod := func(name string, tols ...core.Toleration) {
		t.Helper()
		_, err := pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
			Spec: core.PodSpec{NodeName: "n1", Tolerations: tols, Containers: []core.Container{{Name: "c", Image: "img"}}}}, client.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	mkPod("default-tolerations")
	mkPod("short", core.Toleration{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists, Effect: core.TaintEffectNoExecute, TolerationSeconds: secs(1)})
	mkPod("forever", core.Toleration{Operator: core.TolerationOpExists})

	f := controller.NewFactory(c, nil)
	ctrl, _, err := New(f, &Options{GracePeriod: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); f.Start(kctx); _ = ctrl.Start(kctx) }()

	deleting := func(name string) bool {
		p, err := pods.Get(ctx, name)
		return apierror.IsNotFound(err) || (err == nil && p.DeletionTimestamp != nil)
	}
	// Healthy: no taints, nobody evicted.
	time.Sleep(1500 * time.Millisecond)
	if n, _ := nodes.Get(ctx, "n1"); len(n.Spec.Taints) != 0 || readyCondition(n) == nil || readyCondition(n).Status != core.ConditionTrue {
		t.Fatalf("healthy node: taints %v conditions %v", n.Spec.Taints, n.Status.Conditions)
	}

	k.alive.Store(false)
	apiservertest.Eventually(t, 10*time.Second, func() error {
		n, err := nodes.Get(ctx, "n1")
		if err != nil {
			return err
		}
		if c := readyCondition(n); c == nil || c.Status != core.ConditionUnknown || c.Reason != "NodeStatusUnknown" {
			return fmt.Errorf("ready condition %+v", c)
		}
		effects := map[core.TaintEffect]bool{}
		for _, t := range n.Spec.Taints {
			if t.Key == core.TaintNodeUnreachable {
				effects[t.Effect] = true
			}
		}
		if !effects[core.TaintEffectNoSchedule] || !effects[core.TaintEffectNoExecute] {
			return fmt.Errorf("taints %+v", n.Spec.Taints)
		}
		return nil
	})
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if !deleting("short") {
			return fmt.Errorf("pod with a 1 s toleration not evicted")
		}
		return nil
	})
	// The 300 s default tolerations and the unbounded one keep the others.
	if deleting("default-tolerations") || deleting("forever") {
		t.Fatal("tolerating pods were evicted")
	}
	// A NoExecute taint nobody tolerates but "forever" evicts the rest now.
	n, err := nodes.Get(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Taints = append(n.Spec.Taints, core.Taint{Key: "example.com/drain", Effect: core.TaintEffectNoExecute})
	if _, err := nodes.Update(ctx, n, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if !deleting("default-tolerations") {
			return fmt.Errorf("untolerated pod not evicted")
		}
		return nil
	})
	if deleting("forever") {
		t.Fatal("pod tolerating everything was evicted")
	}

	// The node comes back: the lifecycle taints go, the user's stays.
	k.alive.Store(true)
	apiservertest.Eventually(t, 10*time.Second, func() error {
		n, err := nodes.Get(ctx, "n1")
		if err != nil {
			return err
		}
		if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "example.com/drain" {
			return fmt.Errorf("taints %+v, want only example.com/drain", n.Spec.Taints)
		}
		return nil
	})
}

func TestNotReadyNodeTainted(t *testing.T) {
	c := apiservertest.Start(t)
	nodes := client.MustFor[*core.Node](c)
	ctx := context.Background()
	ts := meta.Now()
	n := &core.Node{ObjectMeta: meta.ObjectMeta{Name: "n2"}}
	n, err := nodes.Create(ctx, n, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Conditions = []core.NodeCondition{{Type: core.NodeReady, Status: core.ConditionFalse, Reason: "KubeletNotReady", LastHeartbeatTime: ts, LastTransitionTime: ts}}
	if _, err := nodes.UpdateStatus(ctx, n, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f := controller.NewFactory(c, nil)
	ctrl, _, err := New(f, &Options{GracePeriod: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() { defer close(done); f.Start(cctx); _ = ctrl.Start(cctx) }()
	apiservertest.Eventually(t, 10*time.Second, func() error {
		n, err := nodes.Get(ctx, "n2")
		if err != nil {
			return err
		}
		var keys []string
		for _, t := range n.Spec.Taints {
			keys = append(keys, t.Key+":"+string(t.Effect))
		}
		if len(keys) != 2 || keys[0] != core.TaintNodeNotReady+":NoSchedule" || keys[1] != core.TaintNodeNotReady+":NoExecute" {
			return fmt.Errorf("taints %v, want not-ready NoSchedule and NoExecute", keys)
		}
		if c := readyCondition(n); c.Status != core.ConditionFalse {
			return fmt.Errorf("ready %s: a reachable node's condition must be left alone", c.Status)
		}
		return nil
	})
}
