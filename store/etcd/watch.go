package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/longshore/longshore/store"
)

// errWatchEnded reports an etcd watch channel that closed on its own (the
// client lost the stream for good).
var errWatchEnded = errors.New("store/etcd: etcd ended the watch")

// watcher adapts an etcd watch channel to store.Watcher.
type watcher struct {
	events chan store.Event
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before events is closed
	once   sync.Once
}

var _ store.Watcher = (*watcher)(nil)

func (w *watcher) Events() <-chan store.Event { return w.events }

func (w *watcher) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

func (w *watcher) Close() {
	w.once.Do(w.cancel)
	<-w.done
}

// Watch implements store.Store.
func (s *Store) Watch(ctx context.Context, prefix string, opts store.WatchOptions) (store.Watcher, error) {
	if len(prefix) > store.MaxKeySize {
		return nil, fmt.Errorf("store/etcd: watch: %w: prefix of %d bytes", store.ErrTooLarge, len(prefix))
	}
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, fmt.Errorf("store/etcd: watch %q: %w", prefix, err)
	}
	if err := s.check(ctx, "watch"); err != nil {
		return nil, err
	}
	rev := opts.Revision
	if rev == 0 {
		// Pin "from now" to a revision, so that every change made after
		// Watch returns is seen even if etcd registers the watch later.
		resp, err := s.cli.Get(ctx, rangeStart(s.full(prefix)), clientv3.WithCountOnly())
		if err != nil {
			return nil, s.wrap(ctx, fmt.Sprintf("watch %q", prefix), err)
		}
		rev = resp.Header.Revision + 1
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wopts := []clientv3.OpOption{
		clientv3.WithRange(rangeEnd(s.full(prefix))),
		clientv3.WithRev(rev),
		clientv3.WithPrevKV(),
	}
	if opts.Progress {
		wopts = append(wopts, clientv3.WithProgressNotify())
	}
	w := &watcher{events: make(chan store.Event, 128), cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("store/etcd: watch %q: %w", prefix, store.ErrClosed)
	}
	s.watches.Add(1) // before Close can Wait
	s.mu.Unlock()
	wch := s.cli.Watch(wctx, rangeStart(s.full(prefix)), wopts...)
	go func() {
		defer s.watches.Done()
		err := s.pump(ctx, wctx, w, wch)
		cancel()
		if err != nil {
			s.log.Info("watch ended", "prefix", prefix, "from", rev, "err", err)
		}
		w.err = err
		// done before events: a reader that sees events closed must find
		// the reason in Err.
		close(w.done)
		close(w.events)
	}()
	return w, nil
}

// pump forwards etcd watch responses to w until the watch ends, and returns
// the reason (nil for a cancelled context or a closed watcher).
func (s *Store) pump(ctx, wctx context.Context, w *watcher, wch clientv3.WatchChan) error {
	ended := func() error {
		select {
		case <-s.closed:
			return fmt.Errorf("store/etcd: watch: %w", store.ErrClosed)
		default:
		}
		return nil // ctx cancelled or watcher closed
	}
	for {
		var resp clientv3.WatchResponse
		var ok bool
		select {
		case <-s.closed:
			return ended()
		case <-wctx.Done():
			return ended()
		case resp, ok = <-wch:
		}
		if !ok {
			if wctx.Err() != nil || s.isClosed() {
				return ended()
			}
			return errWatchEnded
		}
		if resp.CompactRevision != 0 {
			return fmt.Errorf("store/etcd: watch: events from revision %d on: %w", resp.CompactRevision, store.ErrCompacted)
		}
		if err := resp.Err(); err != nil {
			if ctx.Err() != nil || wctx.Err() != nil {
				return ended()
			}
			return fmt.Errorf("store/etcd: watch: %w", err)
		}
		if resp.IsProgressNotify() {
			if !send(wctx, s.closed, w.events, store.Event{Type: store.EventProgress, Revision: resp.Header.Revision}) {
				return ended()
			}
			continue
		}
		for _, ev := range resp.Events {
			if !send(wctx, s.closed, w.events, s.event(ev)) {
				return ended()
			}
		}
	}
}

func send(ctx context.Context, closed <-chan struct{}, ch chan<- store.Event, ev store.Event) bool {
	select {
	case ch <- ev:
		return true
	case <-ctx.Done():
		return false
	case <-closed:
		return false
	}
}

// event converts one etcd event.
func (s *Store) event(ev *clientv3.Event) store.Event {
	out := store.Event{Revision: ev.Kv.ModRevision}
	if ev.PrevKv != nil {
		prev := s.kv(ev.PrevKv)
		out.Prev = &prev
	}
	switch ev.Type {
	case mvccpb.DELETE:
		out.Type = store.EventDelete
		out.KV = store.KeyValue{Key: string(ev.Kv.Key[len(s.prefix):]), ModRevision: ev.Kv.ModRevision}
	default:
		out.Type = store.EventPut
		out.KV = s.kv(ev.Kv)
	}
	return out
}
