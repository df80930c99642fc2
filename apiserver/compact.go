package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/longshore/longshore/store"
)

// compactKey is the store key through which API servers sharing a store
// agree on whose turn it is to compact (kube-apiserver's compact_rev_key).
// It lies under the watch cache's root, outside every resource: the cache
// sees its writes go by, so a consistent read never waits for a revision
// the cache could only learn of from the store's next progress report.
const compactKey = "/registry/compact_rev_key"

// compactor compacts the store's history once per interval, to the
// revision the store had one interval before. Each server's compactor
// writes compactKey with a compare-and-swap on the version it last saw:
// the first of them to tick in an interval wins and compacts, the others
// find the key changed, adopt its version and wait for the next interval.
type compactor struct {
	st  store.Store
	log *slog.Logger
	// seen is compactKey's ModRevision when this compactor last looked (0:
	// absent); prev the store revision at its previous tick (0: none yet).
	seen, prev int64
}

func newCompactor(st store.Store, log *slog.Logger) *compactor {
	return &compactor{st: st, log: log}
}

// run ticks every interval until ctx ends.
func (c *compactor) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.tick(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("compacting the store", "err", err)
		}
	}
}

// tick takes this interval's turn if nobody has, compacting to the
// revision of the previous tick. It returns the revision it compacted to,
// or 0.
func (c *compactor) tick(ctx context.Context) (int64, error) {
	value := []byte(strconv.FormatInt(c.prev, 10))
	var kv *store.KeyValue
	var err error
	if c.seen == 0 {
		kv, err = c.st.Create(ctx, compactKey, value, 0)
	} else {
		kv, err = c.st.Update(ctx, compactKey, value, c.seen)
	}
	if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		// Another server took this interval (or the key was removed):
		// adopt what is there now and wait for the next one.
		cur, gerr := c.st.Get(ctx, compactKey, store.GetOptions{})
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			c.seen = 0
		case gerr != nil:
			return 0, gerr
		default:
			c.seen = cur.ModRevision
		}
		c.prev = 0
		if cur != nil {
			c.prev = cur.ModRevision
		}
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.seen = kv.ModRevision
	target := c.prev
	c.prev = kv.ModRevision
	if target <= 0 {
		return 0, nil
	}
	if err := c.st.Compact(ctx, target); err != nil {
		return 0, err
	}
	return target, nil
}
