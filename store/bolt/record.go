package bolt

import (
	"encoding/binary"
	"fmt"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// recordFormat is the first byte of every encoded record.
const recordFormat = 1

const flagTombstone = 1

// maxRecordOverhead is the most an encoded record adds to its key and
// value: two header bytes and six varints.
const maxRecordOverhead = 2 + 6*binary.MaxVarintLen64

// encodeRecord appends the encoding of r to b: format byte, flags, the
// revisions and lease as varints, the key length and key, then the value.
func encodeRecord(b []byte, r *mvcc.Record) []byte {
	var flags byte
	if r.Tombstone {
		flags |= flagTombstone
	}
	b = append(b, recordFormat, flags)
	b = binary.AppendUvarint(b, uint64(r.ModRev))
	b = binary.AppendUvarint(b, uint64(r.CreateRev))
	b = binary.AppendUvarint(b, uint64(r.Version))
	b = binary.AppendUvarint(b, uint64(r.PrevRev))
	b = binary.AppendVarint(b, int64(r.Lease))
	b = binary.AppendUvarint(b, uint64(len(r.Key)))
	b = append(b, r.Key...)
	return append(b, r.Value...)
}

// decodeRecord parses an encoded record. The result does not alias b (bbolt
// memory is only valid inside its transaction).
func decodeRecord(b []byte) (*mvcc.Record, error) {
	if len(b) < 2 || b[0] != recordFormat || b[1]&^flagTombstone != 0 {
		return nil, fmt.Errorf("%w: record header", ErrFormat)
	}
	r := &mvcc.Record{Tombstone: b[1]&flagTombstone != 0}
	p := b[2:]
	var vals [4]int64
	for i := range vals {
		v, n := binary.Uvarint(p)
		if n <= 0 || v > 1<<62 {
			return nil, fmt.Errorf("%w: record field %d", ErrFormat, i)
		}
		vals[i] = int64(v)
		p = p[n:]
	}
	r.ModRev, r.CreateRev, r.Version, r.PrevRev = vals[0], vals[1], vals[2], vals[3]
	lease, n := binary.Varint(p)
	if n <= 0 || lease < 0 {
		return nil, fmt.Errorf("%w: record lease", ErrFormat)
	}
	r.Lease = store.LeaseID(lease)
	p = p[n:]
	klen, n := binary.Uvarint(p)
	if n <= 0 || klen > uint64(len(p)-n) {
		return nil, fmt.Errorf("%w: record key length", ErrFormat)
	}
	p = p[n:]
	r.Key = string(p[:klen])
	p = p[klen:]
	if err := store.ValidateKey(r.Key); err != nil {
		return nil, fmt.Errorf("%w: record key: %v", ErrFormat, err)
	}
	if r.ModRev == 0 || r.PrevRev >= r.ModRev {
		return nil, fmt.Errorf("%w: record revisions", ErrFormat)
	}
	if r.Tombstone {
		if len(p) != 0 || r.CreateRev != 0 || r.Version != 0 {
			return nil, fmt.Errorf("%w: tombstone with a value", ErrFormat)
		}
		return r, nil
	}
	if r.CreateRev == 0 || r.CreateRev > r.ModRev || r.Version == 0 {
		return nil, fmt.Errorf("%w: record versions", ErrFormat)
	}
	if err := store.ValidateValue(p); err != nil {
		return nil, fmt.Errorf("%w: record value: %v", ErrFormat, err)
	}
	r.Value = append([]byte(nil), p...)
	return r, nil
}

func revKey(rev int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(rev))
}
