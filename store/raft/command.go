package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/longshore/longshore/store"
)

// op is the kind of a replicated command.
type op byte

const (
	opNop op = iota + 1
	opCreate
	opUpdate
	opDelete
	opCompact
	opGrant
	opKeepAlive
	opRevoke
)

// command is one replicated store operation: the payload of a raft log
// entry. Fields unused by an op are zero.
type command struct {
	Op    op
	Key   string
	Value []byte
	// N is the lease of a create, the guard revision of an update or
	// delete, the compaction revision, the TTL (ns) of a grant, or the
	// lease ID of a keepalive or revoke.
	N int64
}

// encode appends the command's compact binary form: the op byte, then the
// key and value (uvarint length-prefixed) and N as a varint.
func (c *command) encode() []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(c.Key)+len(c.Value)+binary.MaxVarintLen64)
	b = append(b, byte(c.Op))
	b = appendBytes(b, []byte(c.Key))
	b = appendBytes(b, c.Value)
	b = binary.AppendVarint(b, c.N)
	return b
}

func decodeCommand(b []byte) (command, error) {
	var c command
	d := decoder{b: b}
	o := d.byte()
	c.Key = string(d.bytes())
	c.Value = d.bytes()
	c.N = d.varint()
	if d.err != nil || o < byte(opNop) || o > byte(opRevoke) {
		return command{}, fmt.Errorf("%w: malformed raft command", store.ErrInvalid)
	}
	c.Op = op(o)
	return c, nil
}

// result is what applying a command returned: exactly what the local store
// said, handed back to the proposer.
type result struct {
	KV   *store.KeyValue
	Prev *store.KeyValue
	// Rev is the revision of a delete.
	Rev int64
	// N is the granted lease ID or the TTL (ns) from a keepalive.
	N   int64
	Err error
}

// Error codes carried over the wire for the store's sentinel errors.
var wireErrors = []error{
	nil,
	store.ErrNotFound,
	store.ErrExists,
	store.ErrConflict,
	store.ErrCompacted,
	store.ErrFutureRevision,
	store.ErrTooLarge,
	store.ErrInvalid,
	store.ErrLeaseNotFound,
	store.ErrClosed,
}

// remoteError is an error produced on another replica: its message as
// said there, and the sentinel it wrapped so that errors.Is still works.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func errorCode(err error) byte {
	for i, s := range wireErrors[1:] {
		if errors.Is(err, s) {
			return byte(i + 1)
		}
	}
	return 255
}

func (r *result) encode() []byte {
	b := make([]byte, 0, 64)
	if r.Err != nil {
		b = append(b, errorCode(r.Err))
		b = appendBytes(b, []byte(r.Err.Error()))
	} else {
		b = append(b, 0)
	}
	b = appendKV(b, r.KV)
	b = appendKV(b, r.Prev)
	b = binary.AppendVarint(b, r.Rev)
	b = binary.AppendVarint(b, r.N)
	return b
}

func decodeResult(b []byte) (result, error) {
	var r result
	d := decoder{b: b}
	code := d.byte()
	if code != 0 {
		msg := string(d.bytes())
		var sentinel error
		if int(code) < len(wireErrors) {
			sentinel = wireErrors[code]
		}
		r.Err = &remoteError{msg: msg, sentinel: sentinel}
	}
	r.KV = d.kv()
	r.Prev = d.kv()
	r.Rev = d.varint()
	r.N = d.varint()
	if d.err != nil {
		return result{}, fmt.Errorf("%w: malformed raft result", store.ErrInvalid)
	}
	return r, nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendKV(b []byte, kv *store.KeyValue) []byte {
	if kv == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendBytes(b, []byte(kv.Key))
	b = appendBytes(b, kv.Value)
	b = binary.AppendVarint(b, kv.CreateRevision)
	b = binary.AppendVarint(b, kv.ModRevision)
	b = binary.AppendVarint(b, kv.Version)
	return binary.AppendVarint(b, int64(kv.Lease))
}

// decoder reads what the append helpers wrote; the first failure sticks in
// err and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("short buffer")

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.err = errShort
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errShort
		return nil
	}
	if n == 0 {
		return nil
	}
	p := make([]byte, n)
	copy(p, d.b[:n])
	d.b = d.b[n:]
	return p
}

func (d *decoder) kv() *store.KeyValue {
	if d.byte() != 1 {
		return nil
	}
	kv := &store.KeyValue{Key: string(d.bytes()), Value: d.bytes()}
	kv.CreateRevision = d.varint()
	kv.ModRevision = d.varint()
	kv.Version = d.varint()
	kv.Lease = store.LeaseID(d.varint())
	return kv
}

// ttlOf turns a result's N back into a duration.
func ttlOf(n int64) time.Duration { return time.Duration(n) }
