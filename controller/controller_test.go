package controller_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/leaderelection"
)

func configMap(name string) *core.ConfigMap {
	return &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"k": "v"}}
}

// startManager runs m until the test ends, and returns a stop function.
func startManager(t testing.TB, m *controller.Manager) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Start(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				err = errors.New("manager did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

type seen struct {
	mu    sync.Mutex
	count map[string]int
}

func (s *seen) add(r controller.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count == nil {
		s.count = map[string]int{}
	}
	s.count[r.String()]++
}

func (s *seen) get(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[key]
}

func TestControllerReconcileResults(t *testing.T) {
	c := apiservertest.Start(t)
	cms := client.MustFor[*core.ConfigMap](c).Namespace("default")
	var calls seen
	var failures atomic.Int32
	rec := controller.ReconcilerFunc(func(ctx context.Context, req controller.Request) (controller.Result, error) {
		calls.add(req)
		switch req.Name {
		case "fail-twice":
			if failures.Add(1) <= 2 {
				return controller.Result{}, errors.New("transient")
			}
		case "requeue-after":
			if calls.get(req.String()) < 3 {
				return controller.Result{RequeueAfter: 20 * time.Millisecond}, nil
			}
		case "panics":
			if calls.get(req.String()) == 1 {
				panic("boom")
			}
		}
		return controller.Result{}, nil
	})
	m, err := controller.NewManager(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := controller.New("cm", rec, &controller.Options{Workers: 2, Metrics: m.Metrics()})
	if err != nil {
		t.Fatal(err)
	}
	inf, err := controller.InformerFor[*core.ConfigMap](m.Factory(), controller.InformerOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	controller.Watch(ctrl, inf, controller.EnqueueObject[*core.ConfigMap]())
	if err := m.Add(ctrl); err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	ctx := context.Background()
	for _, name := range []string{"plain", "fail-twice", "requeue-after", "panics"} {
		if _, err := cms.Create(ctx, configMap(name), client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		want int
	}{
		{"plain", 1},
		{"fail-twice", 3},    // two errors retried with back-off, then success
		{"requeue-after", 3}, // RequeueAfter twice
		{"panics", 2},        // a panic is an error: retried
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiservertest.Eventually(t, 5*time.Second, func() error {
				if got := calls.get("default/" + tt.name); got != tt.want {
					return fmt.Errorf("%d reconciles, want %d", got, tt.want)
				}
				return nil
			})
		})
	}
	time.Sleep(100 * time.Millisecond)
	if got := calls.get("default/plain"); got != 1 {
		t.Fatalf("plain reconciled %d times after settling", got)
	}
	// An update is a new event.
	cm, _ := cms.Get(ctx, "plain")
	cm.Data["k"] = "w"
	if _, err := cms.Update(ctx, cm, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if got := calls.get("default/plain"); got != 2 {
			return fmt.Errorf("%d reconciles after update", got)
		}
		return nil
	})
}

func TestEnqueueOwner(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		refs []meta.OwnerReference
		want []controller.Request
	}{
		{"controller of kind", []meta.OwnerReference{{Kind: "ReplicaSet", Name: "rs", Controller: &yes}}, []controller.Request{{Namespace: "ns", Name: "rs"}}},
		{"other kind", []meta.OwnerReference{{Kind: "Job", Name: "j", Controller: &yes}}, nil},
		{"not controller", []meta.OwnerReference{{Kind: "ReplicaSet", Name: "rs"}}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &core.Pod{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "p", OwnerReferences: tt.refs}}
			got := controller.EnqueueOwner[*core.Pod]("ReplicaSet")(p)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestManagerEndpoints(t *testing.T) {
	c := apiservertest.Start(t)
	m, err := controller.NewManager(c, &controller.ManagerOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctrl, _ := controller.New("noop", controller.ReconcilerFunc(func(context.Context, controller.Request) (controller.Result, error) {
		return controller.Result{}, nil
	}), &controller.Options{Metrics: m.Metrics()})
	inf, _ := controller.InformerFor[*core.ConfigMap](m.Factory(), controller.InformerOptions{})
	controller.Watch(ctrl, inf, controller.EnqueueObject[*core.ConfigMap]())
	_ = m.Add(ctrl)
	var broken atomic.Bool
	m.AddCheck("custom", func(*http.Request) error {
		if broken.Load() {
			return errors.New("broken")
		}
		return nil
	})
	startManager(t, m)
	if _, err := client.MustFor[*core.ConfigMap](c).Create(context.Background(), configMap("x"), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + m.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if m.Addr() == nil {
			return errors.New("not listening")
		}
		if code, _ := get("/readyz"); code != 200 {
			return fmt.Errorf("readyz %d", code)
		}
		if _, body := get("/metrics"); !strings.Contains(body, `controller_reconcile_total{controller="noop",result="success"}`) {
			return errors.New("no reconcile metric yet")
		}
		return nil
	})
	_, body := get("/metrics")
	for _, want := range []string{"workqueue_adds_total", "workqueue_depth", "workqueue_queue_duration_seconds", "controller_reconcile_time_seconds", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	broken.Store(true)
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("healthz with a failing check: %d", code)
	}
}

func TestLeaderElectionFailover(t *testing.T) {
	c := apiservertest.Start(t)
	cms := client.MustFor[*core.ConfigMap](c).Namespace("default")
	type replica struct {
		m     *controller.Manager
		calls seen
		stop  func() error
	}
	newReplica := func(id string) *replica {
		r := &replica{}
		m, err := controller.NewManager(c, &controller.ManagerOptions{LeaderElection: &leaderelection.Config{
			Namespace: "kube-system", Name: "test-controller", Identity: id,
			LeaseDuration: 5 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 100 * time.Millisecond,
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctrl, _ := controller.New("cm", controller.ReconcilerFunc(func(_ context.Context, req controller.Request) (controller.Result, error) {
			r.calls.add(req)
			return controller.Result{}, nil
		}), nil)
		inf, _ := controller.InformerFor[*core.ConfigMap](m.Factory(), controller.InformerOptions{Namespace: "default"})
		controller.Watch(ctrl, inf, controller.EnqueueObject[*core.ConfigMap]())
		_ = m.Add(ctrl)
		r.m = m
		r.stop = startManager(t, m)
		return r
	}
	a := newReplica("a")
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if !a.m.IsLeader() {
			return errors.New("a does not lead")
		}
		return nil
	})
	b := newReplica("b")
	time.Sleep(300 * time.Millisecond) // b campaigns and loses
	if b.m.IsLeader() {
		t.Fatal("two leaders")
	}
	if _, err := cms.Create(context.Background(), configMap("one"), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if a.calls.get("default/one") == 0 {
			return errors.New("leader did not reconcile")
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond)
	if n := b.calls.get("default/one"); n != 0 {
		t.Fatalf("follower reconciled %d times", n)
	}
	// The leader stops and releases the lease: b takes over well before
	// the 5 s lease would expire.
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if b.calls.get("default/one") == 0 {
			return errors.New("b did not take over")
		}
		return nil
	})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("take-over took %v: the lease was not released", d)
	}
	lease, err := client.MustFor[*coordination.Lease](c).Namespace("kube-system").Get(context.Background(), "test-controller")
	if err != nil {
		t.Fatal(err)
	}
	if *lease.Spec.HolderIdentity != "b" || *lease.Spec.LeaseTransitions != 1 {
		t.Fatalf("lease holder %q transitions %d", *lease.Spec.HolderIdentity, *lease.Spec.LeaseTransitions)
	}
}

func TestInformerSelectorsAndFactorySharing(t *testing.T) {
	c := apiservertest.Start(t)
	ctx := context.Background()
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	for i, node := range []string{"node-1", "node-2", "node-1"} {
		p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"n": fmt.Sprint(i)}},
			Spec: core.PodSpec{NodeName: node, Containers: []core.Container{{Name: "c", Image: "img"}}}}
		if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f := controller.NewFactory(c, nil)
	byNode, _ := controller.InformerFor[*core.Pod](f, controller.InformerOptions{FieldSelector: "spec.nodeName=node-1"})
	again, _ := controller.InformerFor[*core.Pod](f, controller.InformerOptions{FieldSelector: "spec.nodeName=node-1"})
	byLabel, _ := controller.InformerFor[*core.Pod](f, controller.InformerOptions{LabelSelector: "n in (1,2)"})
	all, _ := controller.InformerFor[*core.Pod](f, controller.InformerOptions{})
	if byNode != again {
		t.Fatal("the factory made two informers for one selector")
	}
	if byNode == all || byLabel == all {
		t.Fatal("different selectors share an informer")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.Start(runCtx)
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := f.WaitForCacheSync(wctx); err != nil {
		t.Fatal(err)
	}
	names := func(inf *controller.Informer[*core.Pod]) string {
		var out []string
		for _, p := range inf.List(nil) {
			out = append(out, p.Name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name string
		inf  *controller.Informer[*core.Pod]
		want string
	}{
		{"field selector", byNode, "p0,p2"},
		{"label selector", byLabel, "p1,p2"},
		{"everything", all, "p0,p1,p2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.inf); got != tt.want {
				t.Fatalf("cached %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	noop := controller.ReconcilerFunc(func(context.Context, controller.Request) (controller.Result, error) { return controller.Result{}, nil })
	tests := []struct {
		name  string
		cname string
		r     controller.Reconciler
		ok    bool
	}{
		{"valid", "x", noop, true},
		{"no name", "", noop, false},
		{"no reconciler", "x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := controller.New(tt.cname, tt.r, nil)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, controller.ErrInvalidArgument)) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestEnqueueOwnerGroup(t *testing.T) {
	yes := true
	pod := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "p", Namespace: "ns",
		OwnerReferences: []meta.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs", UID: "u", Controller: &yes}}}}
	for _, tc := range []struct {
		kind string
		want int
	}{{"ReplicaSet", 1}, {"ReplicaSet.apps", 1}, {"ReplicaSet.example.com", 0}, {"Deployment", 0}} {
		if got := controller.EnqueueOwner[*core.Pod](tc.kind)(pod); len(got) != tc.want || (tc.want == 1 && got[0].Name != "rs") {
			t.Errorf("EnqueueOwner(%q) = %v", tc.kind, got)
		}
	}
}
