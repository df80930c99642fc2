package raft

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// The linearizability model: a map of keys, each with a value and the
// revision of its last write, under get, create, unconditional update,
// compare-and-swap on the mod revision, and delete. Histories are split by
// key (operations on different keys commute).

type kvOp string

const (
	opGet    kvOp = "get"
	opPut    kvOp = "create"
	opSet    kvOp = "update"
	opCAS    kvOp = "cas"
	opRemove kvOp = "delete"
)

type kvInput struct {
	Op    kvOp
	Key   string
	Value string
	Rev   int64 // the expected mod revision of a CAS
}

type outKind int

const (
	outOK outKind = iota
	outNotFound
	outExists
	outConflict
	// outUnknown: the call failed ambiguously (it may or may not have
	// taken effect); its return time is infinite.
	outUnknown
)

type kvOutput struct {
	Kind  outKind
	Value string
	Rev   int64 // mod revision read, or revision of the write
}

// kstate is one key's state. floor is the highest revision known to have
// written the key; when revUnknown, the key was last written by an
// operation whose revision was never seen.
type kstate struct {
	exists     bool
	value      string
	modRev     int64
	revUnknown bool
	floor      int64
}

func (s kstate) written(value string, rev int64) kstate {
	return kstate{exists: true, value: value, modRev: rev, floor: max(s.floor, rev)}
}

func (s kstate) writtenUnknown(value string) kstate {
	return kstate{exists: true, value: value, revUnknown: true, floor: s.floor}
}

func (s kstate) deleted(rev int64) kstate {
	return kstate{floor: max(s.floor, rev)}
}

// revMatches reports whether the key's mod revision may equal rev.
func (s kstate) revMatches(rev int64) bool { return s.revUnknown || s.modRev == rev }

func stepKV(st kstate, in kvInput, out kvOutput) []kstate {
	none := []kstate(nil)
	fresh := out.Rev > st.floor
	switch in.Op {
	case opGet:
		switch out.Kind {
		case outNotFound:
			if !st.exists {
				return []kstate{st}
			}
		case outOK:
			if st.exists && st.value == out.Value && (st.modRev == out.Rev || st.revUnknown && out.Rev > st.floor) {
				return []kstate{st.written(st.value, out.Rev)}
			}
		}
		return none
	case opPut:
		switch out.Kind {
		case outOK:
			if !st.exists && fresh {
				return []kstate{st.written(in.Value, out.Rev)}
			}
		case outExists:
			if st.exists {
				return []kstate{st}
			}
		case outUnknown:
			if st.exists {
				return []kstate{st}
			}
			return []kstate{st, st.writtenUnknown(in.Value)}
		}
		return none
	case opSet:
		switch out.Kind {
		case outOK:
			if st.exists && fresh {
				return []kstate{st.written(in.Value, out.Rev)}
			}
		case outNotFound:
			if !st.exists {
				return []kstate{st}
			}
		case outUnknown:
			if !st.exists {
				return []kstate{st}
			}
			return []kstate{st, st.writtenUnknown(in.Value)}
		}
		return none
	case opCAS:
		switch out.Kind {
		case outOK:
			if st.exists && st.revMatches(in.Rev) && fresh {
				return []kstate{st.written(in.Value, out.Rev)}
			}
		case outConflict:
			if st.exists && (st.revUnknown || st.modRev != in.Rev) {
				return []kstate{st}
			}
		case outNotFound:
			if !st.exists {
				return []kstate{st}
			}
		case outUnknown:
			if st.exists && st.revMatches(in.Rev) {
				return []kstate{st, st.writtenUnknown(in.Value)}
			}
			return []kstate{st}
		}
		return none
	case opRemove:
		switch out.Kind {
		case outOK:
			if st.exists && fresh {
				return []kstate{st.deleted(out.Rev)}
			}
		case outNotFound:
			if !st.exists {
				return []kstate{st}
			}
		case outUnknown:
			if st.exists {
				return []kstate{st, {floor: st.floor}}
			}
			return []kstate{st}
		}
		return none
	}
	return none
}

var kvModel = porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(kvInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []interface{} { return []interface{}{kstate{}} },
	Step: func(state, input, output interface{}) []interface{} {
		next := stepKV(state.(kstate), input.(kvInput), output.(kvOutput))
		out := make([]interface{}, len(next))
		for i, s := range next {
			out[i] = s
		}
		return out
	},
	Equal: func(a, b interface{}) bool { return a.(kstate) == b.(kstate) },
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(kvInput), output.(kvOutput)
		kinds := []string{"ok", "not found", "exists", "conflict", "unknown"}
		return fmt.Sprintf("%s(%s, %q, rev %d) -> %s %q@%d", in.Op, in.Key, in.Value, in.Rev, kinds[out.Kind], out.Value, out.Rev)
	},
	DescribeState: func(state interface{}) string { return fmt.Sprintf("%+v", state.(kstate)) },
}

// history records operations for porcupine.
type history struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) add(client int, in kvInput, call int64, out kvOutput) {
	ret := h.now()
	if out.Kind == outUnknown {
		ret = math.MaxInt64
	}
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	h.mu.Unlock()
}

func (h *history) operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]porcupine.Operation(nil), h.ops...)
}
