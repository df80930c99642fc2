package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/longshore/longshore/api/meta"
)

// WatchOptions are Kubernetes' watch options, as the storage layer needs
// them.
type WatchOptions struct {
	// ResourceVersion: "" or "0" start with the current state (an Added
	// event per object) and continue; N continues after revision N.
	ResourceVersion string
	// Predicate filters objects. An object that stops matching is reported
	// as Deleted, one that starts matching as Added, as Kubernetes does.
	Predicate Predicate
	// Bookmarks asks for Bookmark events while idle.
	Bookmarks bool
}

// Watch is one client's view of a resource's changes. It reads the shared
// event window of the cache with its own cursor: one slow client neither
// slows the others nor makes the cache buffer for it; if it falls behind
// the window, Next returns ErrGone and the client resumes with a new list,
// as Kubernetes clients do.
//
// A Watch is used by one goroutine.
type Watch struct {
	r          *Resource
	prefix     string
	pred       Predicate
	bookmarks  bool
	generation int64
	cursor     int64    // seq of the last event consumed
	pending    []*Event // events fetched but not yet returned
	lastRV     int64    // revision of the last event or bookmark returned
}

// Watch starts a watch of the objects under prefix.
func (r *Resource) Watch(ctx context.Context, prefix string, opts WatchOptions) (*Watch, error) {
	if !strings.HasPrefix(prefix, r.cfg.Prefix) {
		return nil, fmt.Errorf("%w: prefix %q outside resource %q", ErrInvalid, prefix, r.cfg.Prefix)
	}
	mode, rv, err := parseRV(opts.ResourceVersion, "", false)
	if err != nil {
		return nil, err
	}
	w := &Watch{r: r, prefix: prefix, pred: opts.Predicate, bookmarks: opts.Bookmarks}
	switch mode {
	case readConsistent:
		if _, err := r.c.waitConsistent(ctx); err != nil {
			return nil, err
		}
	case readAny:
		if err := r.c.waitFor(ctx, 0); err != nil {
			return nil, err
		}
	case readNotOlder:
		if err := r.c.waitFor(ctx, rv); err != nil {
			return nil, err
		}
	}
	r.c.mu.RLock()
	defer r.c.mu.RUnlock()
	w.generation = r.generation
	if mode == readNotOlder {
		if rv < r.evictedRV {
			return nil, fmt.Errorf("%w: resource version %d is older than the cache window (%d)", ErrGone, rv, r.evictedRV)
		}
		w.cursor = r.seqAfterRVLocked(rv)
		w.lastRV = rv
		return w, nil
	}
	// Start from the current state: an Added event per matching object.
	w.cursor = r.seq
	w.lastRV = r.c.rv
	r.items.AscendGreaterOrEqual(&Entry{Key: prefix}, func(e *Entry) bool {
		if !strings.HasPrefix(e.Key, prefix) {
			return false
		}
		if matches(w.pred, e) {
			w.pending = append(w.pending, &Event{Type: meta.Added, Revision: e.ModRevision, Object: e})
		}
		return true
	})
	return w, nil
}

// Next blocks until the next event for this watch and returns it. It
// returns a Bookmark event (Object nil, Revision set) when bookmarks were
// asked for and the watch was idle for the bookmark interval. It returns an
// error wrapping ErrGone when the watch fell out of the cache's window or
// the cache was reloaded, and ctx.Err() when ctx is done.
func (w *Watch) Next(ctx context.Context) (Event, error) {
	var timer *time.Timer
	for {
		for len(w.pending) > 0 {
			ev := w.pending[0]
			w.pending[0] = nil
			w.pending = w.pending[1:]
			out, ok, err := w.filter(ev)
			if err != nil {
				return Event{}, err
			}
			if ok {
				w.lastRV = out.Revision
				return out, nil
			}
			w.lastRV = ev.Revision
		}
		w.r.c.mu.RLock()
		if w.r.generation != w.generation {
			w.r.c.mu.RUnlock()
			return Event{}, fmt.Errorf("%w: the cache was reloaded", ErrGone)
		}
		first := w.r.seq - int64(w.r.n) + 1
		if w.cursor+1 < first {
			w.r.c.mu.RUnlock()
			return Event{}, fmt.Errorf("%w: the watch fell behind the cache window", ErrGone)
		}
		if w.cursor < w.r.seq {
			w.pending = w.r.eventsAfterLocked(w.cursor)
			w.cursor = w.r.seq
			w.r.c.mu.RUnlock()
			continue
		}
		notify, rv := w.r.notify, w.r.c.rv
		w.r.c.mu.RUnlock()

		if w.bookmarks {
			if timer == nil {
				timer = time.NewTimer(w.r.c.opts.BookmarkInterval)
				defer timer.Stop()
			}
			select {
			case <-notify:
				continue
			case <-ctx.Done():
				return Event{}, ctx.Err()
			case <-timer.C:
				timer.Reset(w.r.c.opts.BookmarkInterval)
				if rv > w.lastRV {
					w.lastRV = rv
				}
				return Event{Type: meta.Bookmark, Revision: w.lastRV}, nil
			}
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// filter applies the prefix and predicate to ev, turning predicate
// transitions into Added and Deleted as Kubernetes does.
func (w *Watch) filter(ev *Event) (Event, bool, error) {
	if !strings.HasPrefix(ev.Object.Key, w.prefix) {
		return Event{}, false, nil
	}
	if w.pred == nil {
		return *ev, true, nil
	}
	cur := ev.Type != meta.Deleted && matches(w.pred, ev.Object)
	prev := ev.Prev != nil && matches(w.pred, ev.Prev)
	switch ev.Type {
	case meta.Added:
		return *ev, cur, nil
	case meta.Deleted:
		return *ev, prev, nil
	case meta.Modified:
		switch {
		case cur && prev:
			return *ev, true, nil
		case cur:
			return Event{Type: meta.Added, Revision: ev.Revision, Object: ev.Object, Prev: ev.Prev}, true, nil
		case prev:
			return Event{Type: meta.Deleted, Revision: ev.Revision, Object: ev.Object, Prev: ev.Prev}, true, nil
		}
	}
	return Event{}, false, nil
}
