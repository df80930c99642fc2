package leaderelection_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/leaderelection"
)

func fast(id string) leaderelection.Config {
	return leaderelection.Config{Namespace: "kube-system", Name: "lock", Identity: id,
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 50 * time.Millisecond}
}

func TestConfigValidation(t *testing.T) {
	c := apiservertest.Start(t)
	tests := []struct {
		name string
		cfg  leaderelection.Config
		ok   bool
	}{
		{"defaults", leaderelection.Config{Namespace: "ns", Name: "l", Identity: "a"}, true},
		{"missing identity", leaderelection.Config{Namespace: "ns", Name: "l"}, false},
		{"renew deadline not below lease", leaderelection.Config{Namespace: "ns", Name: "l", Identity: "a", LeaseDuration: time.Second, RenewDeadline: time.Second}, false},
		{"retry not below renew", leaderelection.Config{Namespace: "ns", Name: "l", Identity: "a", RenewDeadline: time.Second, RetryPeriod: time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := leaderelection.New(c, tt.cfg)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, leaderelection.ErrInvalidConfig)) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

type candidate struct {
	e      *leaderelection.Elector
	cancel context.CancelFunc
	done   chan error
}

func campaign(t *testing.T, c *client.Client, cfg leaderelection.Config, leaders *atomic.Int32, maxLeaders *atomic.Int32) *candidate {
	t.Helper()
	cfg.Callbacks.OnStartedLeading = func(ctx context.Context) {
		n := leaders.Add(1)
		for {
			m := maxLeaders.Load()
			if n <= m || maxLeaders.CompareAndSwap(m, n) {
				break
			}
		}
		<-ctx.Done()
		leaders.Add(-1)
	}
	e, err := leaderelection.New(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cd := &candidate{e: e, cancel: cancel, done: make(chan error, 1)}
	go func() { cd.done <- e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-cd.done })
	return cd
}

func lease(t *testing.T, c *client.Client) *coordination.Lease {
	t.Helper()
	l, err := client.MustFor[*coordination.Lease](c).Namespace("kube-system").Get(context.Background(), "lock")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOneLeaderAndRelease(t *testing.T) {
	c := apiservertest.Start(t)
	var leaders, maxLeaders atomic.Int32
	var mu sync.Mutex
	var seen []string
	cands := map[string]*candidate{}
	for _, id := range []string{"a", "b", "c"} {
		cfg := fast(id)
		cfg.LeaseDuration = 5 * time.Second // far above the take-over bound below
		cfg.Callbacks.OnNewLeader = func(l string) {
			mu.Lock()
			seen = append(seen, id+" sees "+l)
			mu.Unlock()
		}
		cands[id] = campaign(t, c, cfg, &leaders, &maxLeaders)
	}
	var leader string
	apiservertest.Eventually(t, 5*time.Second, func() error {
		n := 0
		for id, cd := range cands {
			if cd.e.IsLeader() {
				leader = id
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d leaders", n)
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond) // several renewals
	if maxLeaders.Load() != 1 {
		t.Fatalf("%d leaders at once", maxLeaders.Load())
	}
	for id, cd := range cands {
		if cd.e.Leader() != leader {
			t.Fatalf("%s sees leader %q, want %q", id, cd.e.Leader(), leader)
		}
	}
	before := lease(t, c)
	// Stop the leader: it releases, another takes over without waiting
	// for the 5 s lease to expire.
	cands[leader].cancel()
	if err := <-cands[leader].done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	cands[leader].done <- nil // for Cleanup
	start := time.Now()
	apiservertest.Eventually(t, 5*time.Second, func() error {
		l := lease(t, c)
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == leader || *l.Spec.HolderIdentity == "" {
			return fmt.Errorf("holder %v", l.Spec.HolderIdentity)
		}
		return nil
	})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("take-over took %v", d)
	}
	after := lease(t, c)
	if *after.Spec.LeaseTransitions != *before.Spec.LeaseTransitions+1 {
		t.Fatalf("transitions %d -> %d", *before.Spec.LeaseTransitions, *after.Spec.LeaseTransitions)
	}
	if maxLeaders.Load() != 1 {
		t.Fatalf("%d leaders at once", maxLeaders.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 3 {
		t.Fatalf("OnNewLeader calls: %v", seen)
	}
}

func TestTakeOverAfterExpiry(t *testing.T) {
	c := apiservertest.Start(t)
	var leaders, maxLeaders atomic.Int32
	cfg := fast("a")
	cfg.KeepOnCancel = true // a crash: the lease is not released
	a := campaign(t, c, cfg, &leaders, &maxLeaders)
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if !a.e.IsLeader() {
			return errors.New("a does not lead")
		}
		return nil
	})
	a.cancel()
	<-a.done
	a.done <- nil
	start := time.Now()
	b := campaign(t, c, fast("b"), &leaders, &maxLeaders)
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if !b.e.IsLeader() {
			return errors.New("b does not lead")
		}
		return nil
	})
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("b took an unexpired lease after %v", d)
	}
}

func TestLeadershipLostWhenLeaseTaken(t *testing.T) {
	c := apiservertest.Start(t)
	var leaders, maxLeaders atomic.Int32
	stopped := make(chan struct{})
	cfg := fast("a")
	cfg.Callbacks.OnStoppedLeading = func() { close(stopped) }
	a := campaign(t, c, cfg, &leaders, &maxLeaders)
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if leaders.Load() != 1 {
			return errors.New("a does not lead")
		}
		return nil
	})
	// Someone else overwrites the lease (say, an operator).
	l := lease(t, c)
	intruder := "intruder"
	l.Spec.HolderIdentity = &intruder
	if _, err := client.MustFor[*coordination.Lease](c).Update(context.Background(), l, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.done:
		a.done <- nil
		if !errors.Is(err, leaderelection.ErrLeadershipLost) {
			t.Fatalf("Run = %v, want ErrLeadershipLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("leader did not notice")
	}
	<-stopped
	if leaders.Load() != 0 {
		t.Fatal("leading context not cancelled")
	}
	if h := lease(t, c).Spec.HolderIdentity; h == nil || *h != "intruder" {
		t.Fatalf("the lost leader released someone else's lease: %v", h)
	}
}
