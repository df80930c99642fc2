package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/examples/customscheduler/tiered"
	"github.com/longshore/longshore/scheduler/framework"
)

// startServer runs an in-process API server on a memory store for the
// test's lifetime and returns a client of it.
func startServer(tb testing.TB) *client.Client { return apiservertest.Start(tb) }

// startScheduler runs the example's scheduler (run, as main does) until
// the test ends.
func startScheduler(tb testing.TB, c *client.Client) {
	tb.Helper()
	cfg, err := loadConfig("")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, cfg, slog.New(slog.DiscardHandler)) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("scheduler: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("scheduler did not stop")
		}
	})
}

// eventually polls cond until it returns nil or the timeout passes.
func eventually(tb testing.TB, timeout time.Duration, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not met after %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func createNode(tb testing.TB, c *client.Client, name, tier string) {
	tb.Helper()
	ctx := context.Background()
	nodes := client.MustFor[*core.Node](c)
	n := &core.Node{ObjectMeta: meta.ObjectMeta{Name: name, Labels: map[string]string{core.LabelHostname: name}}}
	if tier != "" {
		n.Labels[tiered.DefaultTierKey] = tier
	}
	n, err := nodes.Create(ctx, n, client.WriteOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	n.Status.Allocatable = core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourceMemory: resource.MustParse("8Gi"), core.ResourcePods: resource.MustParse("110")}
	n.Status.Capacity = n.Status.Allocatable
	n.Status.Conditions = []core.NodeCondition{{Type: core.NodeReady, Status: core.ConditionTrue}}
	if _, err := nodes.UpdateStatus(ctx, n, client.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
}

// podSpec describes a test pod.
type podSpec struct {
	name, schedulerName, tier, app string
}

func createPod(tb testing.TB, c *client.Client, ps podSpec) {
	tb.Helper()
	p := &core.Pod{
		ObjectMeta: meta.ObjectMeta{Name: ps.name, Namespace: "default"},
		Spec:       core.PodSpec{SchedulerName: ps.schedulerName, Containers: []core.Container{{Name: "c", Image: "busybox"}}},
	}
	if ps.tier != "" {
		p.Annotations = map[string]string{tiered.DefaultTierKey: ps.tier}
	}
	if ps.app != "" {
		p.Labels = map[string]string{"app": ps.app}
	}
	if _, err := client.MustFor[*core.Pod](c).Namespace("default").Create(context.Background(), p, client.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
}

// waitBound waits until the pod is bound and returns its node.
func waitBound(tb testing.TB, c *client.Client, name string) string {
	tb.Helper()
	var node string
	eventually(tb, 20*time.Second, func() error {
		p, err := client.MustFor[*core.Pod](c).Namespace("default").Get(context.Background(), name)
		if err != nil {
			return err
		}
		if p.Spec.NodeName == "" {
			return fmt.Errorf("pod %s not bound yet (conditions %+v)", name, p.Status.Conditions)
		}
		node = p.Spec.NodeName
		return nil
	})
	return node
}

func scheduledCondition(p *core.Pod) *core.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == core.PodScheduled {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func TestSchedulerProfiles(t *testing.T) {
	c := startServer(t)
	createNode(t, c, "gold-1", "gold")
	createNode(t, c, "gold-2", "gold")
	createNode(t, c, "silver-1", "silver")
	createNode(t, c, "plain-1", "")
	startScheduler(t, c)
	pods := client.MustFor[*core.Pod](c).Namespace("default")

	// Each case runs after the previous ones: the spread cases depend on
	// the pods placed before them.
	tests := []struct {
		name string
		pod  podSpec
		// want lists the acceptable nodes; wantNotOn names the nodes of
		// earlier pods the plugin's score must avoid.
		want      []string
		wantNotOn []string
	}{
		{name: "gold pod on a gold node", pod: podSpec{name: "web-1", schedulerName: TieredSchedulerName, tier: "gold", app: "web"},
			want: []string{"gold-1", "gold-2"}},
		{name: "second gold pod of the app on the other gold node", pod: podSpec{name: "web-2", schedulerName: TieredSchedulerName, tier: "gold", app: "web"},
			want: []string{"gold-1", "gold-2"}, wantNotOn: []string{"web-1"}},
		{name: "silver pod on the silver node", pod: podSpec{name: "api-1", schedulerName: TieredSchedulerName, tier: "silver", app: "api"},
			want: []string{"silver-1"}},
		{name: "pod without a tier on the untiered node", pod: podSpec{name: "batch-1", schedulerName: TieredSchedulerName, app: "batch"},
			want: []string{"plain-1"}},
		{name: "default profile ignores tiers", pod: podSpec{name: "legacy-1", tier: "bronze", app: "legacy"},
			want: []string{"gold-1", "gold-2", "silver-1", "plain-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			createPod(t, c, tt.pod)
			got := waitBound(t, c, tt.pod.name)
			if !slices.Contains(tt.want, got) {
				t.Fatalf("%s bound to %s, want one of %v", tt.pod.name, got, tt.want)
			}
			for _, other := range tt.wantNotOn {
				if o := waitBound(t, c, other); o == got {
					t.Errorf("%s bound to %s, the node of %s: the score should have spread them", tt.pod.name, got, other)
				}
			}
		})
	}

	t.Run("unknown tier is unschedulable with the plugin's reason", func(t *testing.T) {
		createPod(t, c, podSpec{name: "web-bronze", schedulerName: TieredSchedulerName, tier: "bronze", app: "web"})
		wantReason := fmt.Sprintf(tiered.ReasonTierMismatch, "bronze")
		eventually(t, 20*time.Second, func() error {
			p, err := pods.Get(context.Background(), "web-bronze")
			if err != nil {
				return err
			}
			if p.Spec.NodeName != "" {
				t.Fatalf("pod bound to %s; no node has the bronze tier", p.Spec.NodeName)
			}
			cond := scheduledCondition(p)
			if cond == nil {
				return errors.New("no PodScheduled condition yet")
			}
			if cond.Status != core.ConditionFalse || cond.Reason != "Unschedulable" {
				return fmt.Errorf("PodScheduled = %s/%s, want False/Unschedulable", cond.Status, cond.Reason)
			}
			want := "0/4 nodes are available: 4 " + wantReason + "."
			if !strings.HasPrefix(cond.Message, want) {
				return fmt.Errorf("message %q, want it to start with %q", cond.Message, want)
			}
			return nil
		})
	})

	t.Run("pods of another scheduler are left alone", func(t *testing.T) {
		createPod(t, c, podSpec{name: "foreign", schedulerName: "someone-else", tier: "gold", app: "web"})
		// A later pod of ours being bound shows the scheduler has seen the
		// foreign one (the informer delivers in order) and passed it by.
		createPod(t, c, podSpec{name: "web-3", schedulerName: TieredSchedulerName, tier: "gold", app: "web"})
		waitBound(t, c, "web-3")
		p, err := pods.Get(context.Background(), "foreign")
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.NodeName != "" || scheduledCondition(p) != nil {
			t.Errorf("foreign pod touched: node %q, conditions %+v", p.Spec.NodeName, p.Status.Conditions)
		}
	})
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	badKind := write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\n")
	tests := []struct {
		name         string
		path         string
		wantProfiles []string
		wantErr      error
	}{
		{name: "embedded", path: "", wantProfiles: []string{framework.DefaultSchedulerName, TieredSchedulerName}},
		{name: "tiered-only.yaml", path: "tiered-only.yaml", wantProfiles: []string{TieredSchedulerName}},
		{name: "wrong kind", path: badKind, wantErr: framework.ErrInvalidConfig},
		{name: "missing file", path: filepath.Join(dir, "nope.yaml"), wantErr: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range cfg.Profiles {
				names = append(names, p.SchedulerName)
			}
			if !slices.Equal(names, tt.wantProfiles) {
				t.Errorf("profiles = %v, want %v", names, tt.wantProfiles)
			}
		})
	}
	// The embedded tiered profile must actually enable the plugin.
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cfg.Profiles[1].Plugins.MultiPoint.Enabled, func(r framework.PluginRef) bool { return r.Name == tiered.Name }) {
		t.Errorf("tiered profile does not enable %s: %+v", tiered.Name, cfg.Profiles[1].Plugins.MultiPoint)
	}
}

func TestStartNeedsKubeconfig(t *testing.T) {
	tests := []struct {
		name, kubeconfig string
	}{
		{name: "no flag", kubeconfig: ""},
		{name: "missing file", kubeconfig: filepath.Join(t.TempDir(), "nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := start(context.Background(), tt.kubeconfig, "", "", slog.New(slog.DiscardHandler)); err == nil {
				t.Fatal("start succeeded without a usable kubeconfig")
			}
		})
	}
}
