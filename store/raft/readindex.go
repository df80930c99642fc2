package raft

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// readRound is one ReadIndex request shared by every read that joined it
// before it started.
type readRound struct {
	done chan struct{}
	idx  uint64
	err  error
}

// readBatcher coalesces concurrent linearizable reads: while one ReadIndex
// round is in flight, new reads queue for the next round, which then
// serves them all with one leadership confirmation (and, on a follower,
// one RPC). A read joins only a round that has not started yet, so the
// index it gets was fetched after the read began: linearizability holds.
type readBatcher struct {
	fetch   func(ctx context.Context) (uint64, error)
	mu      sync.Mutex
	next    *readRound
	running bool
}

// get returns a read index covering every write acknowledged before the
// call. Errors are those of the fetch; callers retry.
func (b *readBatcher) get(ctx context.Context) (uint64, error) {
	b.mu.Lock()
	if b.next == nil {
		b.next = &readRound{done: make(chan struct{})}
	}
	r := b.next
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.idx, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (b *readBatcher) loop() {
	for {
		b.mu.Lock()
		r := b.next
		b.next = nil
		if r == nil {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r.idx, r.err = b.fetch(ctx)
		cancel()
		close(r.done)
	}
}

// fetchReadIndex gets the read index from the leader: locally when this
// node leads, else over the forwarding service. Every failure is marked
// errRetry: the request is idempotent.
func (n *Node) fetchReadIndex(ctx context.Context) (uint64, error) {
	if err := n.checkOpen(); err != nil {
		return 0, err
	}
	if n.IsLeader() {
		idx, err := n.readIndex(ctx)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errRetry, err)
		}
		return idx, nil
	}
	_, addr := n.Leader()
	if addr == "" {
		return 0, fmt.Errorf("%w: no known leader", errRetry)
	}
	out, err := n.peers.call(ctx, addr, methodReadIndex, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errRetry, err)
	}
	idx, k := binary.Uvarint(out)
	if k <= 0 {
		return 0, fmt.Errorf("%w: malformed read index reply", errRetry)
	}
	return idx, nil
}
