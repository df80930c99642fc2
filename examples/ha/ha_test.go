package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/scheduler"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TestRaftKillLeader runs three members over store/raft as separate
// processes, writes through all three API servers, SIGKILLs the raft
// leader's process and checks that the survivors keep serving, that no
// acknowledged write is lost, and that the components' Leases held by the
// killed member move to a survivor. It then restarts the killed member
// (it catches up), kills the scheduler Lease's holder, and checks the
// same again, so a Lease handover is exercised in every run.
func TestRaftKillLeader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h := startHA(t, nil)
	h.waitAllReady(ctx)

	leader := h.raftLeader(ctx)
	t.Logf("raft leader: %s", leader.id)
	h.killAndCheck(ctx, leader, true)

	// Phase 2: the killed member comes back and catches up, then the
	// scheduler Lease's holder dies.
	h.start(leader)
	h.waitReady(ctx, leader)
	if got := h.raftLeader(ctx); got == nil {
		t.Fatal("no raft leader after restart")
	}
	all := h.procs
	acked := h.ackedSoFar
	if err := checkAcked(ctx, leader, acked); err != nil {
		t.Fatalf("restarted member did not catch up: %v", err)
	}
	t.Logf("restarted %s caught up: all %d acknowledged writes readable through it", leader.id, len(acked))
	hold, err := holders(ctx, all[0].client)
	if err != nil {
		t.Fatal(err)
	}
	victim := h.member(hold[scheduler.DefaultLeaseName])
	if victim == nil {
		t.Fatalf("scheduler Lease held by %q, not a member", hold[scheduler.DefaultLeaseName])
	}
	h.killAndCheck(ctx, victim, false)

	// With all three back (one alone has no quorum to read through), a
	// graceful stop releases the Leases.
	h.start(victim)
	h.waitReady(ctx, victim)
	h.terminateOne(ctx)
}

// TestEtcdKillMember is the external topology: three members over a
// 3-member etcd cluster. It SIGKILLs the member holding the scheduler
// Lease and one etcd member, and checks the same properties.
func TestEtcdKillMember(t *testing.T) {
	ec := etcdproc.StartForTest(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := startHA(t, ec.Endpoints())
	h.waitAllReady(ctx)
	hold, err := holders(ctx, h.procs[0].client)
	if err != nil {
		t.Fatal(err)
	}
	victim := h.member(hold[scheduler.DefaultLeaseName])
	if victim == nil {
		t.Fatalf("scheduler Lease held by %q, not a member", hold[scheduler.DefaultLeaseName])
	}
	etcdLeader := etcdLeaderIndex(ctx, t, ec.Endpoints())
	h.beforeKill = func() {
		t.Logf("killing etcd member %d (the etcd leader) too", etcdLeader)
		if err := ec.Kill(etcdLeader); err != nil {
			t.Errorf("kill etcd member %d: %v", etcdLeader, err)
		}
	}
	h.killAndCheck(ctx, victim, false)
	h.terminateOne(ctx)
}

// etcdLeaderIndex returns the index in endpoints of the etcd leader.
func etcdLeaderIndex(ctx context.Context, t testing.TB, endpoints []string) int {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for i, ep := range endpoints {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := cli.Status(sctx, ep)
		cancel()
		if err != nil {
			t.Fatalf("etcd status of %s: %v", ep, err)
		}
		if st.Header.MemberId == st.Leader {
			return i
		}
	}
	t.Fatal("no etcd member says it leads")
	return -1
}

// terminateOne sends SIGTERM to a running member holding a Lease and
// checks that it shuts down gracefully: it exits with status 0 within a
// bound, and its Leases are released (or taken over) well before they
// would expire.
func (h *haCluster) terminateOne(ctx context.Context) {
	t := h.t
	t.Helper()
	hold, err := holders(ctx, h.procs[0].client)
	if err != nil {
		for _, p := range h.procs {
			if p.running() {
				hold, err = holders(ctx, p.client)
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	p := h.member(hold[scheduler.DefaultLeaseName])
	if p == nil || !p.running() {
		t.Fatalf("scheduler Lease held by %q, not a running member", hold[scheduler.DefaultLeaseName])
	}
	var other *proc
	for _, q := range h.procs {
		if q != p && q.running() {
			other = q
		}
	}
	start := time.Now()
	if err := p.terminate(20 * time.Second); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.id, err)
	}
	t.Logf("%s exited cleanly %v after SIGTERM", p.id, time.Since(start).Round(time.Millisecond))
	if other == nil {
		return
	}
	// Released on the way out: the Lease is free (or already re-taken by
	// the other member) without waiting out its 4 s duration.
	lease, err := client.MustFor[*coordination.Lease](other.client).Namespace("kube-system").Get(ctx, scheduler.DefaultLeaseName)
	if err != nil {
		t.Fatal(err)
	}
	if got := holder(lease); got == p.id {
		t.Errorf("scheduler Lease still held by %s after its graceful exit", p.id)
	}
}

// waitAllReady waits for every member to serve and for both Leases to be
// held by a member.
func (h *haCluster) waitAllReady(ctx context.Context) {
	h.t.Helper()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Go(func() { h.waitReady(rctx, p) })
	}
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
	err := poll(rctx, 200*time.Millisecond, func() error {
		hold, err := holders(rctx, h.procs[0].client)
		if err != nil {
			return err
		}
		for lease, id := range hold {
			if h.member(id) == nil {
				return fmt.Errorf("lease %s held by %q", lease, id)
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatalf("Leases not taken: %v", err)
	}
}

// raftLeader returns the member that all running members agree leads raft.
func (h *haCluster) raftLeader(ctx context.Context) *proc {
	h.t.Helper()
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var leader *proc
	err := poll(lctx, 100*time.Millisecond, func() error {
		leader = nil
		for _, p := range h.procs {
			if !p.running() {
				continue
			}
			st, err := p.status(lctx)
			if err != nil {
				return err
			}
			l := h.member(st.RaftLeader)
			if l == nil || leader != nil && l != leader {
				return fmt.Errorf("members disagree on the raft leader (%s says %q)", p.id, st.RaftLeader)
			}
			leader = l
		}
		st, err := leader.status(lctx)
		if err != nil || !st.IsRaftLeader {
			return fmt.Errorf("%s does not see itself as leader (%v)", leader.id, err)
		}
		return nil
	})
	if err != nil {
		h.t.Fatalf("find raft leader: %v", err)
	}
	return leader
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// killAndCheck runs a write load on every running member, SIGKILLs victim
// in the middle of it, and checks: each survivor acknowledges a write
// within a bound; every acknowledged write is readable through every
// survivor at its revision or later; every Lease victim held moves to a
// survivor (watched through a survivor's API server). With raftCheck, the
// survivors must also agree on a new raft leader among them.
func (h *haCluster) killAndCheck(ctx context.Context, victim *proc, raftCheck bool) {
	t := h.t
	t.Helper()
	var live, survivors []*proc
	for _, p := range h.procs {
		if p.running() {
			live = append(live, p)
			if p != victim {
				survivors = append(survivors, p)
			}
		}
	}
	watch := watchLeases(ctx, t, survivors[0].client)
	before := map[string]string{}
	for _, name := range leaseNames {
		before[name] = watch.current(name)
	}
	t.Logf("killing %s; Lease holders before: %v", victim.id, before)

	loadCtx, stopLoad := context.WithTimeout(ctx, time.Minute)
	defer stopLoad()
	h.phase++
	ld := startLoad(loadCtx, strconv.Itoa(h.phase), live, 2, 5000)
	time.Sleep(3 * time.Second)
	ackedBefore, _ := ld.snapshot()
	if len(ackedBefore) == 0 {
		t.Fatal("no write acknowledged before the kill")
	}
	if h.beforeKill != nil {
		h.beforeKill()
	}
	killed := time.Now()
	victim.kill()

	// Each survivor serves writes again within a bound.
	const serveBound = 30 * time.Second
	sctx, cancel := context.WithTimeout(ctx, serveBound)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range survivors {
		wg.Go(func() {
			d, err := writeWithin(sctx, p, "probe-"+victim.id)
			if err != nil {
				t.Errorf("%s did not acknowledge a write within %v of the kill: %v", p.id, serveBound, err)
				return
			}
			t.Logf("%s acknowledged a write %v after the kill", p.id, d.Round(time.Millisecond))
		})
	}
	wg.Wait()

	// The victim's Leases move to a survivor.
	const leaseBound = 45 * time.Second
	lctx, lcancel := context.WithTimeout(ctx, leaseBound)
	defer lcancel()
	isSurvivor := func(id string) bool {
		return slices.ContainsFunc(survivors, func(p *proc) bool { return p.id == id })
	}
	moved := 0
	for _, name := range leaseNames {
		if before[name] != victim.id {
			if now := watch.current(name); !isSurvivor(now) {
				t.Errorf("Lease %s: held by %q, want a survivor", name, now)
			}
			continue
		}
		now, err := watch.waitFor(lctx, name, isSurvivor)
		if err != nil {
			t.Errorf("Lease %s did not move from killed %s to a survivor within %v: %v", name, victim.id, leaseBound, err)
			continue
		}
		moved++
		t.Logf("Lease %s moved %s -> %s, %v after the kill", name, victim.id, now, time.Since(killed).Round(time.Millisecond))
	}
	t.Logf("Lease changes seen by the watch: %v", watch.changes())

	// Let the load run on the survivors a little longer, then stop it.
	time.Sleep(2 * time.Second)
	stopLoad()
	ld.wg.Wait()
	acked, fails := ld.snapshot()
	t.Logf("load: %d creates acknowledged (%d before the kill), %d failed or unacknowledged; %d Lease(s) handed over",
		len(acked), len(ackedBefore), fails, moved)
	if len(acked) <= len(ackedBefore) {
		t.Errorf("no write acknowledged after the kill (%d before, %d in all)", len(ackedBefore), len(acked))
	}
	if h.ackedSoFar == nil {
		h.ackedSoFar = map[string]int64{}
	}
	for k, v := range acked {
		h.ackedSoFar[k] = v
	}
	for _, p := range survivors {
		if err := checkAcked(ctx, p, h.ackedSoFar); err != nil {
			t.Error(err)
		} else {
			t.Logf("all %d acknowledged writes readable through %s", len(h.ackedSoFar), p.id)
		}
	}
	if raftCheck {
		l := h.raftLeader(ctx)
		if l == victim {
			t.Errorf("raft leader is still the killed %s", victim.id)
		}
		t.Logf("new raft leader: %s", l.id)
	}
	if t.Failed() {
		t.FailNow()
	}
}
