package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/longshore/longshore/store"
)

// walSegmentSize is the size the raft log's segment files are
// preallocated to (raft-wal's default is 64 MiB); a batch that does not
// fit ends the segment and the next one starts.
const walSegmentSize = 16 << 20

// walLog is the raft log store: raft-wal, except that entries below the
// first index are gone for readers too. raft-wal drops whole segments only
// and keeps serving truncated entries that are still in a kept segment;
// raft must see them missing, so that a follower that fell behind the
// trimmed log is sent a snapshot instead of the entries the snapshot
// replaced.
type walLog struct {
	*wal.WAL
}

// GetLog implements raft.LogStore.
func (w walLog) GetLog(index uint64, l *hraft.Log) error {
	first, err := w.WAL.FirstIndex()
	if err != nil {
		return err
	}
	if index < first {
		return hraft.ErrLogNotFound
	}
	return w.WAL.GetLog(index, l)
}

// Node is one replica of the replicated store. It implements store.Store:
// writes go through the raft leader (forwarded when this node follows),
// reads are linearizable unless the context asks otherwise (see
// WithSerializable), and watches are served by the local replica.
type Node struct {
	cfg     Config
	log     *slog.Logger
	r       *hraft.Raft
	fsm     *fsm
	db      replica
	leases  *leaseTracker
	mux     *mux
	trans   *hraft.NetworkTransport
	stream  *streamLayer
	logs    logStore
	grpc    *grpc.Server
	peers   *peers
	metrics *metrics
	addr    string
	reads   readBatcher

	// readyTerm is the term in which this node, as leader, has applied an
	// entry of its own: from then on its commit index covers every entry
	// of earlier terms and can serve reads.
	readyTerm    atomic.Uint64
	takingOffice atomic.Bool

	stop      chan struct{}
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
}

var _ store.Store = (*Node)(nil)

// Open starts a node: it opens (or creates) DataDir, starts the raft
// transport and the forwarding service on RaftAddr, bootstraps the cluster
// if Config.Bootstrap asks for it and DataDir is new, and returns without
// waiting for a leader. The local replica is rebuilt from the latest
// snapshot and the log at every start.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), leases: newLeaseTracker()}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.log = n.log.With("raft_node", cfg.NodeID)
	n.reads.fetch = n.fetchReadIndex
	ok := false
	defer func() {
		if !ok {
			n.shutdown()
		}
	}()

	raftDir := filepath.Join(cfg.DataDir, "raft")
	tmpDir := filepath.Join(cfg.DataDir, "tmp")
	for _, d := range []string{raftDir, tmpDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open raft node: %w", err)
		}
	}
	// A data directory keeps its log format: refuse the other one rather
	// than start over without the log.
	if err := checkLogFormat(raftDir, cfg.LogStore); err != nil {
		return nil, err
	}
	// The replica is a cache of the log, written without fsync: start it
	// afresh and let raft rebuild it from the snapshot and the log.
	replicaPath := filepath.Join(cfg.DataDir, "replica.db")
	if err := os.Remove(replicaPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open raft node: reset replica: %w", err)
	}
	db, err := openReplica(replicaPath, n.log)
	if err != nil {
		return nil, fmt.Errorf("open raft node: replica: %w", err)
	}
	n.db = db
	n.fsm = newFSM(db, tmpDir, n.leases, n.log)

	logs, err := openLogStore(raftDir, cfg.LogStore, n.log)
	if err != nil {
		return nil, fmt.Errorf("open raft node: log store: %w", err)
	}
	n.logs = logs
	cached, err := hraft.NewLogCache(1024, logs)
	if err != nil {
		return nil, fmt.Errorf("open raft node: %w", err)
	}
	hlog := newHCLog(n.log, "raft")
	snaps, err := hraft.NewFileSnapshotStoreWithLogger(raftDir, 2, hlog)
	if err != nil {
		return nil, fmt.Errorf("open raft node: snapshot store: %w", err)
	}

	ln := cfg.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", cfg.RaftAddr)
		if err != nil {
			return nil, fmt.Errorf("open raft node: %w", err)
		}
	}
	n.addr = cfg.RaftAddr
	if n.addr == "" {
		n.addr = ln.Addr().String()
	}
	advertise, err := net.ResolveTCPAddr("tcp", n.addr)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("open raft node: advertise address: %w", err)
	}
	n.mux = newMux(ln, cfg.TLS, cfg.Dialer)
	n.peers = &peers{m: n.mux, conns: map[string]*grpc.ClientConn{}}
	n.stream = &streamLayer{chanListener: n.mux.raftLn, m: n.mux, advertise: advertise}
	n.trans = hraft.NewNetworkTransportWithConfig(&hraft.NetworkTransportConfig{
		Stream:  n.stream,
		MaxPool: 4,
		Timeout: 10 * time.Second,
		Logger:  hlog,
	})
	n.grpc = grpc.NewServer(grpc.ForceServerCodec(frameCodec{}))
	n.grpc.RegisterService(&peerServiceDesc, n)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		_ = n.grpc.Serve(n.mux.grpcLn)
	}()

	rc := hraft.DefaultConfig()
	rc.LocalID = hraft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.BatchApplyCh = true
	rc.HeartbeatTimeout = orDuration(cfg.HeartbeatTimeout, rc.HeartbeatTimeout)
	rc.ElectionTimeout = orDuration(cfg.ElectionTimeout, rc.ElectionTimeout)
	rc.LeaderLeaseTimeout = orDuration(cfg.LeaderLeaseTimeout, min(rc.LeaderLeaseTimeout, rc.HeartbeatTimeout))
	rc.CommitTimeout = orDuration(cfg.CommitTimeout, rc.CommitTimeout)
	rc.SnapshotInterval = orDuration(cfg.SnapshotInterval, rc.SnapshotInterval)
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	if err := hraft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}

	if len(cfg.Bootstrap) > 0 {
		has, err := hraft.HasExistingState(cached, logs, snaps)
		if err != nil {
			return nil, fmt.Errorf("open raft node: %w", err)
		}
		if !has {
			var conf hraft.Configuration
			for _, p := range cfg.Bootstrap {
				conf.Servers = append(conf.Servers, hraft.Server{ID: hraft.ServerID(p.ID), Address: hraft.ServerAddress(p.Addr), Suffrage: hraft.Voter})
			}
			if err := hraft.BootstrapCluster(rc, cached, logs, snaps, n.trans, conf); err != nil {
				return nil, fmt.Errorf("open raft node: bootstrap: %w", err)
			}
		}
	}

	r, err := hraft.NewRaft(rc, n.fsm, cached, logs, snaps, n.trans)
	if err != nil {
		return nil, fmt.Errorf("open raft node: %w", err)
	}
	n.r = r
	if cfg.Registerer != nil {
		n.metrics, err = newMetrics(cfg.Registerer, n)
		if err != nil {
			return nil, fmt.Errorf("open raft node: %w", err)
		}
	}
	n.wg.Add(2)
	go n.watchLeadership()
	go n.expireLeases()
	ok = true
	return n, nil
}

// Addr returns the address this node advertises to its peers.
func (n *Node) Addr() string { return n.addr }

// ID returns the node's ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// IsLeader reports whether this node is the raft leader right now.
func (n *Node) IsLeader() bool { return n.r.State() == hraft.Leader }

// Leader returns the current leader's ID and address as this node knows
// them; both are empty when it knows of no leader.
func (n *Node) Leader() (id, addr string) {
	a, i := n.r.LeaderWithID()
	return string(i), string(a)
}

// AppliedIndex returns the index of the last raft log entry the local
// replica has applied.
func (n *Node) AppliedIndex() uint64 { return n.fsm.applied.Load() }

// WaitLeader blocks until the cluster has a leader that has taken office
// (as seen from this node) or ctx ends, and returns the leader's ID.
func (n *Node) WaitLeader(ctx context.Context) (string, error) {
	for {
		if id, _ := n.Leader(); id != "" {
			if !n.IsLeader() || n.ready() {
				return id, nil
			}
		}
		if err := n.pause(ctx, 10*time.Millisecond); err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoLeader, err)
		}
	}
}

// pause sleeps for d, or less if ctx ends or the node closes.
func (n *Node) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.stop:
		return store.ErrClosed
	}
}

func (n *Node) ready() bool {
	return n.readyTerm.Load() == n.r.CurrentTerm()
}

// watchLeadership reacts to this node gaining leadership: it restarts the
// lease deadlines and commits an entry of the new term so reads can be
// served.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	obs := make(chan hraft.Observation, 16)
	observer := hraft.NewObserver(obs, false, func(o *hraft.Observation) bool {
		_, ok := o.Data.(hraft.LeaderObservation)
		return ok
	})
	n.r.RegisterObserver(observer)
	defer n.r.DeregisterObserver(observer)
	leaderCh := n.r.LeaderCh()
	for {
		select {
		case <-n.stop:
			return
		case <-obs:
			if n.metrics != nil {
				n.metrics.leaderChanges.Inc()
			}
		case isLeader := <-leaderCh:
			if isLeader {
				n.takeOffice()
			}
		}
	}
}

// takeOffice runs when this node becomes leader: it restarts the lease
// deadlines and commits an entry of its term, after which its commit index
// covers every earlier entry and reads can be served.
func (n *Node) takeOffice() {
	if !n.takingOffice.CompareAndSwap(false, true) {
		return
	}
	defer n.takingOffice.Store(false)
	n.leases.reset(n.db.leaseTTLs())
	term := n.r.CurrentTerm()
	f := n.r.Apply((&command{Op: opNop}).encode(), 0)
	if err := f.Error(); err != nil {
		n.log.Debug("leader no-op failed", "error", err)
		return
	}
	n.readyTerm.Store(term)
	n.log.Info("raft leader ready", "term", term)
}

// expireLeases, on the leader, revokes the leases whose deadline passed.
func (n *Node) expireLeases() {
	defer n.wg.Done()
	t := time.NewTicker(orDuration(n.cfg.LeaseCheckInterval, 250*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case now := <-t.C:
			if !n.IsLeader() {
				continue
			}
			if !n.ready() {
				// Leadership was gained without a notification reaching
				// watchLeadership (raft drops stale ones): take office now.
				n.takeOffice()
				continue
			}
			for _, id := range n.leases.expired(now) {
				c := command{Op: opRevoke, N: int64(id)}
				if _, _, err := n.applyLocal(context.Background(), c.encode()); err != nil {
					n.log.Debug("lease revoke failed", "lease", id, "error", err)
				}
			}
		}
	}
}

// applyLocal proposes an encoded command on this node, which must be the
// leader, and waits until it is committed and applied. An error wrapping
// errRetry means the entry never entered the log.
func (n *Node) applyLocal(ctx context.Context, data []byte) (*result, uint64, error) {
	start := time.Now()
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	f := n.r.Apply(data, timeout)
	err := waitFuture(ctx, f)
	switch {
	case err == nil:
	case ctx.Err() != nil && err == ctx.Err():
		return nil, 0, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	case errors.Is(err, hraft.ErrNotLeader), errors.Is(err, hraft.ErrLeadershipTransferInProgress), errors.Is(err, hraft.ErrEnqueueTimeout):
		return nil, 0, fmt.Errorf("%w: %w", errRetry, err)
	case errors.Is(err, hraft.ErrRaftShutdown):
		return nil, 0, fmt.Errorf("%w: %w", ErrOutcomeUnknown, store.ErrClosed)
	default:
		return nil, 0, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	if n.metrics != nil {
		n.metrics.applyLatency.Observe(time.Since(start).Seconds())
	}
	res, _ := f.Response().(*result)
	if res == nil {
		res = &result{}
	}
	return res, f.Index(), nil
}

// propose runs a command through the leader, forwarding it if this node
// follows, and returns once the local replica has applied it.
func (n *Node) propose(ctx context.Context, c command) (*result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data := c.encode()
	for attempt := 0; ; attempt++ {
		select {
		case <-n.stop:
			return nil, store.ErrClosed
		default:
		}
		var (
			res *result
			idx uint64
			err error
		)
		if n.IsLeader() {
			res, idx, err = n.applyLocal(ctx, data)
		} else if _, addr := n.Leader(); addr != "" {
			res, idx, err = n.forwardApply(ctx, addr, data)
		} else {
			err = errRetry
		}
		if err == nil {
			if err := n.fsm.waitApplied(ctx, idx, n.stop); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
			}
			return res, nil
		}
		if !errors.Is(err, errRetry) {
			return nil, err
		}
		if perr := n.pause(ctx, backoffDelay(attempt)); perr != nil {
			if errors.Is(perr, store.ErrClosed) {
				return nil, perr
			}
			return nil, fmt.Errorf("%w: %w (last: %v)", ErrNoLeader, perr, err)
		}
	}
}

func backoffDelay(attempt int) time.Duration {
	d := 5 * time.Millisecond << min(attempt, 5)
	return min(d, 100*time.Millisecond)
}

func (n *Node) forwardApply(ctx context.Context, addr string, data []byte) (*result, uint64, error) {
	out, err := n.peers.call(ctx, addr, methodApply, data)
	if err != nil {
		if errors.Is(err, errRetry) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	d := decoder{b: out}
	idx := d.uvarint()
	if d.err != nil {
		return nil, 0, fmt.Errorf("%w: malformed forward reply", ErrOutcomeUnknown)
	}
	res, err := decodeResult(d.b)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return &res, idx, nil
}

func (n *Node) serveApply(ctx context.Context, req []byte) ([]byte, error) {
	if !n.IsLeader() {
		return nil, errRemoteNotLeader
	}
	res, idx, err := n.applyLocal(ctx, req)
	if err != nil {
		if errors.Is(err, errRetry) {
			return nil, errRemoteNotLeader
		}
		return nil, status.Error(codes.Aborted, err.Error())
	}
	out := binary.AppendUvarint(make([]byte, 0, 64), idx)
	return append(out, res.encode()...), nil
}

// readIndex, on the leader, returns an index that covers every write
// acknowledged before the call: the commit index, once leadership has been
// confirmed with a quorum.
func (n *Node) readIndex(ctx context.Context) (uint64, error) {
	for !n.ready() {
		if !n.IsLeader() {
			return 0, errRetry
		}
		if err := n.pause(ctx, 2*time.Millisecond); err != nil {
			return 0, err
		}
	}
	idx := n.r.CommitIndex()
	if err := waitFuture(ctx, n.r.VerifyLeader()); err != nil {
		if ctx.Err() != nil && err == ctx.Err() {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %w", errRetry, err)
	}
	return idx, nil
}

func (n *Node) serveReadIndex(ctx context.Context) (uint64, error) {
	if !n.IsLeader() {
		return 0, errRemoteNotLeader
	}
	// Join the leader's own batch of reads: one confirmation serves all.
	idx, err := n.reads.get(ctx)
	if errors.Is(err, errRetry) {
		return 0, errRemoteNotLeader
	}
	return idx, err
}

type serializableKey struct{}

// WithSerializable returns a context under which reads (Get, List,
// Revision) on a Node are served by the local replica without asking the
// leader: faster, possibly stale (by the replica's replication lag).
func WithSerializable(ctx context.Context) context.Context {
	return context.WithValue(ctx, serializableKey{}, true)
}

// linearize waits until the local replica has applied every write
// acknowledged before the call (the ReadIndex protocol), unless ctx asks
// for a serializable read.
func (n *Node) linearize(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v, _ := ctx.Value(serializableKey{}).(bool); v {
		return n.checkOpen()
	}
	for attempt := 0; ; attempt++ {
		if err := n.checkOpen(); err != nil {
			return err
		}
		idx, err := n.reads.get(ctx)
		if err == nil {
			return n.fsm.waitApplied(ctx, idx, n.stop)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		}
		if !errors.Is(err, errRetry) {
			return err
		}
		if perr := n.pause(ctx, backoffDelay(attempt)); perr != nil {
			if errors.Is(perr, store.ErrClosed) {
				return perr
			}
			return fmt.Errorf("%w: %w (last: %v)", ErrNoLeader, perr, err)
		}
	}
}

func (n *Node) checkOpen() error {
	select {
	case <-n.stop:
		return store.ErrClosed
	default:
		return nil
	}
}

// Get implements store.Store.
func (n *Node) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	if err := n.linearize(ctx); err != nil {
		return nil, err
	}
	return n.db.Get(ctx, key, opts)
}

// List implements store.Store.
func (n *Node) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	if err := n.linearize(ctx); err != nil {
		return nil, err
	}
	return n.db.List(ctx, prefix, opts)
}

// Revision implements store.Store.
func (n *Node) Revision(ctx context.Context) (current, compacted int64, err error) {
	if err := n.linearize(ctx); err != nil {
		return 0, 0, err
	}
	return n.db.Revision(ctx)
}

// Watch implements store.Store. The local replica serves it: every
// replica applies the same writes in the same order, so revisions and
// events match across replicas. When the replica is replaced by a snapshot
// from the leader (after lagging far behind), open watchers end with an
// error wrapping store.ErrCompacted and must be restarted.
func (n *Node) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	if err := n.checkOpen(); err != nil {
		return nil, err
	}
	return n.db.Watch(ctx, prefix, opts)
}

// Create implements store.Store.
func (n *Node) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	if err := validKV(key, value); err != nil {
		return nil, err
	}
	res, err := n.propose(ctx, command{Op: opCreate, Key: key, Value: value, N: int64(lease)})
	if err != nil {
		return nil, err
	}
	return res.KV, res.Err
}

// Update implements store.Store.
func (n *Node) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	if err := validKV(key, value); err != nil {
		return nil, err
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, err
	}
	res, err := n.propose(ctx, command{Op: opUpdate, Key: key, Value: value, N: modRevision})
	if err != nil {
		return nil, err
	}
	return res.KV, res.Err
}

// Delete implements store.Store.
func (n *Node) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, 0, err
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, 0, err
	}
	res, err := n.propose(ctx, command{Op: opDelete, Key: key, N: modRevision})
	if err != nil {
		return nil, 0, err
	}
	return res.Prev, res.Rev, res.Err
}

// Compact implements store.Store; the compaction is replicated.
func (n *Node) Compact(ctx context.Context, revision int64) error {
	if err := store.ValidateRevision(revision); err != nil {
		return err
	}
	res, err := n.propose(ctx, command{Op: opCompact, N: revision})
	if err != nil {
		return err
	}
	return res.Err
}

// Grant implements store.Store. The lease expires when the leader has not
// seen a KeepAlive for its TTL; a new leader restarts every lease's TTL.
func (n *Node) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	if ttl < time.Second {
		return 0, fmt.Errorf("%w: lease TTL %v is below one second", store.ErrInvalid, ttl)
	}
	res, err := n.propose(ctx, command{Op: opGrant, N: int64(ttl)})
	if err != nil {
		return 0, err
	}
	return store.LeaseID(res.N), res.Err
}

// KeepAlive implements store.Store; it goes through the leader.
func (n *Node) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	res, err := n.propose(ctx, command{Op: opKeepAlive, N: int64(id)})
	if err != nil {
		return 0, err
	}
	return ttlOf(res.N), res.Err
}

// Revoke implements store.Store.
func (n *Node) Revoke(ctx context.Context, id store.LeaseID) error {
	res, err := n.propose(ctx, command{Op: opRevoke, N: int64(id)})
	if err != nil {
		return err
	}
	return res.Err
}

func validKV(key string, value []byte) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	return store.ValidateValue(value)
}

// Close leaves the cluster's traffic (it does not remove this member; use
// Remove for that), stops raft and closes the local replica. Open watchers
// end with store.ErrClosed.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.closeErr = n.shutdown()
	})
	return n.closeErr
}

func (n *Node) shutdown() error {
	close(n.stop)
	var errs []error
	if n.r != nil {
		if err := n.r.Shutdown().Error(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.grpc != nil {
		n.grpc.Stop()
	}
	if n.peers != nil {
		n.peers.close()
	}
	if n.trans != nil {
		n.trans.Close()
	}
	if n.mux != nil {
		n.mux.close()
	}
	n.wg.Wait()
	if n.metrics != nil {
		n.metrics.unregister()
	}
	// A raft heartbeat handler still running would write the term to a
	// closed log store, and hashicorp/raft panics on that: if handlers
	// outlive the wait, leave the store to the process's exit instead.
	handlersDone := n.stream == nil || n.stream.closeInbound(10*time.Second)
	if !handlersDone {
		n.log.Warn("raft connection handlers still running at close; leaving the log store open")
	}
	if n.logs != nil && handlersDone {
		if err := n.logs.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.db != nil {
		if err := n.db.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close raft node: %w", err)
	}
	return nil
}

// Snapshot makes this node take a raft snapshot now (and truncate its log
// down to TrailingLogs entries).
func (n *Node) Snapshot(ctx context.Context) error {
	if err := n.checkOpen(); err != nil {
		return err
	}
	return waitFuture(ctx, n.r.Snapshot())
}

// waitFuture waits for f's outcome, or returns ctx.Err() (the outcome then
// unknown) if ctx ends first.
func waitFuture(ctx context.Context, f hraft.Future) error {
	if ctx.Done() == nil { // a context that cannot end costs no goroutine
		return f.Error()
	}
	ch := make(chan error, 1)
	go func() { ch <- f.Error() }()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
