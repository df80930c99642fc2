package raft

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

// replica is the local store every replica applies the log to: a
// store.Store that can also dump and replace its whole state and list its
// leases. The FSM is its only writer.
type replica interface {
	store.Store
	// Apply writes ops in order in one local transaction (bolt.DB.Apply).
	Apply(ctx context.Context, ops []bolt.Op) ([]bolt.Result, error)
	Snapshot(ctx context.Context, w io.Writer) (rev int64, err error)
	Restore(ctx context.Context, r io.Reader) error
	// leaseTTLs lists the live leases with their TTLs.
	leaseTTLs() map[store.LeaseID]time.Duration
}

// fsm applies committed log entries to the local replica, in log order, on
// raft's FSM goroutine. Apply, ApplyBatch, Snapshot and Restore are never
// called concurrently with each other; readers use waitApplied.
type fsm struct {
	db     replica
	tmpDir string
	leases *leaseTracker
	log    *slog.Logger

	// restores counts snapshots installed.
	restores atomic.Int64
	// applied is the index of the last log entry the replica has applied.
	applied atomic.Uint64
	mu      sync.Mutex
	advance chan struct{} // closed and replaced whenever applied moves
}

var _ hraft.BatchingFSM = (*fsm)(nil)

func newFSM(db replica, tmpDir string, leases *leaseTracker, log *slog.Logger) *fsm {
	return &fsm{db: db, tmpDir: tmpDir, leases: leases, log: log, advance: make(chan struct{})}
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *hraft.Log) interface{} {
	return f.ApplyBatch([]*hraft.Log{l})[0]
}

// ApplyBatch implements raft.BatchingFSM: every command entry yields a
// *result; other entries (configuration changes) yield nil but still move
// the applied index.
//
// The writes of consecutive entries (create, update, delete, grant,
// revoke) go to the replica as one ordered batch: one local transaction
// for the lot, with the revisions a one-by-one application would give, so
// every replica still agrees on them. Entries that are not such writes
// (compact, keepalive, nop) end the current batch and run on their own,
// keeping the log order.
func (f *fsm) ApplyBatch(logs []*hraft.Log) []interface{} {
	out := make([]interface{}, len(logs))
	if len(logs) == 0 {
		return out
	}
	var (
		ops  []bolt.Op
		cmds []command
		at   []int // index in out of each pending op
	)
	flush := func() {
		if len(ops) == 0 {
			return
		}
		f.applyWrites(cmds, ops, at, out)
		ops, cmds, at = ops[:0], cmds[:0], at[:0]
	}
	for i, l := range logs {
		if l.Type != hraft.LogCommand {
			continue
		}
		c, err := decodeCommand(l.Data)
		if err != nil {
			f.log.Error("skipping undecodable raft entry", "index", l.Index, "error", err)
			out[i] = &result{Err: err}
			continue
		}
		if o, ok := c.write(); ok {
			ops, cmds, at = append(ops, o), append(cmds, c), append(at, i)
			continue
		}
		flush()
		out[i] = f.exec(c)
	}
	flush()
	f.setApplied(logs[len(logs)-1].Index)
	return out
}

// write returns the replica write a command makes, if it is one that an
// ordered batch can carry.
func (c *command) write() (bolt.Op, bool) {
	switch c.Op {
	case opCreate:
		return bolt.Op{Kind: bolt.OpCreate, Key: c.Key, Value: c.Value, Lease: store.LeaseID(c.N)}, true
	case opUpdate:
		return bolt.Op{Kind: bolt.OpUpdate, Key: c.Key, Value: c.Value, ModRevision: c.N}, true
	case opDelete:
		return bolt.Op{Kind: bolt.OpDelete, Key: c.Key, ModRevision: c.N}, true
	case opGrant:
		return bolt.Op{Kind: bolt.OpGrant, TTL: time.Duration(c.N)}, true
	case opRevoke:
		return bolt.Op{Kind: bolt.OpRevoke, Lease: store.LeaseID(c.N)}, true
	}
	return bolt.Op{}, false
}

// applyWrites applies ops (made from cmds) as one ordered batch and stores
// each result at out[at[i]], keeping the lease tracker in step.
func (f *fsm) applyWrites(cmds []command, ops []bolt.Op, at []int, out []interface{}) {
	res, err := f.db.Apply(context.Background(), ops)
	for i, c := range cmds {
		r := &result{}
		out[at[i]] = r
		if err != nil {
			r.Err = err
			continue
		}
		br := res[i]
		r.Err = br.Err
		switch c.Op {
		case opCreate, opUpdate:
			r.KV = br.KV
		case opDelete:
			r.Prev, r.Rev = br.Prev, br.Revision
		case opGrant:
			r.N = int64(br.Lease)
			if r.Err == nil {
				f.leases.touch(br.Lease, roundTTL(time.Duration(c.N)))
			}
		case opRevoke:
			if r.Err == nil || errors.Is(r.Err, store.ErrLeaseNotFound) {
				f.leases.forget(store.LeaseID(c.N))
			}
		}
	}
}

// exec runs one command that is not a batchable write against the
// replica.
func (f *fsm) exec(c command) *result {
	ctx := context.Background()
	r := &result{}
	switch c.Op {
	case opNop:
	case opCompact:
		r.Err = f.db.Compact(ctx, c.N)
	case opKeepAlive:
		var ttl time.Duration
		ttl, r.Err = f.db.KeepAlive(ctx, store.LeaseID(c.N))
		r.N = int64(ttl)
		if r.Err == nil {
			f.leases.touch(store.LeaseID(c.N), ttl)
		}
	default:
		r.Err = fmt.Errorf("%w: raft command %d is not applied alone", store.ErrInvalid, c.Op)
	}
	return r
}

func (f *fsm) setApplied(index uint64) {
	f.mu.Lock()
	f.applied.Store(index)
	close(f.advance)
	f.advance = make(chan struct{})
	f.mu.Unlock()
}

// waitApplied blocks until the replica has applied index, ctx is done or
// stop is closed.
func (f *fsm) waitApplied(ctx context.Context, index uint64, stop <-chan struct{}) error {
	for {
		if f.applied.Load() >= index {
			return nil
		}
		f.mu.Lock()
		ch := f.advance
		f.mu.Unlock()
		if f.applied.Load() >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for index %d (applied %d): %w", index, f.applied.Load(), ctx.Err())
		case <-stop:
			return store.ErrClosed
		}
	}
}

// Snapshot implements raft.FSM. It dumps the replica into a temporary file
// right away, on the FSM goroutine, so that the snapshot is exactly the
// state at the applied index raft records for it; Persist then only copies
// the file.
func (f *fsm) Snapshot() (hraft.FSMSnapshot, error) {
	file, err := os.CreateTemp(f.tmpDir, "fsm-snapshot-*")
	if err != nil {
		return nil, fmt.Errorf("raft snapshot: %w", err)
	}
	w := bufio.NewWriterSize(file, 1<<16)
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], f.applied.Load())
	_, err = w.Write(hdr[:])
	if err == nil {
		_, err = f.db.Snapshot(context.Background(), w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = file.Seek(0, io.SeekStart)
	}
	if err != nil {
		file.Close()
		os.Remove(file.Name())
		return nil, fmt.Errorf("raft snapshot: %w", err)
	}
	return &fsmSnapshot{file: file}, nil
}

// Restore implements raft.FSM: it replaces the replica with a snapshot
// (open watchers on the replica end with ErrCompacted) and restarts every
// lease deadline.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	var hdr [8]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return fmt.Errorf("raft restore: read header: %w", err)
	}
	if err := f.db.Restore(context.Background(), br); err != nil {
		return fmt.Errorf("raft restore: %w", err)
	}
	f.leases.reset(f.db.leaseTTLs())
	f.restores.Add(1)
	f.setApplied(binary.BigEndian.Uint64(hdr[:]))
	return nil
}

type fsmSnapshot struct {
	file *os.File
}

func (s *fsmSnapshot) Persist(sink hraft.SnapshotSink) error {
	if _, err := io.Copy(sink, s.file); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist raft snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {
	s.file.Close()
	os.Remove(s.file.Name())
}
