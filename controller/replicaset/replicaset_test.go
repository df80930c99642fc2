package replicaset

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/record"
)

func newRS(name string, replicas, minReady int32) *apps.ReplicaSet {
	return &apps.ReplicaSet{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
		Spec: apps.ReplicaSetSpec{
			Replicas:        &replicas,
			MinReadySeconds: minReady,
			Selector:        &meta.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: core.PodTemplateSpec{
				ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}},
				Spec:       core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img:1"}}},
			},
		},
	}
}

type env struct {
	c    *client.Client
	rs   *client.Resource[*apps.ReplicaSet]
	pods *client.Resource[*core.Pod]
	r    *Reconciler
}

// setup starts an API server and the controller (unless manual, in which
// case only the informers run and the test calls Reconcile itself).
func setup(t *testing.T, manual bool) *env {
	t.Helper()
	c := apiservertest.Start(t)
	f := controller.NewFactory(c, nil)
	rec := record.New(c, nil)
	ctrl, r, err := New(f, &Options{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	f.Start(ctx)
	if err := f.WaitForCacheSync(ctx); err != nil {
		t.Fatal(err)
	}
	if !manual {
		wg.Add(2)
		go func() { defer wg.Done(); _ = ctrl.Start(ctx) }()
		go func() { defer wg.Done(); _ = rec.Start(ctx) }()
	}
	return &env{c: c, rs: client.MustFor[*apps.ReplicaSet](c).Namespace("default"), pods: client.MustFor[*core.Pod](c).Namespace("default"), r: r}
}

func (e *env) ownedPods(t testing.TB, rs *apps.ReplicaSet) []*core.Pod {
	t.Helper()
	l, err := e.pods.List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*core.Pod
	for _, p := range l.Items {
		if meta.IsControlledBy(&p.ObjectMeta, &rs.ObjectMeta) && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) waitPods(t testing.TB, rs *apps.ReplicaSet, n int) []*core.Pod {
	t.Helper()
	var pods []*core.Pod
	apiservertest.Eventually(t, 10*time.Second, func() error {
		pods = e.ownedPods(t, rs)
		if len(pods) != n {
			return fmt.Errorf("%d owned pods, want %d", len(pods), n)
		}
		return nil
	})
	return pods
}

func (e *env) waitStatus(t testing.TB, name string, check func(apps.ReplicaSetStatus) error) {
	t.Helper()
	apiservertest.Eventually(t, 10*time.Second, func() error {
		rs, err := e.rs.Get(context.Background(), name)
		if err != nil {
			return err
		}
		return check(rs.Status)
	})
}

func (e *env) markReady(t testing.TB, p *core.Pod, since time.Time) {
	t.Helper()
	for {
		cur, err := e.pods.Get(context.Background(), p.Name)
		if err != nil {
			t.Fatal(err)
		}
		cur.Status.Phase = core.PodRunning
		cur.Status.PodIP = "192.0.2.10"
		cur.Status.Conditions = []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue, LastTransitionTime: meta.NewTime(since)}}
		if _, err := e.pods.UpdateStatus(context.Background(), cur, client.WriteOptions{}); err == nil {
			return
		} else if !errorsIsConflict(err) {
			t.Fatal(err)
		}
	}
}

func (e *env) create(t testing.TB, rs *apps.ReplicaSet) *apps.ReplicaSet {
	t.Helper()
	out, err := e.rs.Create(context.Background(), rs, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestScaleUpOwnerRefsAndStatus(t *testing.T) {
	e := setup(t, false)
	rs := e.create(t, newRS("web", 3, 0))
	pods := e.waitPods(t, rs, 3)
	for _, p := range pods {
		ref := meta.GetControllerOf(&p.ObjectMeta)
		if ref == nil || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || ref.Name != "web" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Fatalf("owner reference %+v", ref)
		}
		if p.Labels["tier"] != "web" || p.GenerateName != "web-" {
			t.Fatalf("pod not from template: %+v", p.ObjectMeta)
		}
	}
	e.waitStatus(t, "web", func(s apps.ReplicaSetStatus) error {
		if s.Replicas != 3 || s.FullyLabeledReplicas != 3 || s.ReadyReplicas != 0 || s.ObservedGeneration != rs.Generation {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	for _, p := range pods[:2] {
		e.markReady(t, p, time.Now())
	}
	e.waitStatus(t, "web", func(s apps.ReplicaSetStatus) error {
		if s.ReadyReplicas != 2 || s.AvailableReplicas != 2 {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	// Scale and see observedGeneration follow.
	cur, _ := e.rs.Get(context.Background(), "web")
	five := int32(5)
	cur.Spec.Replicas = &five
	upd, err := e.rs.Update(context.Background(), cur, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.waitPods(t, rs, 5)
	e.waitStatus(t, "web", func(s apps.ReplicaSetStatus) error {
		if s.Replicas != 5 || s.ObservedGeneration != upd.Generation {
			return fmt.Errorf("status %+v, generation %d", s, upd.Generation)
		}
		return nil
	})
	// A deleted pod is replaced.
	if err := e.pods.Delete(context.Background(), pods[2].Name, nil); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		ps := e.ownedPods(t, rs)
		for _, p := range ps {
			if p.Name == pods[2].Name {
				return errors.New("deleted pod still there")
			}
		}
		if len(ps) != 5 {
			return fmt.Errorf("%d pods", len(ps))
		}
		return nil
	})
}

func TestMinReadySeconds(t *testing.T) {
	e := setup(t, false)
	rs := e.create(t, newRS("slow", 2, 2))
	pods := e.waitPods(t, rs, 2)
	now := time.Now()
	for _, p := range pods {
		e.markReady(t, p, now)
	}
	e.waitStatus(t, "slow", func(s apps.ReplicaSetStatus) error {
		if s.ReadyReplicas != 2 {
			return fmt.Errorf("status %+v", s)
		}
		if s.AvailableReplicas != 0 && time.Since(now) < time.Second {
			return fmt.Errorf("available before minReadySeconds: %+v", s)
		}
		return nil
	})
	// Requeued after minReadySeconds without any new event.
	e.waitStatus(t, "slow", func(s apps.ReplicaSetStatus) error {
		if s.AvailableReplicas != 2 {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
}

func TestAdoptAndRelease(t *testing.T) {
	e := setup(t, false)
	ctx := context.Background()
	orphan, err := e.pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "db"}},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img"}}}}, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The orphan must be in the pod cache before the set appears;
	// otherwise the set first creates two pods, then adopts the orphan and
	// scales down (correct, but not what this test checks).
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if _, ok := e.r.pods.Get("default", "orphan"); !ok {
			return errors.New("orphan not cached")
		}
		return nil
	})
	rs := e.create(t, newRS("db", 2, 0))
	pods := e.waitPods(t, rs, 2)
	adopted := false
	for _, p := range pods {
		adopted = adopted || p.UID == orphan.UID
	}
	if !adopted {
		t.Fatalf("orphan not adopted: %v", pods)
	}
	// Relabel the adopted pod: it is released and replaced.
	cur, _ := e.pods.Get(ctx, "orphan")
	cur.Labels = map[string]string{"app": "other"}
	if _, err := e.pods.Update(ctx, cur, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		p, err := e.pods.Get(ctx, "orphan")
		if err != nil {
			return err
		}
		if len(p.OwnerReferences) != 0 {
			return fmt.Errorf("still owned: %v", p.OwnerReferences)
		}
		return nil
	})
	e.waitPods(t, rs, 2)
}

func TestScaleDownOrder(t *testing.T) {
	e := setup(t, false)
	rs := e.create(t, newRS("api", 3, 0))
	pods := e.waitPods(t, rs, 3)
	keep := pods[1]
	e.markReady(t, keep, time.Now())
	e.waitStatus(t, "api", func(s apps.ReplicaSetStatus) error {
		if s.ReadyReplicas != 1 {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	cur, _ := e.rs.Get(context.Background(), "api")
	one := int32(1)
	cur.Spec.Replicas = &one
	if _, err := e.rs.Update(context.Background(), cur, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	left := e.waitPods(t, rs, 1)
	if left[0].UID != keep.UID {
		t.Fatalf("kept %s, want the ready pod %s", left[0].Name, keep.Name)
	}
}

func TestExpectationsPreventDoubleCreate(t *testing.T) {
	e := setup(t, true)
	rs := e.create(t, newRS("once", 4, 0))
	req := controller.Request{Namespace: "default", Name: "once"}
	ctx := context.Background()
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if _, ok := e.r.rsets.Get("default", "once"); !ok {
			return errors.New("replica set not in cache")
		}
		return nil
	})
	// Sync repeatedly while the pod cache catches up: only the first sync
	// may create.
	for i := 0; i < 5; i++ {
		if _, err := e.r.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	e.waitPods(t, rs, 4)
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if !e.r.exp.satisfied("default/once") {
			return errors.New("expectations unmet")
		}
		return nil
	})
	if _, err := e.r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(e.ownedPods(t, rs)); n != 4 {
		t.Fatalf("%d pods, want 4", n)
	}
}

func TestExpectationsUnit(t *testing.T) {
	x := newExpectations()
	if !x.satisfied("a") {
		t.Fatal("no record must be satisfied")
	}
	x.expectCreations("a", 2)
	x.creationObserved("a")
	if x.satisfied("a") {
		t.Fatal("one creation outstanding")
	}
	x.creationObserved("a")
	if !x.satisfied("a") {
		t.Fatal("all creations observed")
	}
	x.expectDeletions("a", []string{"ns/p1", "ns/p2"})
	x.deletionObserved("a", "ns/p1")
	x.deletionObserved("a", "ns/p1") // twice: counted once
	x.deletionObserved("a", "ns/other")
	if x.satisfied("a") {
		t.Fatal("p2 outstanding")
	}
	x.deletionObserved("a", "ns/p2")
	if !x.satisfied("a") {
		t.Fatal("all deletions observed")
	}
}

func TestSlowStart(t *testing.T) {
	tests := []struct {
		name              string
		count, failAt     int
		wantDone, wantRun int
		wantBatches       []int
	}{
		{"all succeed", 10, 0, 10, 10, []int{1, 2, 4, 3}},
		{"first fails", 10, 1, 0, 1, []int{1}},
		{"third batch fails", 10, 5, 6, 7, []int{1, 2, 4}},
		{"one", 1, 0, 1, 1, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var mu sync.Mutex
			var inFlight, maxInFlight int
			var batches []int
			done, err := slowStart(context.Background(), tt.count, 1, func(context.Context) error {
				n := int(calls.Add(1))
				mu.Lock()
				inFlight++
				maxInFlight = max(maxInFlight, inFlight)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
				mu.Lock()
				inFlight--
				if inFlight == 0 {
					batches = append(batches, maxInFlight)
					maxInFlight = 0
				}
				mu.Unlock()
				if n == tt.failAt {
					return errors.New("quota")
				}
				return nil
			})
			if done != tt.wantDone || int(calls.Load()) != tt.wantRun || (err != nil) != (tt.failAt != 0) {
				t.Fatalf("done %d calls %d err %v", done, calls.Load(), err)
			}
			if fmt.Sprint(batches) != fmt.Sprint(tt.wantBatches) {
				t.Fatalf("batches %v, want %v", batches, tt.wantBatches)
			}
		})
	}
}

func TestPodsToDeleteOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name, node string, phase core.PodPhase, readySince *time.Time, restarts int32, created time.Time) *core.Pod {
		p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, CreationTimestamp: meta.NewTime(created)},
			Spec: core.PodSpec{NodeName: node}, Status: core.PodStatus{Phase: phase,
				ContainerStatuses: []core.ContainerStatus{{Name: "c", RestartCount: restarts}}}}
		if readySince != nil {
			p.Status.Conditions = []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue, LastTransitionTime: meta.NewTime(*readySince)}}
		}
		return p
	}
	early, late := t0, t0.Add(time.Hour)
	tests := []struct {
		name string
		a, b *core.Pod // a must go first
	}{
		{"unscheduled first", mk("a", "", core.PodPending, nil, 0, t0), mk("b", "n1", core.PodPending, nil, 0, t0)},
		{"pending before running", mk("a", "n1", core.PodPending, nil, 0, t0), mk("b", "n2", core.PodRunning, nil, 0, t0)},
		{"not ready before ready", mk("a", "n1", core.PodRunning, nil, 0, t0), mk("b", "n2", core.PodRunning, &early, 0, t0)},
		{"ready less long first", mk("a", "n1", core.PodRunning, &late, 0, t0), mk("b", "n2", core.PodRunning, &early, 0, t0)},
		{"more restarts first", mk("a", "n1", core.PodRunning, &early, 3, t0), mk("b", "n2", core.PodRunning, &early, 1, t0)},
		{"newer first", mk("a", "n1", core.PodRunning, &early, 0, late), mk("b", "n2", core.PodRunning, &early, 0, early)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, order := range [][]*core.Pod{{tt.a, tt.b}, {tt.b, tt.a}} {
				if got := podsToDelete(order, 1); got[0] != tt.a {
					t.Fatalf("deleted %s first", got[0].Name)
				}
			}
		})
	}
	t.Run("crowded node first", func(t *testing.T) {
		pods := []*core.Pod{mk("alone", "n1", core.PodRunning, &early, 0, t0), mk("x", "n2", core.PodRunning, &early, 0, t0), mk("y", "n2", core.PodRunning, &early, 0, t0)}
		got := podsToDelete(pods, 2)
		if got[0].Spec.NodeName != "n2" || got[1].Spec.NodeName != "n2" {
			t.Fatalf("deleted %s, %s", got[0].Name, got[1].Name)
		}
	})
}

func errorsIsConflict(err error) bool { return apierror.IsConflict(err) }
