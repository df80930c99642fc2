package framework

import (
	"math"
	"strings"
	"sync"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
)

// DomainQuery names a set of per-domain pod counts: the pods of
// Namespace matched by Selector, per value of TopologyKey.
type DomainQuery struct {
	Namespace   string
	Selector    labels.Selector
	TopologyKey string
	// Terminating counts the pods being deleted too (InterPodAffinity
	// counts them, PodTopologySpread does not).
	Terminating bool
}

// Matches reports whether the query counts pod.
func (q *DomainQuery) Matches(pod *core.Pod) bool {
	return pod.Namespace == q.Namespace && (q.Terminating || pod.DeletionTimestamp == nil) && q.Selector.Matches(labels.Set(pod.Labels))
}

// CountMatchingPods returns how many of pods the query counts.
func CountMatchingPods(pods []*PodInfo, q *DomainQuery) int64 {
	var n int64
	for _, p := range pods {
		if q.Matches(p.Pod) {
			n++
		}
	}
	return n
}

// DomainCounter is implemented by the SharedLister implementations that
// maintain per-domain pod counts across cycles (Snapshot does).
// PodTopologySpread and InterPodAffinity use it, when present, instead
// of visiting every node's pods each cycle.
type DomainCounter interface {
	// DomainCounts returns the counts of the pods the query matches,
	// per value of its topology key, over the nodes that have the key.
	// They are read-only and valid until the lister next changes (for
	// the scheduler's snapshot, the next cycle).
	DomainCounts(q DomainQuery) *DomainCounts
}

var _ DomainCounter = (*Snapshot)(nil)

// DomainCounts counts, per topology domain (a value of a topology key),
// the pods a DomainQuery matches on the nodes that have the key. A Snapshot builds one when it is first
// asked for, and then keeps it up to date as pods move, at the cost of
// recounting the pods of the nodes that changed. Its methods read it and
// may be called concurrently; the snapshot changes it only between
// cycles.
type DomainCounts struct {
	q DomainQuery

	slots   map[string]int32 // domain -> index in the slices below
	domains []string
	counts  []int64
	nodes   []int32 // nodes per domain
	// nodesWithKey is the number of nodes having the key.
	nodesWithKey int
	// min is the smallest count and atMin the number of domains at it
	// (when there is a domain).
	min   int64
	atMin int
	// used is the snapshot update sequence of the last lookup.
	used int64
}

func newDomainCounts(q DomainQuery, nodes []*NodeInfo) *DomainCounts {
	d := &DomainCounts{q: q, slots: map[string]int32{}}
	for _, ni := range nodes {
		v, ok := ni.Node().Labels[q.TopologyKey]
		if !ok {
			continue
		}
		d.nodesWithKey++
		slot, ok := d.slots[v]
		if !ok {
			slot = int32(len(d.domains))
			d.slots[v] = slot
			d.domains = append(d.domains, v)
			d.counts = append(d.counts, 0)
			d.nodes = append(d.nodes, 0)
		}
		d.nodes[slot]++
		d.counts[slot] += CountMatchingPods(ni.Pods, &d.q)
	}
	d.recomputeMin()
	return d
}

// Len returns the number of domains.
func (d *DomainCounts) Len() int { return len(d.counts) }

// Slot returns the index of a domain, in [0, Len()).
func (d *DomainCounts) Slot(domain string) (int, bool) {
	s, ok := d.slots[domain]
	return int(s), ok
}

// Count returns the matching pods in the domain of a slot.
func (d *DomainCounts) Count(slot int) int64 { return d.counts[slot] }

// Domain returns the domain of a slot.
func (d *DomainCounts) Domain(slot int) string { return d.domains[slot] }

// NodesIn returns the number of nodes in the domain of a slot.
func (d *DomainCounts) NodesIn(slot int) int { return int(d.nodes[slot]) }

// NodesWithKey returns the number of nodes that have the topology key.
func (d *DomainCounts) NodesWithKey() int { return d.nodesWithKey }

// Min returns the smallest count over the domains; ok is false when
// there is no domain.
func (d *DomainCounts) Min() (min int64, ok bool) { return d.min, len(d.counts) > 0 }

func (d *DomainCounts) recomputeMin() {
	d.min, d.atMin = math.MaxInt64, 0
	for _, c := range d.counts {
		switch {
		case c < d.min:
			d.min, d.atMin = c, 1
		case c == d.min:
			d.atMin++
		}
	}
	if len(d.counts) == 0 {
		d.min = 0
	}
}

// add changes the count of a slot by delta, keeping the minimum.
func (d *DomainCounts) add(slot int32, delta int64) {
	old := d.counts[slot]
	v := old + delta
	d.counts[slot] = v
	switch {
	case v < d.min:
		d.min, d.atMin = v, 1
	case v == d.min:
		d.atMin++
	case old == d.min:
		if d.atMin--; d.atMin == 0 {
			d.recomputeMin()
		}
	}
}

// podsDiff returns the pods of old not in cur and those of cur not in
// old, as far as pods are concerned that differ between the common
// prefix and suffix of the two lists (a node's pods change by a few
// additions and removals between two snapshots, which keep the order of
// the others).
func podsDiff(old, cur []*PodInfo) (removed, added []*PodInfo) {
	i := 0
	for i < len(old) && i < len(cur) && old[i] == cur[i] {
		i++
	}
	j := 0
	for j < len(old)-i && j < len(cur)-i && old[len(old)-1-j] == cur[len(cur)-1-j] {
		j++
	}
	return old[i : len(old)-j], cur[i : len(cur)-j]
}

// replaceNode accounts for a node's info changing from old to cur, whose
// pods differ by removed and added. It returns false when the node's
// domain changed: the counts are then stale and must be dropped.
func (d *DomainCounts) replaceNode(old, cur *NodeInfo, removed, added []*PodInfo) bool {
	ov, oldOK := old.Node().Labels[d.q.TopologyKey]
	v, ok := cur.Node().Labels[d.q.TopologyKey]
	if oldOK != ok || ov != v {
		return false
	}
	if !ok {
		return true
	}
	slot, ok := d.slots[v]
	if !ok {
		return false
	}
	if delta := CountMatchingPods(added, &d.q) - CountMatchingPods(removed, &d.q); delta != 0 {
		d.add(slot, delta)
	}
	return true
}

// Bounds of a snapshot's domain counts: each set costs a recount of the
// changed nodes' pods at every update, so sets not asked for in
// maxIdleUpdates updates are dropped, and at most maxDomainCounts are
// kept (the least recently used goes first).
const (
	maxDomainCounts = 64
	maxIdleUpdates  = 256
)

// domainIndex is a snapshot's DomainCounts, by query.
type domainIndex struct {
	mu      sync.Mutex
	seq     int64 // updates so far
	entries map[string]*DomainCounts
}

func domainKey(q *DomainQuery) string {
	var b strings.Builder
	b.WriteString(q.Namespace)
	b.WriteByte(0)
	b.WriteString(q.TopologyKey)
	b.WriteByte(0)
	if q.Terminating {
		b.WriteByte(3)
	}
	reqs, ok := q.Selector.Requirements()
	if !ok {
		b.WriteByte(1) // Nothing, distinct from Everything
		return b.String()
	}
	for _, r := range reqs {
		b.WriteByte(2)
		b.WriteString(r.Key())
		b.WriteByte(0)
		b.WriteString(string(r.Operator()))
		for _, v := range r.Values() {
			b.WriteByte(0)
			b.WriteString(v)
		}
	}
	return b.String()
}

// DomainCounts implements DomainCounter. The first call for a query
// counts every node's pods; later ones cost a map lookup as long as the
// snapshot is only updated through UpdateNodeInfos (SetNodeInfos drops
// every count).
func (s *Snapshot) DomainCounts(q DomainQuery) *DomainCounts {
	key := domainKey(&q)
	ix := &s.domainIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	d, ok := ix.entries[key]
	if !ok {
		if ix.entries == nil {
			ix.entries = map[string]*DomainCounts{}
		}
		if len(ix.entries) >= maxDomainCounts {
			var lru string
			for k, e := range ix.entries {
				if lru == "" || e.used < ix.entries[lru].used {
					lru = k
				}
			}
			delete(ix.entries, lru)
		}
		d = newDomainCounts(q, s.nodeInfoList)
		ix.entries[key] = d
	}
	d.used = ix.seq
	return d
}

// resetDomainCounts drops every count (the nodes changed).
func (s *Snapshot) resetDomainCounts() {
	ix := &s.domainIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.seq++
	ix.entries = nil
}

// updateDomainCounts accounts for node infos replaced in place: old[i]
// by cur[i].
func (s *Snapshot) updateDomainCounts(old, cur []*NodeInfo) {
	ix := &s.domainIndex
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.seq++
	if len(ix.entries) == 0 {
		return
	}
	removed := make([][]*PodInfo, len(cur))
	added := make([][]*PodInfo, len(cur))
	for i := range cur {
		removed[i], added[i] = podsDiff(old[i].Pods, cur[i].Pods)
	}
	for k, d := range ix.entries {
		if ix.seq-d.used > maxIdleUpdates {
			delete(ix.entries, k)
			continue
		}
		for i := range cur {
			if old[i] != cur[i] && !d.replaceNode(old[i], cur[i], removed[i], added[i]) {
				delete(ix.entries, k)
				break
			}
		}
	}
}
