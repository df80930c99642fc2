package mvcc

import (
	"sort"
	"strings"

	"github.com/google/btree"

	"github.com/longshore/longshore/store"
)

// generation is one incarnation of a key: the revisions of its writes from
// the create up to, when dead is set, the tombstone that ended it.
type generation struct {
	created int64   // CreateRevision of the incarnation
	revs    []int64 // ascending; when dead, the last one is the tombstone
	dead    bool
}

// keyIndex is a key's revision history plus its current value, which serves
// reads at the head without touching the backend.
type keyIndex struct {
	key  string
	gens []generation
	cur  *store.KeyValue // nil when the key is deleted
}

func lessKey(a, b *keyIndex) bool { return a.key < b.key }

// index maps keys to their histories, in key order.
type index struct {
	tree *btree.BTreeG[*keyIndex]
}

func newIndex() *index {
	return &index{tree: btree.NewG(32, lessKey)}
}

func (x *index) get(key string) *keyIndex {
	ki, _ := x.tree.Get(&keyIndex{key: key})
	return ki
}

// apply records the write rec into the history of its key.
func (x *index) apply(rec *Record) {
	ki := x.get(rec.Key)
	if ki == nil {
		ki = &keyIndex{key: rec.Key}
		x.tree.ReplaceOrInsert(ki)
	}
	if rec.Tombstone {
		if n := len(ki.gens); n > 0 && !ki.gens[n-1].dead {
			g := &ki.gens[n-1]
			g.revs = append(g.revs, rec.ModRev)
			g.dead = true
		}
		ki.cur = nil
		return
	}
	if n := len(ki.gens); n == 0 || ki.gens[n-1].dead || ki.gens[n-1].created != rec.CreateRev {
		ki.gens = append(ki.gens, generation{created: rec.CreateRev})
	}
	g := &ki.gens[len(ki.gens)-1]
	g.revs = append(g.revs, rec.ModRev)
	kv := rec.KeyValue()
	ki.cur = &kv
}

// at returns the revision of the version of the key visible at rev, or 0
// when the key did not exist then.
func (ki *keyIndex) at(rev int64) int64 {
	for i := len(ki.gens) - 1; i >= 0; i-- {
		g := &ki.gens[i]
		if len(g.revs) == 0 || g.revs[0] > rev {
			continue
		}
		j := sort.Search(len(g.revs), func(j int) bool { return g.revs[j] > rev }) - 1
		if g.dead && j == len(g.revs)-1 {
			return 0 // the tombstone is the latest write at rev
		}
		return g.revs[j]
	}
	return 0
}

// compact drops the revisions at or below rev that no read at a revision
// above rev can reach: all but the latest, and the latest too when it is a
// tombstone. It appends the dropped revisions to removed and reports
// whether the key has no history left.
func (ki *keyIndex) compact(rev int64, removed []int64) ([]int64, bool) {
	keep := ki.gens[:0]
	for i := range ki.gens {
		g := ki.gens[i]
		n := sort.Search(len(g.revs), func(j int) bool { return g.revs[j] > rev })
		if n == 0 {
			keep = append(keep, g)
			continue
		}
		last := i == len(ki.gens)-1
		switch {
		case n == len(g.revs) && (g.dead || !last):
			// Every revision of this generation is at or below rev and a
			// later write (the tombstone) supersedes it.
			removed = append(removed, g.revs...)
			continue
		default:
			// Keep the latest revision at or below rev, drop the older ones.
			removed = append(removed, g.revs[:n-1]...)
			g.revs = append([]int64(nil), g.revs[n-1:]...)
		}
		keep = append(keep, g)
	}
	for i := len(keep); i < len(ki.gens); i++ {
		ki.gens[i] = generation{}
	}
	ki.gens = keep
	return removed, len(ki.gens) == 0
}

// ascendPrefix calls fn for each key under prefix at or after from, in key
// order, until fn returns false.
func (x *index) ascendPrefix(prefix, from string, fn func(*keyIndex) bool) {
	start := prefix
	if from > start {
		start = from
	}
	x.tree.AscendGreaterOrEqual(&keyIndex{key: start}, func(ki *keyIndex) bool {
		if !strings.HasPrefix(ki.key, prefix) {
			return false
		}
		return fn(ki)
	})
}
