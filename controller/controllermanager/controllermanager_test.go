package controllermanager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

type replica struct {
	id     string
	m      *controller.Manager
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, c *client.Client, id string, opts Options) *replica {
	t.Helper()
	opts.Identity = id
	m, err := New(c, &opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{id: id, m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func deploymentOf(name string) *apps.Deployment {
	n := int32(2)
	return &apps.Deployment{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default"},
		Spec: apps.DeploymentSpec{Replicas: &n, Selector: &meta.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: core.PodTemplateSpec{ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img"}}}}},
	}
}

// rollsOut creates a Deployment, waits for its pods, and returns the
// identities that reported scaling it in events.
func rollsOut(t *testing.T, c *client.Client, name string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	if _, err := client.MustFor[*apps.Deployment](c).Create(ctx, deploymentOf(name), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	apiservertest.Eventually(t, 15*time.Second, func() error {
		l, err := pods.List(ctx, client.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return err
		}
		if len(l.Items) != 2 {
			return fmt.Errorf("%d pods of %s", len(l.Items), name)
		}
		return nil
	})
	hosts := map[string]bool{}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		l, err := client.MustFor[*core.Event](c).Namespace("default").List(ctx, client.ListOptions{})
		if err != nil {
			return err
		}
		for _, ev := range l.Items {
			if ev.InvolvedObject.Name == name && ev.Reason == "ScalingReplicaSet" {
				hosts[ev.Source.Host] = true
			}
		}
		if len(hosts) == 0 {
			return errors.New("no ScalingReplicaSet event yet")
		}
		return nil
	})
	return hosts
}

func leaseHolder(t *testing.T, c *client.Client) string {
	t.Helper()
	l, err := client.MustFor[*coordination.Lease](c).Namespace(DefaultLeaseNamespace).Get(context.Background(), DefaultLeaseName)
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func TestOnlyLeaderActsAndFailover(t *testing.T) {
	c := apiservertest.Start(t)
	apiservertest.Namespace(t, c, DefaultLeaseNamespace)
	opts := Options{LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 300 * time.Millisecond,
		NodeMonitorGracePeriod: time.Minute}
	a := start(t, c, "replica-a", opts)
	b := start(t, c, "replica-b", opts)
	var leader, follower *replica
	apiservertest.Eventually(t, 10*time.Second, func() error {
		la, lb := a.m.IsLeader(), b.m.IsLeader()
		switch {
		case la && lb:
			return errors.New("both replicas lead")
		case la:
			leader, follower = a, b
		case lb:
			leader, follower = b, a
		default:
			return errors.New("no leader yet")
		}
		if h := leaseHolder(t, c); h != leader.id {
			return fmt.Errorf("lease held by %q, leader is %q", h, leader.id)
		}
		return nil
	})
	if hosts := rollsOut(t, c, "first"); len(hosts) != 1 || !hosts[leader.id] {
		t.Fatalf("scaling events from %v, want only the leader %s", hosts, leader.id)
	}
	if follower.m.IsLeader() {
		t.Fatal("follower leads too")
	}

	// The leader goes away: the follower takes over within the lease duration.
	leader.cancel()
	if err := <-leader.done; err != nil {
		t.Fatalf("leader stopped with %v", err)
	}
	leader.done <- nil // for the cleanup
	apiservertest.Eventually(t, opts.LeaseDuration+time.Second, func() error {
		if !follower.m.IsLeader() {
			return errors.New("follower has not taken over")
		}
		return nil
	})
	if hosts := rollsOut(t, c, "second"); len(hosts) != 1 || !hosts[follower.id] {
		t.Fatalf("scaling events from %v, want only the new leader %s", hosts, follower.id)
	}

	// Deleting the Deployment cascades through the garbage collector to
	// its ReplicaSet and pods.
	ctx := context.Background()
	if err := client.MustFor[*apps.Deployment](c).Namespace("default").Delete(ctx, "second", nil); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 15*time.Second, func() error {
		rs, err := client.MustFor[*apps.ReplicaSet](c).Namespace("default").List(ctx, client.ListOptions{LabelSelector: "app=second"})
		if err != nil {
			return err
		}
		pods, err := client.MustFor[*core.Pod](c).Namespace("default").List(ctx, client.ListOptions{LabelSelector: "app=second"})
		if err != nil {
			return err
		}
		if len(rs.Items)+len(pods.Items) > 0 {
			return fmt.Errorf("%d replica sets and %d pods left", len(rs.Items), len(pods.Items))
		}
		return nil
	})
}

func TestEndpointsAndOptions(t *testing.T) {
	c := apiservertest.Start(t)
	tests := []struct {
		name    string
		opts    Options
		wantErr error
	}{
		{"unknown controller", Options{Controllers: []string{"nope"}}, ErrUnknownController},
		{"subset", Options{Controllers: []string{ReplicaSet, Deployment}, NoLeaderElection: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(c, &tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New error %v, want %v", err, tt.wantErr)
			}
		})
	}

	r := start(t, c, "solo", Options{Addr: "127.0.0.1:0", NoLeaderElection: true})
	var addr string
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if a := r.m.Addr(); a != nil {
			addr = a.String()
			return nil
		}
		return errors.New("no address yet")
	})
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if code, body := get("/readyz"); code != http.StatusOK {
			return fmt.Errorf("readyz %d %s", code, body)
		}
		return nil
	})
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz %d", code)
	}
	rollsOut(t, c, "solo")
	if _, body := get("/metrics"); !strings.Contains(body, "deployment-controller") {
		t.Fatal("metrics do not mention the deployment controller")
	}
}
