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
)

// replica is the local store every replica applies the log to: a
// store.Store that can also dump and replace its whole state and list its
// leases. The FSM is its only writer.
type replica interface {
	store.Store
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
func (f *fsm) ApplyBatch(logs []*hraft.Log) []interface{} {
	out := make([]interface{}, len(logs))
	if len(logs) == 0 {
		return out
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
		out[i] = f.exec(c)
	}
	f.setApplied(logs[len(logs)-1].Index)
	return out
}

// exec runs one command against the replica.
func (f *fsm) exec(c command) *result {
	ctx := context.Background()
	r := &result{}
	switch c.Op {
	case opNop:
	case opCreate:
		r.KV, r.Err = f.db.Create(ctx, c.Key, c.Value, store.LeaseID(c.N))
	case opUpdate:
		r.KV, r.Err = f.db.Update(ctx, c.Key, c.Value, c.N)
	case opDelete:
		r.Prev, r.Rev, r.Err = f.db.Delete(ctx, c.Key, c.N)
	case opCompact:
		r.Err = f.db.Compact(ctx, c.N)
	case opGrant:
		var id store.LeaseID
		id, r.Err = f.db.Grant(ctx, time.Duration(c.N))
		r.N = int64(id)
		if r.Err == nil {
			f.leases.touch(id, roundTTL(time.Duration(c.N)))
		}
	case opKeepAlive:
		var ttl time.Duration
		ttl, r.Err = f.db.KeepAlive(ctx, store.LeaseID(c.N))
		r.N = int64(ttl)
		if r.Err == nil {
			f.leases.touch(store.LeaseID(c.N), ttl)
		}
	case opRevoke:
		r.Err = f.db.Revoke(ctx, store.LeaseID(c.N))
		if r.Err == nil || errors.Is(r.Err, store.ErrLeaseNotFound) {
			f.leases.forget(store.LeaseID(c.N))
		}
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
