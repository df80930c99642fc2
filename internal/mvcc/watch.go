package mvcc

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/longshore/longshore/store"
)

// Bounds of the history one catch-up pass holds for one watcher: a number
// of revisions, and bytes of keys and values (at least one record).
const (
	maxScan      = 4096
	maxScanBytes = 16 << 20
)

// hub delivers committed events to watchers.
//
// A synced watcher gets events straight from publish, by non-blocking sends
// into its buffered channel. When the channel is full it becomes unsynced:
// the hub's background loop replays the history from the first revision it
// missed, as the channel drains, and makes it synced again once it has
// reached the head. Either way each event is sent exactly once, in order.
type hub struct {
	e        *Engine
	mu       sync.Mutex // guards rev, synced, unsynced, lastSend
	rev      int64      // last published revision
	synced   map[*watcher]struct{}
	unsynced map[*watcher]struct{}
	closed   bool // set by endAll: no new watchers
	wake     chan struct{}
}

type watcher struct {
	h        *hub
	prefix   string
	progress bool
	out      chan store.Event
	lastSend time.Time

	// next is the next revision the watcher may receive. For a synced
	// watcher it is guarded by hub.mu; for an unsynced one it belongs to
	// the catch-up loop.
	next int64

	mu    sync.Mutex // guards sends, ended, err, stop
	ended bool
	err   error
	stop  func() bool
}

var _ store.Watcher = (*watcher)(nil)

func newHub(e *Engine) *hub {
	return &hub{
		e:        e,
		rev:      e.rev,
		synced:   map[*watcher]struct{}{},
		unsynced: map[*watcher]struct{}{},
		wake:     make(chan struct{}, 1),
	}
}

func (h *hub) kick() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *hub) compactedRev() int64 {
	h.e.mu.RLock()
	defer h.e.mu.RUnlock()
	return h.e.compacted
}

func (h *hub) watch(ctx context.Context, prefix string, opts store.WatchOptions) (*watcher, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, fmt.Errorf("watch %q: %w", prefix, store.ErrClosed)
	}
	if opts.Revision != 0 {
		if c := h.compactedRev(); opts.Revision <= c {
			h.mu.Unlock()
			return nil, fmt.Errorf("watch %q from revision %d (compacted at %d): %w", prefix, opts.Revision, c, store.ErrCompacted)
		}
	}
	w := &watcher{
		h:        h,
		prefix:   prefix,
		progress: opts.Progress,
		out:      make(chan store.Event, h.e.opts.WatchBufferSize),
		lastSend: time.Now(),
		next:     max(opts.Revision, h.rev+1),
	}
	if opts.Revision == 0 || opts.Revision > h.rev {
		h.synced[w] = struct{}{}
	} else {
		w.next = opts.Revision
		h.unsynced[w] = struct{}{}
		h.kick()
	}
	h.mu.Unlock()
	stop := context.AfterFunc(ctx, w.Close)
	w.mu.Lock()
	w.stop = stop
	w.mu.Unlock()
	return w, nil
}

// publish delivers the events of a durable batch that ends at rev.
func (h *hub) publish(events []store.Event, rev int64) {
	now := time.Now()
	lagged := false
	h.mu.Lock()
	for w := range h.synced {
		w.mu.Lock()
		sent := false
		full := false
		for i := range events {
			ev := &events[i]
			if ev.Revision < w.next || !strings.HasPrefix(ev.KV.Key, w.prefix) {
				continue
			}
			if w.ended {
				break
			}
			select {
			case w.out <- *ev:
				sent = true
			default:
				full = true
			}
			if full {
				w.next = ev.Revision
				break
			}
		}
		w.mu.Unlock()
		if full {
			delete(h.synced, w)
			h.unsynced[w] = struct{}{}
			lagged = true
			continue
		}
		w.next = max(w.next, rev+1)
		if sent {
			w.lastSend = now
		}
	}
	h.rev = rev
	h.mu.Unlock()
	if lagged {
		h.kick()
	}
}

// run is the background loop: catch-up of unsynced watchers and progress
// notifications.
func (h *hub) run(closing <-chan struct{}) {
	// Ticking at half the interval keeps an idle watcher's wait for a
	// notification under one and a half intervals.
	progress := time.NewTicker(h.e.opts.ProgressInterval / 2)
	defer progress.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		pending, moved := h.syncOnce()
		if moved {
			// Consumers are reading: go on at once, letting them run.
			runtime.Gosched()
			select {
			case <-closing:
				return
			case <-progress.C:
				h.sendProgress()
			default:
			}
			continue
		}
		if pending {
			retry.Reset(time.Millisecond)
		}
		select {
		case <-closing:
			return
		case <-h.wake:
		case <-progress.C:
			h.sendProgress()
		case <-retry.C:
		}
	}
}

// syncOnce makes one catch-up pass and reports whether unsynced watchers
// remain and whether any event was delivered. Watchers are served in the
// order of the revision they need next, from one window of history read
// once for all of them, so that many watchers lagging together cost one
// read of the backend, not one each.
func (h *hub) syncOnce() (pending, moved bool) {
	h.mu.Lock()
	if len(h.unsynced) == 0 {
		h.mu.Unlock()
		return false, false
	}
	ws := make([]*watcher, 0, len(h.unsynced))
	for w := range h.unsynced {
		ws = append(ws, w)
	}
	head := h.rev
	h.mu.Unlock()
	slices.SortFunc(ws, func(a, b *watcher) int { return cmp.Compare(a.next, b.next) })
	p := &pass{h: h, head: head, prevs: map[int64]*store.KeyValue{}}
	for _, w := range ws {
		if h.catchUp(p, w) {
			moved = true
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.unsynced) > 0, moved
}

// pass is the history read during one catch-up pass.
type pass struct {
	h     *hub
	head  int64
	win   []*Record // consecutive revisions
	bytes int       // keys and values held in win
	prevs map[int64]*store.KeyValue
}

func recordSize(r *Record) int { return len(r.Key) + len(r.Value) }

// records returns the history from rev on, at most maxScan records, reading
// what the window does not hold yet. Revisions only grow during a pass.
func (p *pass) records(rev int64) ([]*Record, error) {
	if len(p.win) > 0 && rev > p.win[0].ModRev {
		drop := min(int(rev-p.win[0].ModRev), len(p.win))
		for _, r := range p.win[:drop] {
			p.bytes -= recordSize(r)
		}
		p.win = p.win[drop:]
	}
	if len(p.win) == 0 || p.win[0].ModRev != rev {
		p.win, p.bytes = p.win[:0], 0
	}
	want := min(p.head, rev+maxScan-1)
	from := rev + int64(len(p.win))
	if from <= want {
		expect := from
		var gap bool
		err := p.h.e.backend.Range(from, want, func(r *Record) bool {
			if r.ModRev != expect {
				gap = true
				return false
			}
			expect++
			p.win = append(p.win, r)
			p.bytes += recordSize(r)
			return p.bytes < maxScanBytes
		})
		if err != nil {
			return nil, err
		}
		if gap {
			// Only compaction makes holes in the history.
			return nil, fmt.Errorf("history from revision %d: %w", rev, store.ErrCompacted)
		}
	}
	return p.win, nil
}

// prev returns the version a record replaced, from the pass's cache or the
// backend.
func (p *pass) prev(revs []int64) ([]*store.KeyValue, error) {
	out := make([]*store.KeyValue, len(revs))
	var missing []int64
	for i, r := range revs {
		if kv, ok := p.prevs[r]; ok {
			out[i] = kv
		} else {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		recs, err := p.h.e.backend.Get(missing)
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			if r == nil {
				return nil, fmt.Errorf("previous value at revision %d: %w", missing[i], store.ErrCompacted)
			}
			kv := r.KeyValue()
			p.prevs[missing[i]] = &kv
		}
		for i, r := range revs {
			out[i] = p.prevs[r]
		}
	}
	return out, nil
}

// catchUp replays history up to the pass's head into an unsynced watcher,
// as far as its channel has room, and makes it synced once it has reached
// the head. It reports whether it delivered anything.
func (h *hub) catchUp(p *pass, w *watcher) (sent bool) {
	if w.next <= p.head {
		if w.next <= h.compactedRev() {
			h.endCompacted(w)
			return false
		}
		free := cap(w.out) - len(w.out)
		if free == 0 {
			return false
		}
		evs, last, err := h.replay(p, w, free)
		if w.next <= h.compactedRev() {
			h.endCompacted(w)
			return false
		}
		if err != nil {
			h.e.log.Error("watch catch-up failed", "prefix", w.prefix, "from", w.next, "err", err)
			h.remove(w)
			w.end(fmt.Errorf("watch %q: catch up from revision %d: %w", w.prefix, w.next, err))
			return false
		}
		w.mu.Lock()
		if w.ended {
			w.mu.Unlock()
			return false
		}
		for i, ev := range evs {
			select {
			case w.out <- ev:
				continue
			default:
			}
			// Only this loop sends to an unsynced watcher, so the room
			// measured above is still there; keep the order regardless.
			last = ev.Revision - 1
			evs = evs[:i]
			break
		}
		w.next = last + 1
		w.mu.Unlock()
		if len(evs) > 0 {
			sent = true
			h.mu.Lock()
			w.lastSend = time.Now()
			h.mu.Unlock()
		}
	}
	h.mu.Lock()
	if _, ok := h.unsynced[w]; ok && w.next > h.rev {
		delete(h.unsynced, w)
		h.synced[w] = struct{}{}
	}
	h.mu.Unlock()
	return sent
}

// replay returns at most limit events for w from history, from w.next on,
// and the last revision examined.
func (h *hub) replay(p *pass, w *watcher, limit int) ([]store.Event, int64, error) {
	recs, err := p.records(w.next)
	if err != nil {
		return nil, 0, err
	}
	var evs []store.Event
	var prevRevs []int64
	var prevAt []int
	last := w.next - 1
	for _, r := range recs {
		if len(evs) == limit {
			break
		}
		last = r.ModRev
		if !strings.HasPrefix(r.Key, w.prefix) {
			continue
		}
		ev := store.Event{Type: store.EventPut, Revision: r.ModRev, KV: r.KeyValue()}
		if r.Tombstone {
			ev.Type = store.EventDelete
			ev.KV = store.KeyValue{Key: r.Key, ModRevision: r.ModRev}
		}
		if r.PrevRev != 0 {
			prevRevs = append(prevRevs, r.PrevRev)
			prevAt = append(prevAt, len(evs))
		}
		evs = append(evs, ev)
	}
	if len(prevRevs) > 0 {
		prevs, err := p.prev(prevRevs)
		if err != nil {
			return nil, 0, err
		}
		for i, kv := range prevs {
			evs[prevAt[i]].Prev = kv
		}
	}
	return evs, last, nil
}

func (h *hub) endCompacted(w *watcher) {
	h.remove(w)
	w.end(fmt.Errorf("watch %q: revision %d has been compacted: %w", w.prefix, w.next, store.ErrCompacted))
}

func (h *hub) sendProgress() {
	now := time.Now()
	interval := h.e.opts.ProgressInterval
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.synced {
		if !w.progress || now.Sub(w.lastSend) < interval {
			continue
		}
		w.mu.Lock()
		if !w.ended {
			select {
			case w.out <- store.Event{Type: store.EventProgress, Revision: h.rev}:
				w.lastSend = now
			default:
			}
		}
		w.mu.Unlock()
	}
}

func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	delete(h.synced, w)
	delete(h.unsynced, w)
	h.mu.Unlock()
}

// endAll ends every watcher with err.
func (h *hub) endAll(err error) {
	h.mu.Lock()
	h.closed = true
	ws := h.drain()
	h.mu.Unlock()
	for _, w := range ws {
		w.end(err)
	}
}

func (h *hub) drain() []*watcher {
	ws := make([]*watcher, 0, len(h.synced)+len(h.unsynced))
	for w := range h.synced {
		ws = append(ws, w)
	}
	for w := range h.unsynced {
		ws = append(ws, w)
	}
	clear(h.synced)
	clear(h.unsynced)
	return ws
}

// reset ends every watcher and runs swap with the hub locked; swap returns
// the new head revision.
func (h *hub) reset(swap func() (int64, error)) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	rev, err := swap()
	if err != nil {
		return err
	}
	for _, w := range h.drain() {
		w.end(fmt.Errorf("watch %q: state replaced by a snapshot at revision %d: %w", w.prefix, rev, store.ErrCompacted))
	}
	h.rev = rev
	return nil
}

// Events implements store.Watcher.
func (w *watcher) Events() <-chan store.Event { return w.out }

// Err implements store.Watcher.
func (w *watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close implements store.Watcher.
func (w *watcher) Close() {
	w.h.remove(w)
	w.end(nil)
}

func (w *watcher) end(err error) {
	w.mu.Lock()
	if w.ended {
		w.mu.Unlock()
		return
	}
	w.ended = true
	w.err = err
	close(w.out)
	stop := w.stop
	w.mu.Unlock()
	if stop != nil {
		stop()
	}
}
