package raft

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Peer is one member of the cluster: its raft server ID and its address.
type Peer struct {
	// ID is the member's NodeID.
	ID string
	// Addr is the member's advertised host:port (Config.RaftAddr).
	Addr string
}

// Config configures a Node. NodeID, DataDir and RaftAddr (or Listener) are
// required; every other zero field takes its default.
type Config struct {
	// NodeID names this member; it must stay the same across restarts.
	NodeID string
	// DataDir holds the raft log, the snapshots and the local replica.
	DataDir string
	// RaftAddr is the host:port to listen on and to advertise to peers.
	// Raft traffic and the forwarding service share it: each connection
	// says with its first byte which one it is for, so that the leader's
	// raft address is also where followers forward to.
	RaftAddr string
	// Listener, if set, is used instead of listening on RaftAddr (which is
	// then only advertised; when empty, the listener's address is).
	Listener net.Listener
	// Dialer connects to peers; nil dials TCP.
	Dialer Dialer
	// Bootstrap lists the initial members of a new cluster, this node
	// included. It is ignored when DataDir already holds raft state. Leave
	// it empty on a node that will be added with Join.
	Bootstrap []Peer
	// TLS, when set, secures every peer connection (raft and forwarding).
	// It serves as both server and client configuration: it needs
	// Certificates, and RootCAs/ClientCAs to verify the other side.
	TLS *tls.Config
	// Logger receives the node's and hashicorp/raft's logs; nil discards.
	Logger *slog.Logger
	// Registerer, if set, receives the node's metrics.
	Registerer prometheus.Registerer

	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger a new one (default 8192).
	SnapshotThreshold uint64
	// SnapshotInterval is how often raft checks whether to snapshot
	// (default 30s).
	SnapshotInterval time.Duration
	// TrailingLogs is how many entries are kept after a snapshot, so a
	// briefly lagging follower catches up from the log rather than by
	// InstallSnapshot (default 10240).
	TrailingLogs uint64
	// HeartbeatTimeout and ElectionTimeout are raft's failure detection
	// timeouts (default 1s each); LeaderLeaseTimeout must not exceed
	// HeartbeatTimeout (default 500ms).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// CommitTimeout bounds how long a follower may go without learning the
	// commit index when idle (default 50ms).
	CommitTimeout time.Duration
	// LeaseCheckInterval is how often the leader looks for lapsed leases
	// (default 250ms).
	LeaseCheckInterval time.Duration
	// LogStore selects the raft log's format: LogStoreWAL (the default)
	// or LogStoreBolt. A data directory keeps the format it was created
	// with; opening it with the other one fails with ErrConfig.
	LogStore LogStoreKind
}

// LogStoreKind names a raft log format.
type LogStoreKind string

const (
	// LogStoreWAL is hashicorp/raft-wal: preallocated segment files, one
	// write and one fsync per append. The default, and the faster: see
	// the package doc's Performance section.
	LogStoreWAL LogStoreKind = "wal"
	// LogStoreBolt is hashicorp/raft-boltdb/v2: the log in a bbolt file
	// (raft/raft.db), two fsyncs per append. Slower; for operators who
	// want the log in the same format as the rest of the store.
	LogStoreBolt LogStoreKind = "bolt"
)

func (c *Config) validate() error {
	switch {
	case c.NodeID == "":
		return fmt.Errorf("%w: NodeID is required", ErrConfig)
	case c.DataDir == "":
		return fmt.Errorf("%w: DataDir is required", ErrConfig)
	case c.RaftAddr == "" && c.Listener == nil:
		return fmt.Errorf("%w: RaftAddr or Listener is required", ErrConfig)
	}
	switch c.LogStore {
	case "", LogStoreWAL, LogStoreBolt:
	default:
		return fmt.Errorf("%w: LogStore %q: want %q or %q", ErrConfig, c.LogStore, LogStoreWAL, LogStoreBolt)
	}
	seen := map[string]bool{}
	self := false
	for _, p := range c.Bootstrap {
		if p.ID == "" || p.Addr == "" {
			return fmt.Errorf("%w: bootstrap peer %+v needs ID and Addr", ErrConfig, p)
		}
		if seen[p.ID] {
			return fmt.Errorf("%w: bootstrap peer %q listed twice", ErrConfig, p.ID)
		}
		seen[p.ID] = true
		self = self || p.ID == c.NodeID
	}
	if len(c.Bootstrap) > 0 && !self {
		return fmt.Errorf("%w: Bootstrap does not list this node %q", ErrConfig, c.NodeID)
	}
	return nil
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// Errors of this package. Store errors are the store package's sentinels.
var (
	// ErrNoLeader: the cluster had no reachable leader before the
	// context ended. Nothing was applied.
	ErrNoLeader = errors.New("raft: no leader")
	// ErrOutcomeUnknown: a write was handed to the leader but the answer
	// was lost (leader change, connection loss or context end while it was
	// in flight). It may or may not have been applied; read to find out.
	ErrOutcomeUnknown = errors.New("raft: write outcome unknown")
	// ErrConfig: Config is invalid.
	ErrConfig = errors.New("raft: invalid config")
)
