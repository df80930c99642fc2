package etcdproc

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func newClient(t testing.TB, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestStartBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		dir  string
		opts Options
	}{
		{"negative members", t.TempDir(), Options{Members: -1}},
		{"empty dir", "", Options{}},
		{"missing binary", t.TempDir(), Options{Binary: "/nonexistent/etcd-longshore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Start(ctx, tc.dir, tc.opts)
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded, want an error")
			}
		})
	}
}

func TestSingleMember(t *testing.T) {
	c := StartForTest(t, 1)
	if got := len(c.Endpoints()); got != 1 {
		t.Fatalf("endpoints = %d, want 1", got)
	}
	cli := newClient(t, c.Endpoints()...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put: %v", err)
	}
	st, err := cli.Status(ctx, c.Endpoints()[0])
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Header.Revision != 2 {
		t.Fatalf("revision after one put = %d, want 2", st.Header.Revision)
	}
	// Restart keeps the data.
	if err := c.Restart(ctx, 0); err != nil {
		t.Fatalf("restart: %v", err)
	}
	resp, err := cli.Get(ctx, "k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("get after restart = %v, %v; want k=v", resp, err)
	}
	c.Stop()
	c.Stop() // idempotent
	sctx, scancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer scancel()
	if _, err := cli.Get(sctx, "k"); err == nil {
		t.Fatal("get after Stop succeeded")
	}
}

func TestClusterKillRestart(t *testing.T) {
	c := StartForTest(t, 3)
	eps := c.Endpoints()
	if len(eps) != 3 {
		t.Fatalf("endpoints = %v, want 3", eps)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli := newClient(t, eps...)
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(1); err != nil { // no-op on a dead member
		t.Fatal(err)
	}
	if err := c.Kill(7); err == nil {
		t.Fatal("Kill(7) on a 3-member cluster succeeded")
	}
	// Two of three members are a quorum: writes go on.
	// A put may time out while the survivors elect a new leader: retry.
	for i := range 5 {
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, err := cli.Put(ctx, fmt.Sprintf("k%d", i), "v")
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("put with one member down: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := c.Restart(ctx, 1); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// The restarted member catches up and serves the writes made while it was down.
	one := newClient(t, eps[1])
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := one.Get(ctx, "k", clientv3.WithPrefix(), clientv3.WithSerializable())
		if err == nil && len(resp.Kvs) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted member has %v keys (err %v), want 5", resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartCancelled(t *testing.T) {
	StartForTest(t, 1) // gate only; the cluster it starts is unused
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := Start(ctx, t.TempDir(), Options{})
	if err == nil {
		c.Stop()
		t.Fatal("Start with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnhealthy) {
		t.Fatalf("err = %v, want ErrUnhealthy wrapping context.Canceled", err)
	}
}

// BenchmarkStartStop measures starting a cluster until it is healthy and
// stopping it.
func BenchmarkStartStop(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			StartForTest(b, 1).Stop() // gate only
			ctx := context.Background()
			for range b.N {
				c, err := Start(ctx, b.TempDir(), Options{Members: n})
				if err != nil {
					b.Fatal(err)
				}
				c.Stop()
			}
		})
	}
}
