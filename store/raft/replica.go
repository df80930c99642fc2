package raft

import (
	"log/slog"
	"time"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

// boltReplica is the local replica on store/bolt: written without fsync
// (the raft log is the durable record) and with leases that never expire
// by the local clock (the leader revokes them through the log).
type boltReplica struct {
	*bolt.DB
}

func openReplica(path string, log *slog.Logger) (replica, error) {
	db, err := bolt.Open(path, &bolt.Options{NoSync: true, ManualLeaseExpiry: true, Logger: log})
	if err != nil {
		return nil, err
	}
	return boltReplica{db}, nil
}

func (b boltReplica) leaseTTLs() map[store.LeaseID]time.Duration {
	ls := b.Leases()
	out := make(map[store.LeaseID]time.Duration, len(ls))
	for _, l := range ls {
		out[l.ID] = l.TTL
	}
	return out
}
