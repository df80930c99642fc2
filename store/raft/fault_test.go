package raft

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/longshore/longshore/store"
)

const linPrefix = "/lin/"

// load runs clients doing get/create/update/CAS/delete on a few keys
// against random live replicas, recording every call in h.
type load struct {
	c       *cluster
	h       *history
	keys    []string
	acked   atomic.Int64
	unknown atomic.Int64
}

func (l *load) run(ctx context.Context, client int, maxOps int) {
	rng := rand.New(rand.NewPCG(uint64(client), 7))
	lastRev := map[string]int64{}
	for i := 0; i < maxOps && ctx.Err() == nil; i++ {
		nodes := l.c.up()
		if len(nodes) == 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		n := nodes[rng.IntN(len(nodes))]
		key := l.keys[rng.IntN(len(l.keys))]
		value := fmt.Sprintf("c%d-%d", client, i)
		var in kvInput
		switch p := rng.IntN(100); {
		case p < 30:
			in = kvInput{Op: opGet, Key: key}
		case p < 45:
			in = kvInput{Op: opPut, Key: key, Value: value}
		case p < 65:
			in = kvInput{Op: opSet, Key: key, Value: value}
		case p < 90 && lastRev[key] > 0: // modRevision 0 would be unconditional
			in = kvInput{Op: opCAS, Key: key, Value: value, Rev: lastRev[key]}
		case p < 90:
			in = kvInput{Op: opSet, Key: key, Value: value}
		default:
			in = kvInput{Op: opRemove, Key: key}
		}
		opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		call := l.h.now()
		out, record := l.do(opCtx, n, in)
		cancel()
		if out.Kind == outOK && in.Op == opGet {
			lastRev[key] = out.Rev
		}
		if !record {
			continue
		}
		switch {
		case out.Kind == outUnknown:
			l.unknown.Add(1)
		case in.Op != opGet:
			l.acked.Add(1)
		}
		l.h.add(client, in, call, out)
		time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
}

// do runs one operation. record is false when the call certainly had no
// effect and returned nothing worth checking (a failed read, a write
// refused before reaching any leader).
func (l *load) do(ctx context.Context, n *Node, in kvInput) (out kvOutput, record bool) {
	var (
		kv  *store.KeyValue
		rev int64
		err error
	)
	key := linPrefix + in.Key
	switch in.Op {
	case opGet:
		kv, err = n.Get(ctx, key, store.GetOptions{})
	case opPut:
		kv, err = n.Create(ctx, key, []byte(in.Value), 0)
	case opSet:
		kv, err = n.Update(ctx, key, []byte(in.Value), 0)
	case opCAS:
		kv, err = n.Update(ctx, key, []byte(in.Value), in.Rev)
	case opRemove:
		_, rev, err = n.Delete(ctx, key, 0)
	}
	switch {
	case err == nil:
		if kv != nil {
			return kvOutput{Kind: outOK, Value: string(kv.Value), Rev: kv.ModRevision}, true
		}
		return kvOutput{Kind: outOK, Rev: rev}, true
	case errors.Is(err, store.ErrNotFound):
		return kvOutput{Kind: outNotFound}, true
	case errors.Is(err, store.ErrExists):
		return kvOutput{Kind: outExists}, true
	case errors.Is(err, store.ErrConflict):
		return kvOutput{Kind: outConflict}, true
	case in.Op == opGet:
		return kvOutput{}, false
	case errors.Is(err, ErrOutcomeUnknown):
		return kvOutput{Kind: outUnknown}, true
	case errors.Is(err, ErrNoLeader), errors.Is(err, store.ErrClosed):
		return kvOutput{}, false
	}
	return kvOutput{Kind: outUnknown}, true
}

// watchRecorder keeps one watcher per replica slot alive through
// restarts, resuming after the last revision it delivered.
type watchRecorder struct {
	c      *cluster
	mu     sync.Mutex
	events [][]store.Event
	errs   []error
}

func (w *watchRecorder) run(ctx context.Context, slot int) {
	var last int64
	for ctx.Err() == nil {
		n := w.c.node(slot)
		if n == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		wt, err := n.Watch(ctx, linPrefix, store.WatchOptions{Revision: last + 1})
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for ev := range wt.Events() {
			w.mu.Lock()
			if ev.Revision <= last {
				w.errs = append(w.errs, fmt.Errorf("replica %d: event at revision %d after %d (duplicate or out of order)", slot, ev.Revision, last))
			}
			w.events[slot] = append(w.events[slot], ev)
			w.mu.Unlock()
			last = ev.Revision
		}
		wt.Close()
	}
}

func (w *watchRecorder) last(slot int) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	evs := w.events[slot]
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Revision
}

// faultRun is one fault scenario under load.
type faultRun struct {
	name     string
	tune     func(*Config)
	duration time.Duration
	// fault runs beside the load and returns when the cluster is whole
	// again.
	fault func(t *testing.T, c *cluster)
}

func TestFaultsLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("fault runs take ~10s each")
	}
	smallSnapshots := func(cfg *Config) {
		cfg.SnapshotThreshold = 50
		cfg.TrailingLogs = 5
		cfg.SnapshotInterval = 200 * time.Millisecond
	}
	runs := []faultRun{
		{name: "kill-leader", duration: 8 * time.Second, fault: func(t *testing.T, c *cluster) {
			time.Sleep(2 * time.Second)
			l := c.leader()
			if l < 0 {
				t.Error("no leader to kill")
				return
			}
			c.stop(l)
			time.Sleep(3 * time.Second)
			c.start(l, nil, true)
		}},
		{name: "partition-leader", duration: 8 * time.Second, fault: func(t *testing.T, c *cluster) {
			time.Sleep(2 * time.Second)
			l := c.leader()
			if l < 0 {
				t.Error("no leader to partition")
				return
			}
			c.net.isolate(c.addrs[l], c.addrs)
			time.Sleep(3 * time.Second)
			c.net.heal()
		}},
		{name: "follower-empty-restart", duration: 8 * time.Second, fault: func(t *testing.T, c *cluster) {
			time.Sleep(2 * time.Second)
			f := c.follower()
			c.stop(f)
			c.wipe(f)
			time.Sleep(time.Second)
			c.start(f, nil, false)
		}},
		{name: "snapshot-install", duration: 8 * time.Second, tune: smallSnapshots, fault: func(t *testing.T, c *cluster) {
			time.Sleep(time.Second)
			f := c.follower()
			c.net.isolate(c.addrs[f], c.addrs)
			time.Sleep(time.Second)
			// Clients stuck on the isolated replica slow the load: write
			// enough beside it that the follower falls behind the
			// leader's trimmed log.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l := c.waitLeader(10 * time.Second)
			if l < 0 {
				return
			}
			for i := range 100 {
				if _, err := c.node(l).Create(ctx, fmt.Sprintf("/fill/%d", i), []byte("x"), 0); err != nil {
					t.Errorf("fill write: %v", err)
					return
				}
			}
			if err := c.node(l).Snapshot(ctx); err != nil {
				t.Logf("forced snapshot: %v", err)
			}
			time.Sleep(time.Second)
			c.net.heal()
			deadline := time.Now().Add(15 * time.Second)
			for c.node(f).fsm.restores.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if c.node(f).fsm.restores.Load() == 0 {
				t.Error("the lagging follower never installed a snapshot")
			}
		}},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) { runFault(t, run) })
	}
}

func runFault(t *testing.T, run faultRun) {
	c := newCluster(t, 3, run.tune)
	l := &load{c: c, h: newHistory(), keys: []string{"a", "b", "c", "d"}}
	w := &watchRecorder{c: c, events: make([][]store.Event, len(c.ids))}

	ctx, cancel := context.WithTimeout(context.Background(), run.duration)
	defer cancel()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	var wg, wwg sync.WaitGroup
	for slot := range c.ids {
		wwg.Add(1)
		go func() { defer wwg.Done(); w.run(watchCtx, slot) }()
	}
	for client := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); l.run(ctx, client, 3000) }()
	}
	faultDone := make(chan struct{})
	go func() { defer close(faultDone); run.fault(t, c) }()
	wg.Wait()
	<-faultDone

	// The cluster is whole again: every key reads the same on every
	// replica, and those reads join the history.
	leader := c.waitLeader(30 * time.Second)
	if leader < 0 {
		t.FailNow()
	}
	final, cancelFinal := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelFinal()
	for i, n := range c.up() {
		for _, k := range l.keys {
			call := l.h.now()
			out, ok := l.do(final, n, kvInput{Op: opGet, Key: k})
			if !ok {
				t.Fatalf("final read of %s on %s failed", k, n.ID())
			}
			l.h.add(100+i, kvInput{Op: opGet, Key: k}, call, out)
		}
	}
	t.Logf("%s: %d operations, %d writes acknowledged, %d ambiguous", run.name, len(l.h.operations()), l.acked.Load(), l.unknown.Load())
	if l.acked.Load() < 20 {
		t.Errorf("only %d writes acknowledged: the load made no progress", l.acked.Load())
	}

	res, info := porcupine.CheckOperationsVerbose(kvModel.ToModel(), l.h.operations(), 60*time.Second)
	if res != porcupine.Ok {
		path := filepath.Join(t.TempDir(), "history.html")
		if os.Getenv("LONGSHORE_RAFT_HISTORY_DIR") != "" {
			path = filepath.Join(os.Getenv("LONGSHORE_RAFT_HISTORY_DIR"), run.name+".html")
		}
		_ = porcupine.VisualizePath(kvModel.ToModel(), info, path)
		logIllegalPartition(t, l.h.operations())
		t.Fatalf("history is not linearizable (%v); visualization in %s", res, path)
	}

	// Watches: each replica's stream equals the store's history, with no
	// gap or duplicate across leader changes and restarts.
	// A last write under the prefix marks the end of the history.
	end, err := c.node(leader).Create(final, linPrefix+"zz-end", []byte("end"), 0)
	if err != nil {
		t.Fatal(err)
	}
	cur := end.ModRevision
	for slot := range c.ids {
		for w.last(slot) < cur && final.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	stopWatch()
	wwg.Wait()
	ref := referenceEvents(t, final, c.node(leader), cur)
	checkAcked(t, l.h.operations(), ref)
	for _, e := range w.errs {
		t.Error(e)
	}
	for slot := range c.ids {
		got := w.events[slot]
		if len(got) != len(ref) {
			t.Errorf("replica %d: watch delivered %d events, history has %d", slot, len(got), len(ref))
			continue
		}
		for i := range ref {
			if !sameEvent(got[i], ref[i]) {
				t.Errorf("replica %d: event %d is %s, want %s", slot, i, fmtEv(got[i]), fmtEv(ref[i]))
				break
			}
		}
	}
}

// referenceEvents replays the whole history under the prefix from n.
func referenceEvents(t *testing.T, ctx context.Context, n *Node, cur int64) []store.Event {
	t.Helper()
	wt, err := n.Watch(ctx, linPrefix, store.WatchOptions{Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	var out []store.Event
	for ev := range wt.Events() {
		out = append(out, ev)
		if ev.Revision >= cur {
			return out
		}
	}
	t.Fatalf("reference watch ended at %d events: %v", len(out), wt.Err())
	return nil
}

// checkAcked verifies that every acknowledged write is in the history at
// the revision it was acknowledged with.
func checkAcked(t *testing.T, ops []porcupine.Operation, ref []store.Event) {
	t.Helper()
	byRev := make(map[int64]store.Event, len(ref))
	for _, ev := range ref {
		byRev[ev.Revision] = ev
	}
	for _, op := range ops {
		in, out := op.Input.(kvInput), op.Output.(kvOutput)
		if in.Op == opGet || out.Kind != outOK {
			continue
		}
		ev, ok := byRev[out.Rev]
		switch {
		case !ok:
			t.Errorf("acknowledged %s of %s at revision %d is missing from the history", in.Op, in.Key, out.Rev)
		case ev.KV.Key != linPrefix+in.Key:
			t.Errorf("acknowledged %s of %s at revision %d: history has %s there", in.Op, in.Key, out.Rev, fmtEv(ev))
		case in.Op == opRemove && ev.Type != store.EventDelete:
			t.Errorf("acknowledged delete of %s at %d: history has %s", in.Key, out.Rev, fmtEv(ev))
		case in.Op != opRemove && (ev.Type != store.EventPut || string(ev.KV.Value) != in.Value):
			t.Errorf("acknowledged %s of %s=%s at %d: history has %s", in.Op, in.Key, in.Value, out.Rev, fmtEv(ev))
		}
	}
}

func sameEvent(a, b store.Event) bool {
	return a.Type == b.Type && a.Revision == b.Revision && a.KV.Key == b.KV.Key && string(a.KV.Value) == string(b.KV.Value)
}

func fmtEv(ev store.Event) string {
	return fmt.Sprintf("%s %s=%q@%d", ev.Type, ev.KV.Key, ev.KV.Value, ev.Revision)
}

// logIllegalPartition logs the operations on the first key whose history
// is not linearizable, in call order.
func logIllegalPartition(t *testing.T, ops []porcupine.Operation) {
	t.Helper()
	for _, part := range kvModel.Partition(ops) {
		if porcupine.CheckOperationsTimeout(kvModel.ToModel(), part, 10*time.Second) == porcupine.Ok {
			continue
		}
		sort.Slice(part, func(i, j int) bool { return part[i].Call < part[j].Call })
		for i, op := range part {
			if i >= 400 {
				break
			}
			t.Logf("client %3d [%12d, %20d] %s", op.ClientId, op.Call, op.Return, kvModel.DescribeOperation(op.Input, op.Output))
		}
		return
	}
}
