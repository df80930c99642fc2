package mvcc

import (
	"sort"
	"sync"
)

// MemoryBackend keeps the history in memory: the backend of store/memory.
type MemoryBackend struct {
	mu    sync.RWMutex
	recs  []*Record // ascending revisions
	state State
}

var _ Backend = (*MemoryBackend)(nil)

// NewMemoryBackend returns an empty in-memory backend.
func NewMemoryBackend() *MemoryBackend { return &MemoryBackend{} }

// Load implements Backend.
func (m *MemoryBackend) Load(fn func(*Record) error) (State, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, r := range m.recs {
		if err := fn(r); err != nil {
			return State{}, err
		}
	}
	st := m.state
	st.Leases = append([]Lease(nil), m.state.Leases...)
	return st, nil
}

// Commit implements Backend.
func (m *MemoryBackend) Commit(b *Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range b.Records {
		r := b.Records[i]
		m.recs = append(m.recs, &r)
	}
	m.state.Rev = b.Rev
	m.state.LeaseSeq = b.LeaseSeq
	if len(b.Revoked) > 0 {
		gone := make(map[int64]bool, len(b.Revoked))
		for _, id := range b.Revoked {
			gone[int64(id)] = true
		}
		kept := m.state.Leases[:0]
		for _, l := range m.state.Leases {
			if !gone[int64(l.ID)] {
				kept = append(kept, l)
			}
		}
		m.state.Leases = kept
	}
	m.state.Leases = append(m.state.Leases, b.Granted...)
	return nil
}

func (m *MemoryBackend) search(rev int64) int {
	return sort.Search(len(m.recs), func(i int) bool { return m.recs[i].ModRev >= rev })
}

// Range implements Backend.
func (m *MemoryBackend) Range(from, to int64, fn func(*Record) bool) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := m.search(from); i < len(m.recs) && m.recs[i].ModRev <= to; i++ {
		if !fn(m.recs[i]) {
			break
		}
	}
	return nil
}

// Get implements Backend.
func (m *MemoryBackend) Get(revs []int64) ([]*Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Record, len(revs))
	for j, rev := range revs {
		if i := m.search(rev); i < len(m.recs) && m.recs[i].ModRev == rev {
			out[j] = m.recs[i]
		}
	}
	return out, nil
}

// Compact implements Backend.
func (m *MemoryBackend) Compact(revs []int64, compacted int64) error {
	drop := make(map[int64]bool, len(revs))
	for _, r := range revs {
		drop[r] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := make([]*Record, 0, max(0, len(m.recs)-len(revs)))
	for _, r := range m.recs {
		if !drop[r.ModRev] {
			kept = append(kept, r)
		}
	}
	m.recs = kept
	m.state.Compacted = compacted
	return nil
}
