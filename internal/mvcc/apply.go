package mvcc

import (
	"context"
	"fmt"
	"time"

	"github.com/longshore/longshore/store"
)

// OpKind names the write an Op makes.
type OpKind int

// The kinds of Op.
const (
	// OpCreate creates Key with Value, attached to Lease when non-zero.
	OpCreate OpKind = iota + 1
	// OpUpdate replaces Key's value, guarded by ModRevision when non-zero.
	OpUpdate
	// OpDelete deletes Key, guarded by ModRevision when non-zero.
	OpDelete
	// OpGrant grants a lease of TTL.
	OpGrant
	// OpRevoke revokes Lease and deletes its keys.
	OpRevoke
)

// String returns the kind's name.
func (k OpKind) String() string {
	switch k {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpGrant:
		return "grant"
	case OpRevoke:
		return "revoke"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Op is one write of an ordered batch (Engine.Apply). The fields an op's
// Kind does not use are ignored.
type Op struct {
	Kind  OpKind
	Key   string
	Value []byte
	// Lease is the lease a create attaches the key to, or the lease a
	// revoke ends.
	Lease store.LeaseID
	// ModRevision guards an update or a delete (0: unconditional).
	ModRevision int64
	// TTL is a grant's time to live, rounded up to whole seconds.
	TTL time.Duration
}

// Result is what one Op of an ordered batch did: exactly what the
// matching single call (Create, Update, Delete, Grant, Revoke) would have
// returned at that point of the sequence.
type Result struct {
	// KV is the version a create or an update wrote.
	KV *store.KeyValue
	// Prev is the version a delete removed.
	Prev *store.KeyValue
	// Revision is the revision a create, update or delete made.
	Revision int64
	// Lease is the lease a grant made.
	Lease store.LeaseID
	// Err is the op's own error (wrapping a store sentinel error); a failed
	// op changes nothing and does not affect the others.
	Err error
}

// Apply runs ops in the given order as one batch of its own: one
// transaction of the backend (one commit), revisions and lease IDs assigned
// in op order, exactly as if the ops were applied one by one with nothing
// in between, and the events published in order after the commit. Each op
// gets its own Result; a failing op (invalid, missing key, conflict, ...)
// does not abort the others. The returned error is for the batch as a
// whole: the engine closed or ctx ended before the batch ran (it may still
// run, as with any write whose caller stopped waiting), or an op of an
// unknown kind (nothing is applied then).
func (e *Engine) Apply(ctx context.Context, ops []Op) ([]Result, error) {
	subs := make([]*op, len(ops))
	out := make([]Result, len(ops))
	valid := make([]*op, 0, len(ops))
	for i := range ops {
		o, err := buildOp(&ops[i])
		if o == nil && err == nil {
			return nil, fmt.Errorf("apply: %w: op %d of unknown kind %v", store.ErrInvalid, i, ops[i].Kind)
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		subs[i] = o
		valid = append(valid, o)
	}
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if len(valid) == 0 {
		return out, nil
	}
	if _, err := e.submit(ctx, &op{kind: opBatch, batch: valid}); err != nil {
		return nil, err
	}
	for i, o := range subs {
		if o == nil {
			continue
		}
		r := &out[i]
		r.Err = o.res.err
		if r.Err != nil {
			continue
		}
		r.Lease = o.res.lease
		switch o.kind {
		case opCreate, opUpdate:
			r.KV = copyKV(o.res.kv)
			r.Revision = r.KV.ModRevision
		case opDelete:
			r.Prev = copyKV(o.res.prev)
			r.Revision = o.res.rev
		}
	}
	return out, nil
}

// buildOp validates o as the matching single call does; it returns nil
// and no error for an unknown kind.
func buildOp(o *Op) (*op, error) {
	switch o.Kind {
	case OpCreate:
		return createOp(o.Key, o.Value, o.Lease)
	case OpUpdate:
		return updateOp(o.Key, o.Value, o.ModRevision)
	case OpDelete:
		return deleteOp(o.Key, o.ModRevision)
	case OpGrant:
		return grantOp(o.TTL)
	case OpRevoke:
		return revokeOp(o.Lease), nil
	}
	return nil, nil
}
