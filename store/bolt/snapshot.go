package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bbolt "go.etcd.io/bbolt"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

// Snapshot writes a consistent copy of the whole store (a bbolt file) to w
// and returns the revision it holds. Writes continue meanwhile.
func (db *DB) Snapshot(ctx context.Context, w io.Writer) (revision int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if _, _, err := db.e.Revision(ctx); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	err = db.b.view(func(tx *bbolt.Tx) error {
		revision = getInt(tx.Bucket(bucketMeta), keyRev)
		_, err := tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	return revision, nil
}

// ctxWriter stops a long copy once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

// Write implements io.Writer.
func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Restore replaces the live state with a snapshot made by Snapshot (used by
// store/raft to install a leader's snapshot). The snapshot must be at or
// above the current revision: revisions only go forward. Open watchers end
// with an error wrapping store.ErrCompacted, since they cannot be continued
// exactly; later watches and reads see the restored state.
func (db *DB) Restore(ctx context.Context, r io.Reader) error {
	tmp, snapRev, err := receive(ctx, filepath.Dir(db.b.path), r)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	err = db.e.Reset(ctx, func(current int64) error {
		if snapRev < current {
			return fmt.Errorf("%w: snapshot at revision %d is behind the current revision %d", store.ErrInvalid, snapRev, current)
		}
		return db.b.swap(tmp)
	})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// swap replaces the open file by the one at tmp.
func (b *backend) swap(tmp string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == nil {
		return fmt.Errorf("bolt: %w", store.ErrClosed)
	}
	if err := b.db.Close(); err != nil {
		return err
	}
	b.db = nil
	renameErr := os.Rename(tmp, b.path)
	if renameErr == nil {
		renameErr = syncDir(filepath.Dir(b.path))
	}
	// Reopen whatever is now at path, so that the store stays usable even
	// when the rename failed.
	db, err := openFile(b.path, b.bopts)
	if err != nil {
		return fmt.Errorf("reopen after restore: %w", err)
	}
	b.db = db
	return renameErr
}

// RestoreFile creates a store file at path from a snapshot made by
// Snapshot. It fails if path exists.
func RestoreFile(path string, r io.Reader) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("restore %s: %w", path, fs.ErrExist)
	}
	tmp, _, err := receive(context.Background(), filepath.Dir(path), r)
	if err != nil {
		return fmt.Errorf("restore %s: %w", path, err)
	}
	defer os.Remove(tmp)
	// Link fails if path appeared meanwhile, unlike rename.
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("restore %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// receive copies a snapshot into a temporary file in dir, fsyncs it and
// checks that it is a complete, valid store; it returns the file and the
// snapshot's revision.
func receive(ctx context.Context, dir string, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(dir, ".longshore-restore-*")
	if err != nil {
		return "", 0, err
	}
	tmp := f.Name()
	fail := func(err error) (string, int64, error) {
		f.Close()
		os.Remove(tmp)
		return "", 0, err
	}
	if _, err := io.Copy(ctxWriter{ctx, f}, r); err != nil {
		return fail(fmt.Errorf("receive snapshot: %w", err))
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	rev, err := checkFile(tmp)
	if err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	return tmp, rev, nil
}

// checkFile opens a store file read-only and decodes all of it.
func checkFile(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.Size() == 0 {
		return 0, fmt.Errorf("%w: empty snapshot", ErrFormat)
	}
	db, err := openFile(path, &bbolt.Options{Timeout: lockTimeoutDefault, ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	b := &backend{db: db, path: path}
	st, err := b.Load(func(*mvcc.Record) error { return nil })
	if err != nil {
		if !errors.Is(err, ErrFormat) {
			err = fmt.Errorf("%w: %w", ErrFormat, err)
		}
		return 0, err
	}
	return st.Rev, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
