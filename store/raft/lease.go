package raft

import (
	"sync"
	"time"

	"github.com/longshore/longshore/store"
)

// roundTTL rounds a lease TTL up to whole seconds, as the store does.
func roundTTL(ttl time.Duration) time.Duration {
	return (ttl + time.Second - 1).Truncate(time.Second)
}

// leaseTracker holds the deadline of every live lease. Leases never expire
// by a replica's own clock (the replicas run with ManualLeaseExpiry): the
// leader watches these deadlines and proposes a Revoke when one lapses. A
// new leader restarts every deadline at now+TTL, as etcd does, so a lease
// outlives a leader change rather than dying early.
type leaseTracker struct {
	mu        sync.Mutex
	deadlines map[store.LeaseID]time.Time
	ttls      map[store.LeaseID]time.Duration
}

func newLeaseTracker() *leaseTracker {
	return &leaseTracker{deadlines: map[store.LeaseID]time.Time{}, ttls: map[store.LeaseID]time.Duration{}}
}

// touch (re)starts a lease's deadline at now+ttl.
func (t *leaseTracker) touch(id store.LeaseID, ttl time.Duration) {
	t.mu.Lock()
	t.ttls[id] = ttl
	t.deadlines[id] = time.Now().Add(ttl)
	t.mu.Unlock()
}

func (t *leaseTracker) forget(id store.LeaseID) {
	t.mu.Lock()
	delete(t.ttls, id)
	delete(t.deadlines, id)
	t.mu.Unlock()
}

// reset replaces the tracked leases with ttls, every deadline at now+TTL.
func (t *leaseTracker) reset(ttls map[store.LeaseID]time.Duration) {
	now := time.Now()
	t.mu.Lock()
	t.ttls = make(map[store.LeaseID]time.Duration, len(ttls))
	t.deadlines = make(map[store.LeaseID]time.Time, len(ttls))
	for id, ttl := range ttls {
		t.ttls[id] = ttl
		t.deadlines[id] = now.Add(ttl)
	}
	t.mu.Unlock()
}

// expired lists the leases whose deadline is before now.
func (t *leaseTracker) expired(now time.Time) []store.LeaseID {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []store.LeaseID
	for id, d := range t.deadlines {
		if now.After(d) {
			out = append(out, id)
		}
	}
	return out
}
