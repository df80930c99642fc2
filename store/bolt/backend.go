package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// File layout.
var (
	bucketMeta   = []byte("longshore.meta")
	bucketRevs   = []byte("longshore.revisions")
	bucketLeases = []byte("longshore.leases")

	keyMagic     = []byte("magic")
	keyFormat    = []byte("format")
	keyRev       = []byte("revision")
	keyCompacted = []byte("compacted")
	keyLeaseSeq  = []byte("lease-seq")

	magic = []byte("longshore-mvcc-store")
)

// fileFormat is the version of the file layout.
const fileFormat = 1

// backend persists the engine's history in a bbolt file.
type backend struct {
	mu     sync.RWMutex // guards db, which Restore swaps
	db     *bbolt.DB
	path   string
	bopts  *bbolt.Options
	fsyncs atomic.Int64
}

var _ mvcc.Backend = (*backend)(nil)

func boltOptions(opts *Options, readOnly bool) *bbolt.Options {
	return &bbolt.Options{
		Timeout:         opts.LockTimeout,
		NoSync:          opts.NoSync,
		NoFreelistSync:  true,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: 64 << 20,
		ReadOnly:        readOnly,
	}
}

// errEmpty reports a bbolt file without any bucket: a store whose
// creation was cut short, which Open completes.
var errEmpty = errors.New("bolt: empty bbolt file")

// openFile opens (creating if needed) and checks a store file. A corrupt
// file gives an error wrapping ErrFormat, never a crash or a hang.
func openFile(path string, bopts *bbolt.Options) (db *bbolt.DB, err error) {
	fi, statErr := os.Stat(path)
	if statErr == nil && fi.IsDir() {
		return nil, fmt.Errorf("open %s: %w: is a directory", path, store.ErrInvalid)
	}
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("open %s: %w: %v", path, ErrFormat, p)
		}
	}()
	if statErr == nil && fi.Size() > 0 {
		if err := precheck(path, bopts.Timeout); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	db, err = bbolt.Open(path, 0o600, bopts)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, openError(err, bopts.Timeout))
	}
	err = db.View(checkLayout)
	if errors.Is(err, errEmpty) && !bopts.ReadOnly {
		err = db.Update(initFile)
	}
	if errors.Is(err, errEmpty) {
		err = fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func openError(err error, timeout time.Duration) error {
	switch {
	case errors.Is(err, bberrors.ErrTimeout):
		return fmt.Errorf("locked by another process (waited %v): %w", timeout, err)
	case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrVersionMismatch), errors.Is(err, bberrors.ErrChecksum):
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return err
}

// precheck looks at an existing file before bbolt follows any of its pages:
// the size against the meta page's high-water mark (a page past the end of
// a truncated file is a SIGBUS, which no recover catches) and the page tree
// (see checkPages). It holds a shared lock meanwhile, so a file another
// process has open fails as locked rather than as torn.
func precheck(path string, timeout time.Duration) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		return openError(err, timeout)
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: truncated (%d bytes, %d expected)", ErrFormat, fi.Size(), tx.Size())
		}
		return checkPages(path)
	})
}

// checkLayout checks that the file holds a Longshore store.
func checkLayout(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		foreign := false
		tx.ForEach(func([]byte, *bbolt.Bucket) error { foreign = true; return nil })
		if foreign {
			return fmt.Errorf("%w: a bbolt file of another program", ErrFormat)
		}
		return errEmpty
	}
	if !bytes.Equal(meta.Get(keyMagic), magic) {
		return fmt.Errorf("%w: missing magic marker", ErrFormat)
	}
	if f := getInt(meta, keyFormat); f != fileFormat {
		return fmt.Errorf("%w: file format %d, this version reads %d", ErrFormat, f, fileFormat)
	}
	if tx.Bucket(bucketRevs) == nil || tx.Bucket(bucketLeases) == nil {
		return fmt.Errorf("%w: missing buckets", ErrFormat)
	}
	return nil
}

func initFile(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketRevs); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketLeases); err != nil {
		return err
	}
	if err := meta.Put(keyMagic, magic); err != nil {
		return err
	}
	return putInt(meta, keyFormat, fileFormat)
}

func putInt(b *bbolt.Bucket, key []byte, v int64) error {
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// getInt reads an integer written by putInt; a missing or malformed one
// reads as -1.
func getInt(b *bbolt.Bucket, key []byte) int64 {
	v := b.Get(key)
	if v == nil {
		return 0
	}
	if len(v) != 8 {
		return -1
	}
	return int64(binary.BigEndian.Uint64(v))
}

// view runs fn in a read transaction, turning a panic of bbolt on a corrupt
// page into an error.
func (b *backend) view(fn func(*bbolt.Tx) error) (err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.db == nil {
		return fmt.Errorf("bolt: %w", store.ErrClosed)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrFormat, p)
		}
	}()
	return b.db.View(fn)
}

func (b *backend) update(fn func(*bbolt.Tx) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.db == nil {
		return fmt.Errorf("bolt: %w", store.ErrClosed)
	}
	if err := b.db.Update(fn); err != nil {
		return err
	}
	if !b.bopts.NoSync {
		b.fsyncs.Add(1)
	}
	return nil
}

// Load implements mvcc.Backend.
func (b *backend) Load(fn func(*mvcc.Record) error) (mvcc.State, error) {
	var st mvcc.State
	err := b.view(func(tx *bbolt.Tx) error {
		var err error
		st, err = loadState(tx, fn)
		return err
	})
	return st, err
}

// loadState reads the whole file: records (checked) and state.
func loadState(tx *bbolt.Tx, fn func(*mvcc.Record) error) (mvcc.State, error) {
	var st mvcc.State
	meta := tx.Bucket(bucketMeta)
	st.Rev, st.Compacted, st.LeaseSeq = getInt(meta, keyRev), getInt(meta, keyCompacted), getInt(meta, keyLeaseSeq)
	if st.Rev < 0 || st.Compacted < 0 || st.LeaseSeq < 0 || st.Compacted > st.Rev {
		return st, fmt.Errorf("%w: corrupt metadata", ErrFormat)
	}
	c := tx.Bucket(bucketRevs).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r, err := decodeRecord(v)
		if err != nil {
			return st, fmt.Errorf("revision key %x: %w", k, err)
		}
		if len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != r.ModRev || r.ModRev > st.Rev {
			return st, fmt.Errorf("%w: record key %x does not match revision %d", ErrFormat, k, r.ModRev)
		}
		if err := fn(r); err != nil {
			return st, err
		}
	}
	err := tx.Bucket(bucketLeases).ForEach(func(k, v []byte) error {
		if len(k) != 8 || len(v) != 8 {
			return fmt.Errorf("%w: corrupt lease entry", ErrFormat)
		}
		id, ttl := int64(binary.BigEndian.Uint64(k)), int64(binary.BigEndian.Uint64(v))
		if id <= 0 || id > st.LeaseSeq || ttl <= 0 {
			return fmt.Errorf("%w: corrupt lease %d", ErrFormat, id)
		}
		st.Leases = append(st.Leases, mvcc.Lease{ID: store.LeaseID(id), TTL: ttl})
		return nil
	})
	return st, err
}

// Commit implements mvcc.Backend: one bbolt transaction, one fsync.
func (b *backend) Commit(batch *mvcc.Batch) error {
	return b.update(func(tx *bbolt.Tx) error {
		revs := tx.Bucket(bucketRevs)
		revs.FillPercent = 1 // keys only ever grow: pack pages full
		for i := range batch.Records {
			r := &batch.Records[i]
			// bbolt keeps the slices until commit, so each needs its own.
			buf := encodeRecord(make([]byte, 0, maxRecordOverhead+len(r.Key)+len(r.Value)), r)
			if err := revs.Put(revKey(r.ModRev), buf); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := putInt(meta, keyRev, batch.Rev); err != nil {
			return err
		}
		if err := putInt(meta, keyLeaseSeq, batch.LeaseSeq); err != nil {
			return err
		}
		leases := tx.Bucket(bucketLeases)
		for _, l := range batch.Granted {
			if err := leases.Put(revKey(int64(l.ID)), revKey(l.TTL)); err != nil {
				return err
			}
		}
		for _, id := range batch.Revoked {
			if err := leases.Delete(revKey(int64(id))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Range implements mvcc.Backend.
func (b *backend) Range(from, to int64, fn func(*mvcc.Record) bool) error {
	return b.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketRevs).Cursor()
		end := revKey(to)
		for k, v := c.Seek(revKey(from)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
}

// Get implements mvcc.Backend.
func (b *backend) Get(revs []int64) ([]*mvcc.Record, error) {
	out := make([]*mvcc.Record, len(revs))
	err := b.view(func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketRevs)
		for i, rev := range revs {
			v := bk.Get(revKey(rev))
			if v == nil {
				continue
			}
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	return out, err
}

// Compact implements mvcc.Backend.
func (b *backend) Compact(revs []int64, compacted int64) error {
	// The compaction point goes first, so that a crash halfway leaves only
	// unreachable records behind. Large compactions are split so that one
	// transaction does not hold a huge dirty set.
	const chunk = 10000
	first := true
	for first || len(revs) > 0 {
		n := min(chunk, len(revs))
		part := revs[:n]
		revs = revs[n:]
		withPoint := first
		first = false
		err := b.update(func(tx *bbolt.Tx) error {
			if withPoint {
				if err := putInt(tx.Bucket(bucketMeta), keyCompacted, compacted); err != nil {
					return err
				}
			}
			bk := tx.Bucket(bucketRevs)
			for _, rev := range part {
				if err := bk.Delete(revKey(rev)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *backend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == nil {
		return nil
	}
	err := b.db.Close()
	b.db = nil
	return err
}

// lockTimeoutDefault bounds how long Open waits for another process's lock.
const lockTimeoutDefault = time.Second
