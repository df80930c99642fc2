package raft

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
)

// logStore is the raft log and raft's stable store (term and vote) in one.
type logStore interface {
	hraft.LogStore
	hraft.StableStore
	io.Closer
}

// boltLogFile is the file of the LogStoreBolt format, under the raft
// directory; walMetaFile marks the LogStoreWAL format.
const (
	boltLogFile = "raft.db"
	walMetaFile = "wal-meta.db"
)

// checkLogFormat fails with ErrConfig when raftDir holds a log of the
// other format than kind.
func checkLogFormat(raftDir string, kind LogStoreKind) error {
	has := func(name string) bool {
		_, err := os.Stat(filepath.Join(raftDir, name))
		return err == nil
	}
	switch {
	case kind == LogStoreBolt && has(walMetaFile):
		return fmt.Errorf("%w: %s holds a raft log in the %q format (%s); open it with LogStore %q, or move the data directory away and join the node again", ErrConfig, raftDir, LogStoreWAL, walMetaFile, LogStoreWAL)
	case kind != LogStoreBolt && has(boltLogFile):
		return fmt.Errorf("%w: %s holds a raft log in the %q format (%s); open it with LogStore %q, or move the data directory away and join the node again", ErrConfig, raftDir, LogStoreBolt, boltLogFile, LogStoreBolt)
	}
	return nil
}

// openLogStore opens the raft log of the given format in raftDir.
func openLogStore(raftDir string, kind LogStoreKind, log *slog.Logger) (logStore, error) {
	if kind == LogStoreBolt {
		// hashicorp/raft-boltdb/v2 on go.etcd.io/bbolt: every append is a
		// bbolt transaction (two fsyncs: pages, then meta).
		return raftboltdb.New(raftboltdb.Options{Path: filepath.Join(raftDir, boltLogFile)})
	}
	// A write-ahead log of preallocated segment files (hashicorp/raft-wal):
	// an append costs one write and one fsync of data only, where a bbolt
	// log store costs two fsyncs and a B-tree update. It also keeps the
	// term and vote (StableStore).
	w, err := wal.Open(raftDir, wal.WithSegmentSize(walSegmentSize), wal.WithLogger(newHCLog(log, "raft-wal")))
	if err != nil {
		return nil, err
	}
	return walLog{w}, nil
}
