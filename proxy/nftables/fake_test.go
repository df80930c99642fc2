package nftables

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/nftables"
)

// fakeConn records the operations of each batch as readable lines instead
// of sending them.
type fakeConn struct {
	mu      sync.Mutex
	pending []string
	batches [][]string
	fail    error
	nextID  uint32
}

var _ conn = (*fakeConn)(nil)

func (f *fakeConn) rec(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, fmt.Sprintf(format, args...))
}

func tname(t *nftables.Table) string {
	fam := "ip"
	if t.Family == nftables.TableFamilyIPv6 {
		fam = "ip6"
	}
	return fam + " " + t.Name
}

func (f *fakeConn) AddTable(t *nftables.Table) *nftables.Table {
	f.rec("add table %s", tname(t))
	return t
}
func (f *fakeConn) DelTable(t *nftables.Table) { f.rec("delete table %s", tname(t)) }
func (f *fakeConn) AddChain(c *nftables.Chain) *nftables.Chain {
	f.rec("add chain %s %s", tname(c.Table), c.Name)
	return c
}
func (f *fakeConn) DelChain(c *nftables.Chain)   { f.rec("delete chain %s %s", tname(c.Table), c.Name) }
func (f *fakeConn) FlushChain(c *nftables.Chain) { f.rec("flush chain %s %s", tname(c.Table), c.Name) }
func (f *fakeConn) AddRule(r *nftables.Rule) *nftables.Rule {
	parts := make([]string, len(r.Exprs))
	for i, e := range r.Exprs {
		parts[i] = strings.TrimPrefix(fmt.Sprintf("%T", e), "*expr.")
	}
	f.rec("add rule %s %s %s", tname(r.Table), r.Chain.Name, strings.Join(parts, ","))
	return r
}
func (f *fakeConn) AddSet(s *nftables.Set, e []nftables.SetElement) error {
	if s.Anonymous {
		f.mu.Lock()
		f.nextID++
		s.ID, s.Name = f.nextID, "__map%d"
		f.mu.Unlock()
	}
	f.rec("add set %s %s elements=%d", tname(s.Table), s.Name, len(e))
	return nil
}
func (f *fakeConn) DelSet(s *nftables.Set) { f.rec("delete set %s %s", tname(s.Table), s.Name) }
func (f *fakeConn) SetAddElements(s *nftables.Set, e []nftables.SetElement) error {
	for _, el := range e {
		switch {
		case el.VerdictData != nil:
			f.rec("add element %s %s %x goto %s", tname(s.Table), s.Name, el.Key, el.VerdictData.Chain)
		case len(el.Val) > 0:
			f.rec("add element %s %s %x : %x", tname(s.Table), s.Name, el.Key, el.Val)
		default:
			f.rec("add element %s %s %x", tname(s.Table), s.Name, el.Key)
		}
	}
	return nil
}
func (f *fakeConn) SetDeleteElements(s *nftables.Set, e []nftables.SetElement) error {
	for _, el := range e {
		f.rec("delete element %s %s %x", tname(s.Table), s.Name, el.Key)
	}
	return nil
}
func (f *fakeConn) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		f.pending = nil
		return f.fail
	}
	if len(f.pending) > 0 {
		f.batches = append(f.batches, f.pending)
	}
	f.pending = nil
	return nil
}

// last returns the last batch sent.
func (f *fakeConn) last() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) == 0 {
		return nil
	}
	return f.batches[len(f.batches)-1]
}
