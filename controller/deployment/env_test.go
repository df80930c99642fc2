package deployment

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/replicaset"
)

// env runs the deployment and replicaset controllers against an
// in-process API server, with a fake kubelet that marks pods Ready.
type env struct {
	c     *client.Client
	deps  *client.Resource[*apps.Deployment]
	rsets *client.Resource[*apps.ReplicaSet]
	pods  *client.Resource[*core.Pod]
	// ready switches the fake kubelet on and off.
	ready atomic.Bool
}

func startEnv(t testing.TB, c *client.Client) *env {
	t.Helper()
	e := &env{c: c, deps: client.MustFor[*apps.Deployment](c).Namespace("default"),
		rsets: client.MustFor[*apps.ReplicaSet](c).Namespace("default"), pods: client.MustFor[*core.Pod](c).Namespace("default")}
	e.ready.Store(true)
	f := controller.NewFactory(c, nil)
	rsCtrl, _, err := replicaset.New(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	dCtrl, _, err := New(f, nil)
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
	wg.Add(3)
	go func() { defer wg.Done(); _ = rsCtrl.Start(ctx) }()
	go func() { defer wg.Done(); _ = dCtrl.Start(ctx) }()
	go func() { defer wg.Done(); e.kubelet(ctx) }()
	return e
}

func setup(t testing.TB) *env {
	t.Helper()
	return startEnv(t, apiservertest.Start(t))
}

// kubelet marks every pending pod Running and Ready every 20 ms while
// e.ready is set.
func (e *env) kubelet(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !e.ready.Load() {
			continue
		}
		l, err := e.pods.List(ctx, client.ListOptions{})
		if err != nil {
			continue
		}
		for _, p := range l.Items {
			if p.DeletionTimestamp != nil || p.Status.Phase == core.PodRunning {
				continue
			}
			p.Status.Phase = core.PodRunning
			p.Status.Conditions = []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue, LastTransitionTime: meta.Now()}}
			if _, err := e.pods.UpdateStatus(ctx, p, client.WriteOptions{}); err != nil && !apierror.IsConflict(err) && !apierror.IsNotFound(err) && ctx.Err() == nil {
				continue
			}
		}
	}
}

func newDeployment(name string, replicas int32, image string) *apps.Deployment {
	return &apps.Deployment{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
		Spec: apps.DeploymentSpec{
			Replicas: &replicas,
			Selector: &meta.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: core.PodTemplateSpec{
				ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       core.PodSpec{Containers: []core.Container{{Name: "c", Image: image}}},
			},
		},
	}
}

func rolling(d *apps.Deployment, surge, unavailable intstr.IntOrString) *apps.Deployment {
	d.Spec.Strategy = apps.DeploymentStrategy{Type: apps.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &apps.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
	return d
}

func (e *env) create(t testing.TB, d *apps.Deployment) *apps.Deployment {
	t.Helper()
	out, err := e.deps.Create(context.Background(), d, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mutate applies fn to the current Deployment, retrying on conflicts.
func (e *env) mutate(t testing.TB, name string, fn func(*apps.Deployment)) {
	t.Helper()
	for range 20 {
		d, err := e.deps.Get(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		fn(d)
		if _, err = e.deps.Update(context.Background(), d, client.WriteOptions{}); err == nil {
			return
		} else if !apierror.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatal("too many conflicts")
}

// sets returns the ReplicaSets controlled by the Deployment name.
func (e *env) sets(t testing.TB, name string) []*apps.ReplicaSet {
	t.Helper()
	d, err := e.deps.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.rsets.List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*apps.ReplicaSet
	for _, rs := range l.Items {
		if meta.IsControlledBy(&rs.ObjectMeta, &d.ObjectMeta) {
			out = append(out, rs)
		}
	}
	return out
}

// waitComplete waits until the Deployment's rollout finished: status
// matches spec for its current generation, and it reports the
// NewReplicaSetAvailable and MinimumReplicasAvailable conditions.
func (e *env) waitComplete(t testing.TB, name string, timeout time.Duration) *apps.Deployment {
	t.Helper()
	var d *apps.Deployment
	apiservertest.Eventually(t, timeout, func() error {
		var err error
		if d, err = e.deps.Get(context.Background(), name); err != nil {
			return err
		}
		want := *d.Spec.Replicas
		s := d.Status
		if s.ObservedGeneration < d.Generation || s.Replicas != want || s.UpdatedReplicas != want || s.ReadyReplicas != want ||
			s.AvailableReplicas != want || s.UnavailableReplicas != 0 {
			return fmt.Errorf("status %+v, want %d replicas at generation %d", s, want, d.Generation)
		}
		if c := condition(s.Conditions, apps.DeploymentProgressing); c == nil || c.Reason != ReasonNewRSAvailable || c.Status != core.ConditionTrue {
			return fmt.Errorf("progressing condition %+v", c)
		}
		if c := condition(s.Conditions, apps.DeploymentAvailable); c == nil || c.Reason != ReasonMinimumAvailable || c.Status != core.ConditionTrue {
			return fmt.Errorf("available condition %+v", c)
		}
		return nil
	})
	return d
}

// activePods counts the live pods of a set.
func (e *env) activePods(t testing.TB, rs *apps.ReplicaSet) int {
	t.Helper()
	l, err := e.pods.List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range l.Items {
		if meta.IsControlledBy(&p.ObjectMeta, &rs.ObjectMeta) && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}
