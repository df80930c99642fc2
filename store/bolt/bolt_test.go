package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/longshore/longshore/internal/mvcc"
	"github.com/longshore/longshore/store"
)

func openTest(t testing.TB, path string, opts *Options) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "store.db")
	}
	db, err := Open(path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600)

	foreign := filepath.Join(dir, "foreign.db")
	fdb, err := bbolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	fdb.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
	fdb.Close()

	corrupt := filepath.Join(dir, "corrupt.db")
	db := openTest(t, corrupt, nil)
	db.Create(context.Background(), "/k", []byte("v"), 0)
	db.Close()
	cdb, _ := bbolt.Open(corrupt, 0o600, nil)
	cdb.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketRevs).Put(revKey(2), []byte{1, 0, 0xff}) })
	cdb.Close()

	truncated := filepath.Join(dir, "truncated.db")
	tdb := openTest(t, truncated, nil)
	for i := range 200 {
		tdb.Create(context.Background(), fmt.Sprintf("/k/%d", i), bytes.Repeat([]byte("x"), 500), 0)
	}
	tdb.Close()
	// bbolt grows files sparsely ahead of use: cut into the pages in use.
	os.Truncate(truncated, 32<<10)

	locked := filepath.Join(dir, "locked.db")
	openTest(t, locked, nil) // stays open: holds the lock

	tests := []struct {
		name string
		path string
		want error
	}{
		{"directory", dir, store.ErrInvalid},
		{"not bbolt", garbage, ErrFormat},
		{"foreign bbolt", foreign, ErrFormat},
		{"corrupt record", corrupt, ErrFormat},
		{"truncated", truncated, ErrFormat},
		{"locked", locked, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			db, err := Open(tc.path, &Options{LockTimeout: 100 * time.Millisecond})
			if err == nil {
				db.Close()
				t.Fatal("open succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("open took %v", time.Since(start))
			}
			t.Logf("%v", err)
		})
	}
}

func TestReopenKeepsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := db.Grant(ctx, time.Hour)
	db.Create(ctx, "/a", []byte("1"), id)
	kv, _ := db.Create(ctx, "/b", []byte("1"), 0)
	db.Update(ctx, "/b", []byte("2"), kv.ModRevision)
	db.Delete(ctx, "/a", 0)
	db.Create(ctx, "/c", []byte("1"), id)
	if err := db.Compact(ctx, 4); err != nil {
		t.Fatal(err)
	}
	wantRev, wantComp, _ := db.Revision(ctx)
	db.Close()

	db = openTest(t, path, nil)
	rev, comp, err := db.Revision(ctx)
	if err != nil || rev != wantRev || comp != wantComp {
		t.Fatalf("revision %d/%d %v, want %d/%d", rev, comp, err, wantRev, wantComp)
	}
	got, err := db.Get(ctx, "/b", store.GetOptions{Revision: 4})
	if err != nil || string(got.Value) != "2" || got.Version != 2 {
		t.Fatalf("get /b at 4: %+v %v", got, err)
	}
	if _, err := db.Get(ctx, "/b", store.GetOptions{Revision: 2}); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("get below compaction after reopen: %v", err)
	}
	ls := db.Leases()
	if len(ls) != 1 || ls[0].ID != id || ls[0].Keys != 1 || ls[0].TTL != time.Hour {
		t.Fatalf("leases after reopen: %+v", ls)
	}
	id2, _ := db.Grant(ctx, time.Hour)
	if id2 != id+1 {
		t.Fatalf("lease counter not persisted: got %d after %d", id2, id)
	}
	if err := db.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, "/c", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key of revoked lease: %v", err)
	}
}

func TestGroupCommitBatches(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, "", nil)
	const writers, each = 32, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := db.Create(ctx, fmt.Sprintf("/g/%d/%d", w, i), []byte("v"), 0); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	st := db.Stats()
	t.Logf("stats %+v", st)
	if st.Writes != writers*each {
		t.Fatalf("writes = %d, want %d", st.Writes, writers*each)
	}
	if st.Commits >= st.Writes || st.Fsyncs != st.Commits {
		t.Fatalf("no batching: %+v", st)
	}
}

func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	src := openTest(t, "", nil)
	for i := range 20 {
		src.Create(ctx, fmt.Sprintf("/s/%02d", i), []byte(fmt.Sprint(i)), 0)
	}
	id, _ := src.Grant(ctx, time.Minute)
	src.Create(ctx, "/s/leased", []byte("x"), id)
	var snap bytes.Buffer
	rev, err := src.Snapshot(ctx, &snap)
	if err != nil || rev != 21 {
		t.Fatalf("snapshot: rev %d %v", rev, err)
	}

	check := func(t *testing.T, db *DB) {
		t.Helper()
		res, err := db.List(ctx, "/s/", store.ListOptions{})
		if err != nil || len(res.KVs) != 21 || res.Revision != 21 {
			t.Fatalf("list after restore: %d keys at %d, %v", len(res.KVs), res.Revision, err)
		}
		if ls := db.Leases(); len(ls) != 1 || ls[0].Keys != 1 {
			t.Fatalf("leases after restore: %+v", ls)
		}
		kv, _ := db.Create(ctx, "/after", []byte("x"), 0)
		if kv == nil || kv.ModRevision != 22 {
			t.Fatalf("write after restore: %+v", kv)
		}
	}
	t.Run("live", func(t *testing.T) {
		dst := openTest(t, "", nil)
		dst.Create(ctx, "/old", []byte("x"), 0)
		w, _ := dst.Watch(ctx, "/", store.WatchOptions{})
		if err := dst.Restore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
			t.Fatal(err)
		}
		for range w.Events() {
		}
		if !errors.Is(w.Err(), store.ErrCompacted) {
			t.Fatalf("watcher after restore: %v", w.Err())
		}
		if _, err := dst.Get(ctx, "/old", store.GetOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old key survived restore: %v", err)
		}
		check(t, dst)
		// Going back is refused.
		if err := dst.Restore(ctx, bytes.NewReader(snap.Bytes())); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("restore behind: %v", err)
		}
		check2, _ := dst.Get(ctx, "/after", store.GetOptions{})
		if check2 == nil {
			t.Fatal("refused restore changed the state")
		}
	})
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "restored.db")
		if err := RestoreFile(path, bytes.NewReader(snap.Bytes())); err != nil {
			t.Fatal(err)
		}
		if err := RestoreFile(path, bytes.NewReader(snap.Bytes())); err == nil {
			t.Fatal("restore over an existing file succeeded")
		}
		check(t, openTest(t, path, nil))
	})
	t.Run("garbage", func(t *testing.T) {
		dst := openTest(t, "", nil)
		for name, data := range map[string][]byte{
			"empty":     nil,
			"garbage":   bytes.Repeat([]byte{7}, 10000),
			"truncated": snap.Bytes()[:snap.Len()/2],
		} {
			if err := dst.Restore(ctx, bytes.NewReader(data)); !errors.Is(err, ErrFormat) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := dst.Create(ctx, "/still", []byte("ok"), 0); err != nil {
			t.Fatalf("store unusable after refused restores: %v", err)
		}
		entries, _ := os.ReadDir(filepath.Dir(dst.Path()))
		if len(entries) != 1 {
			t.Fatalf("temporary files left: %v", entries)
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	tests := []mvcc.Record{
		{Key: "/a", Value: []byte("v"), CreateRev: 1, ModRev: 1, Version: 1},
		{Key: "/a", Value: []byte("w"), CreateRev: 1, ModRev: 9, Version: 4, Lease: 3, PrevRev: 7},
		{Key: "/a", ModRev: 10, PrevRev: 9, Lease: 3, Tombstone: true},
	}
	for _, r := range tests {
		t.Run(fmt.Sprintf("%d", r.ModRev), func(t *testing.T) {
			got, err := decodeRecord(encodeRecord(nil, &r))
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != r.Key || !bytes.Equal(got.Value, r.Value) || got.CreateRev != r.CreateRev ||
				got.ModRev != r.ModRev || got.Version != r.Version || got.Lease != r.Lease ||
				got.PrevRev != r.PrevRev || got.Tombstone != r.Tombstone {
				t.Fatalf("got %+v, want %+v", got, r)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(nil, &mvcc.Record{Key: "/a", Value: []byte("v"), CreateRev: 1, ModRev: 2, Version: 2, PrevRev: 1}))
	f.Add(encodeRecord(nil, &mvcc.Record{Key: "/a", ModRev: 3, PrevRev: 2, Tombstone: true}))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		again, err := decodeRecord(encodeRecord(nil, r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if again.Key != r.Key || !bytes.Equal(again.Value, r.Value) || again.ModRev != r.ModRev {
			t.Fatalf("round trip changed the record: %+v vs %+v", again, r)
		}
	})
}

func TestAutoCompactOption(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, "", &Options{AutoCompact: AutoCompact{Revisions: 3, Interval: 20 * time.Millisecond}})
	for i := range 10 {
		db.Create(ctx, fmt.Sprintf("/ac/%d", i), []byte("v"), 0)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		cur, compacted, _ := db.Revision(ctx)
		if compacted == cur-3-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d, compacted %d: auto-compaction did not run", cur, compacted)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := db.Get(ctx, "/ac/0", store.GetOptions{Revision: 2}); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("read below the auto-compaction point: %v", err)
	}
}

func TestRestoreWhileWriting(t *testing.T) {
	ctx := context.Background()
	src := openTest(t, "", nil)
	for i := range 500 {
		src.Create(ctx, fmt.Sprintf("/src/%d", i), []byte("v"), 0)
	}
	var snap bytes.Buffer
	snapRev, err := src.Snapshot(ctx, &snap)
	if err != nil {
		t.Fatal(err)
	}
	dst := openTest(t, "", &Options{NoSync: true})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// At most 4x22 writes: dst stays below the snapshot's
				// revision, so the restore always goes forward.
				if _, err := dst.Create(ctx, fmt.Sprintf("/dst/%d/%d", g, i), []byte("v"), 0); err != nil {
					t.Errorf("create: %v", err)
					return
				}
				if i > 20 {
					return
				}
			}
		}()
	}
	if err := dst.Restore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	cur, _, _ := dst.Revision(ctx)
	if cur < snapRev {
		t.Fatalf("revision %d after restoring %d", cur, snapRev)
	}
	res, err := dst.List(ctx, "/src/", store.ListOptions{})
	if err != nil || len(res.KVs) != 500 {
		t.Fatalf("restored keys: %d, %v", len(res.KVs), err)
	}
}

// TestOpenCorruptPages overwrites one page at a time of a valid file with
// junk: Open must fail with ErrFormat (or succeed when the page was unused),
// never crash the process.
func TestOpenCorruptPages(t *testing.T) {
	ctx := context.Background()
	orig := filepath.Join(t.TempDir(), "orig.db")
	db := openTest(t, orig, &Options{NoSync: true})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				db.Create(ctx, fmt.Sprintf("/k/%d/%05d", w, i), []byte("some value here"), 0)
			}
		}()
	}
	wg.Wait()
	db.Close()
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	// bbolt grows files ahead of use: keep only the pages in use.
	bdb, err := bbolt.Open(orig, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	bdb.View(func(tx *bbolt.Tx) error { data = data[:tx.Size()]; return nil })
	bdb.Close()
	junk := make([]byte, 64)
	for i := range junk {
		junk[i] = byte(i * 37)
	}
	failed := 0
	for page := 2; (page+1)*4096 <= len(data); page++ {
		t.Run(fmt.Sprint(page), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "corrupt.db")
			bad := bytes.Clone(data)
			copy(bad[page*4096+16:], junk)
			os.WriteFile(path, bad, 0o600)
			db, err := Open(path, nil)
			if err == nil {
				db.Close()
				return
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("page %d: %v", page, err)
			}
			failed++
		})
	}
	if failed == 0 {
		t.Fatal("no corruption was detected")
	}
	t.Logf("%d corrupt pages of a %d-byte file refused", failed, len(data))
}

// FuzzOpen opens arbitrary bytes as a store file: an error, never a crash.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.db")
	db, err := Open(seed, &Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	db.Create(context.Background(), "/a", []byte("1"), 0)
	db.Update(context.Background(), "/a", []byte("2"), 0)
	db.Close()
	var snap bytes.Buffer
	if db, err = Open(seed, nil); err != nil {
		f.Fatal(err)
	}
	if _, err := db.Snapshot(context.Background(), &snap); err != nil {
		f.Fatal(err)
	}
	db.Close()
	f.Add(snap.Bytes())
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, &Options{LockTimeout: 100 * time.Millisecond})
		if err != nil {
			return
		}
		defer db.Close()
		// A file that opens must be usable.
		if _, err := db.List(context.Background(), "", store.ListOptions{}); err != nil {
			t.Fatalf("list of an accepted file: %v", err)
		}
	})
}

// TestOpenCompletesEmptyFile: a bbolt file without buckets is what a crash
// between bbolt's creation of the file and the store's first transaction
// leaves; Open finishes the job instead of calling it foreign.
func TestOpenCompletesEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	db := openTest(t, path, nil)
	if _, err := db.Create(context.Background(), "/k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
}
