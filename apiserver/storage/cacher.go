package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/internal/jsonraw"
	"github.com/longshore/longshore/store"
)

// Transformer turns an object's bytes into what is stored and back; the API
// server uses it to encrypt Secrets at rest. Implementations must be safe for
// concurrent use.
type Transformer interface {
	// ToStorage returns the bytes to store for key.
	ToStorage(key string, data []byte) ([]byte, error)
	// FromStorage reverses ToStorage. It must also accept bytes written
	// before the transformer was configured (plaintext), so that enabling
	// encryption keeps old data readable.
	FromStorage(key string, data []byte) ([]byte, error)
}

// ResourceConfig describes one resource kept by a Cacher.
type ResourceConfig struct {
	// Prefix is the store key prefix of the resource, ending in "/"
	// (e.g. "/registry/pods/"). It must lie under the Cacher's root.
	Prefix string
	// GVK is written into every object read from the store.
	GVK meta.GroupVersionKind
	// New returns an empty object of the resource's kind.
	New func() meta.Object
	// Transformer, if set, is applied to stored bytes.
	Transformer Transformer
	// Attrs, if set, returns what label and field selectors look at in an
	// object. The cache keeps most objects as JSON only (see Entry) and
	// keeps their Attrs beside, so that a predicate implementing
	// AttrsPredicate selects them without a decode. Default: the labels,
	// metadata.name and metadata.namespace.
	Attrs func(meta.Object) Attrs
}

// Options tune a Cacher. The zero value works.
type Options struct {
	// Root is the key prefix under which every resource lives; the Cacher
	// watches it with a single store watch. Default "/registry/".
	Root string
	// EventWindow is the number of recent events kept per resource for
	// watches that resume from a past resourceVersion. Default 4096.
	EventWindow int
	// BookmarkInterval is how often an idle watch that asked for bookmarks
	// gets one. Default 10s.
	BookmarkInterval time.Duration
	// FreshnessTimeout bounds how long a read waits for the cache to reach
	// a revision before failing with ErrTimeout. Default 3s.
	FreshnessTimeout time.Duration
	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	out := Options{}
	if o != nil {
		out = *o
	}
	if out.Root == "" {
		out.Root = "/registry/"
	}
	if out.EventWindow <= 0 {
		out.EventWindow = 4096
	}
	if out.BookmarkInterval <= 0 {
		out.BookmarkInterval = 10 * time.Second
	}
	if out.FreshnessTimeout <= 0 {
		out.FreshnessTimeout = 3 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// Entry is one version of an object as the cache holds it. Entries are
// shared between readers and read-only: JSON is the object's encoding with
// metadata.resourceVersion set, ready to write to a client, and Object
// returns it decoded (DeepCopy it before changing anything).
//
// The cache keeps the decoded object only for the versions of its most
// recent DecodedEvents events; every other entry holds the JSON and the
// object's Attrs, and Object decodes the JSON the first time it is asked
// for, keeping the result for later callers. Serving lists and watches
// needs only the JSON, so with 10,000 pods the garbage collector has a few
// hundred decoded pods to mark instead of 10,000 (see "Performance" in the
// package documentation).
type Entry struct {
	Key         string
	JSON        []byte
	ModRevision int64

	obj   meta.Object // nil when the entry is kept as JSON only
	r     *Resource   // decodes the JSON of an entry kept as JSON only
	attrs Attrs       // of an entry kept as JSON only
	lazy  atomic.Pointer[decodedObject]
	// For a decoded entry: its JSON-only copy, made by the cache before it
	// takes its lock (see Cacher.apply), for when the entry gets old.
	twin atomic.Pointer[Entry]
}

type decodedObject struct{ obj meta.Object }

// Object returns the entry's object, shared and read-only. For an entry
// kept as JSON only it decodes the JSON once, for every caller after it;
// the error is that decode's.
func (e *Entry) Object() (meta.Object, error) {
	if obj := e.loaded(); obj != nil {
		return obj, nil
	}
	if e.r == nil {
		return nil, fmt.Errorf("storage: entry %s holds no object", e.Key)
	}
	obj, err := e.r.unmarshal(e.Key, e.ModRevision, e.JSON)
	if err != nil {
		return nil, err
	}
	e.lazy.CompareAndSwap(nil, &decodedObject{obj})
	return e.lazy.Load().obj, nil
}

// Peek is Object for one-off reads of many entries (a table of every pod):
// for an entry kept as JSON only that nobody has decoded yet, it decodes
// the JSON without keeping the result, so that the cache does not grow.
func (e *Entry) Peek() (meta.Object, error) {
	if obj := e.loaded(); obj != nil {
		return obj, nil
	}
	if e.r == nil {
		return nil, fmt.Errorf("storage: entry %s holds no object", e.Key)
	}
	return e.r.unmarshal(e.Key, e.ModRevision, e.JSON)
}

// loaded returns the decoded object if the entry has one, else nil.
func (e *Entry) loaded() meta.Object {
	if e.obj != nil {
		return e.obj
	}
	if d := e.lazy.Load(); d != nil {
		return d.obj
	}
	return nil
}

// DecodedEvents is how many of a resource's most recent events keep their
// objects decoded. When an event gets older than that, its entries (the
// object after the change, if still current, and the one before) are
// replaced by copies holding the JSON and the object's Attrs only. A
// cache of 10,000 pods otherwise holds 10,000 decoded pods, and the
// thousands of old versions of a busy event window, for every garbage
// collection to mark: the paced-write tail of bench/apibench came from
// those mark phases.
const DecodedEvents = 256

// Cacher keeps every registered resource in memory, fed by one watch on the
// store, and serves reads and watches from there. It is the only reader of
// the store in the API server; writes go to the store directly (see
// Resource).
//
// Because a single store watch feeds every resource, the Cacher always knows
// the global revision it has caught up to: a read that must be consistent
// asks the store for its current revision and waits, usually for well under
// a millisecond, until the cache has reached it.
type Cacher struct {
	st   store.Store
	opts Options
	log  *slog.Logger

	mu        sync.RWMutex
	rv        int64         // every cache is complete up to rv
	rvChanged chan struct{} // closed and replaced when rv advances
	resources map[string]*Resource
	synced    bool
	ready     chan struct{}
	readyOnce sync.Once
	leases    leaseCache

	// Objects this server writes, handed to the cache so that it need not
	// decode what the writer already has (see pend and handOff).
	hmu       sync.Mutex
	pending   map[string]*pendingWrite // by key: writes in flight
	handoff   map[string]*Entry        // by key: writes done, events not yet seen
	handoffRV int64                    // the cache has looked for handoffs up to here
}

// pendingWrite is a write in flight: the object, its encoding without
// resourceVersion and the bytes sent to the store. When the cache sees a
// put of exactly those bytes it builds the entry from them (entry), and the
// writer returns that entry.
type pendingWrite struct {
	r             *Resource
	key           string
	obj           meta.Object
	plain, stored []byte
	entry         *Entry // set by the cache, under hmu
}

// NewCacher returns a Cacher over st. Register resources, then call Run.
func NewCacher(st store.Store, opts *Options) *Cacher {
	o := opts.withDefaults()
	return &Cacher{
		st:        st,
		opts:      o,
		log:       o.Logger,
		rvChanged: make(chan struct{}),
		resources: make(map[string]*Resource),
		ready:     make(chan struct{}),
		pending:   make(map[string]*pendingWrite),
		handoff:   make(map[string]*Entry),
	}
}

// Store returns the store the Cacher reads.
func (c *Cacher) Store() store.Store { return c.st }

// Register adds a resource. It may be called before or while Run runs (for
// custom resources); in the latter case the resource's state is loaded at the
// cache's current revision before Register returns.
func (c *Cacher) Register(ctx context.Context, cfg ResourceConfig) (*Resource, error) {
	if !strings.HasSuffix(cfg.Prefix, "/") || !strings.HasPrefix(cfg.Prefix, c.opts.Root) || cfg.Prefix == c.opts.Root {
		return nil, fmt.Errorf("%w: resource prefix %q must end in / and lie under %q", ErrInvalid, cfg.Prefix, c.opts.Root)
	}
	if cfg.New == nil {
		return nil, fmt.Errorf("%w: resource %q has no New func", ErrInvalid, cfg.Prefix)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.resources {
		if strings.HasPrefix(p, cfg.Prefix) || strings.HasPrefix(cfg.Prefix, p) {
			return nil, fmt.Errorf("%w: resource prefix %q overlaps %q", ErrInvalid, cfg.Prefix, p)
		}
	}
	r := newResource(c, cfg)
	if c.synced {
		kvs, err := listAll(ctx, c.st, cfg.Prefix, c.rv)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", cfg.Prefix, err)
		}
		for i := range kvs {
			e, err := r.decode(&kvs[i], kvs[i].ModRevision)
			if err != nil {
				c.log.Error("skipping undecodable object", "key", kvs[i].Key, "err", err)
				continue
			}
			r.items.ReplaceOrInsert(r.lean(e))
		}
		r.evictedRV = c.rv
	}
	c.resources[cfg.Prefix] = r
	return r, nil
}

// Unregister drops a resource (a deleted custom resource definition). Open
// watches on it end with ErrGone.
func (c *Cacher) Unregister(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.resources[prefix]; ok {
		delete(c.resources, prefix)
		r.generation++
		r.notifyLocked()
	}
}

// Ready is closed once the first full load from the store is done.
func (c *Cacher) Ready() <-chan struct{} { return c.ready }

// Revision returns the revision the cache has caught up to.
func (c *Cacher) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rv
}

// Run loads every resource from the store, then follows the store's
// changes until ctx is done. If the store watch fails (for example because
// the cache fell behind a compaction), Run reloads everything and ends the
// open watches with ErrGone, so their clients resume as Kubernetes clients do.
func (c *Cacher) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := c.syncOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, store.ErrClosed) {
			return err
		}
		c.log.Warn("watch cache restarting", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (c *Cacher) syncOnce(ctx context.Context) error {
	cur, _, err := c.st.Revision(ctx)
	if err != nil {
		return err
	}
	kvs, err := listAll(ctx, c.st, c.opts.Root, cur)
	if err != nil {
		return err
	}
	w, err := c.st.Watch(ctx, c.opts.Root, store.WatchOptions{Revision: cur + 1, Progress: true})
	if err != nil {
		return err
	}
	defer w.Close()

	c.mu.Lock()
	fresh := make(map[string][]*Entry, len(c.resources))
	for i := range kvs {
		r := c.resourceForLocked(kvs[i].Key)
		if r == nil {
			continue
		}
		e, err := r.decode(&kvs[i], kvs[i].ModRevision)
		if err != nil {
			c.log.Error("skipping undecodable object", "key", kvs[i].Key, "err", err)
			continue
		}
		fresh[r.cfg.Prefix] = append(fresh[r.cfg.Prefix], r.lean(e))
	}
	for p, r := range c.resources {
		r.reset(fresh[p], cur)
	}
	c.hmu.Lock()
	clear(c.handoff)
	c.handoffRV = cur
	c.hmu.Unlock()
	c.setRVLocked(cur)
	c.synced = true
	c.mu.Unlock()
	c.readyOnce.Do(func() { close(c.ready) })

	for ev := range w.Events() {
		c.apply(ev)
	}
	if err := w.Err(); err != nil {
		return err
	}
	return ctx.Err()
}

// apply folds one store event into the caches. The object is decoded
// before the write lock is taken: decoding (a JSON decode and encode) is
// the slow part, and every read and watch waits while the lock is held.
func (c *Cacher) apply(ev store.Event) {
	var r *Resource
	var decoded *Entry
	handed := c.takeHandoff(ev)
	if ev.Type == store.EventPut {
		c.mu.RLock()
		r = c.resourceForLocked(ev.KV.Key)
		c.mu.RUnlock()
		switch {
		case r == nil:
		case handed != nil && handed.ModRevision == ev.KV.ModRevision:
			decoded = handed
		default:
			// On an error, applyLocked decodes again and reports it.
			decoded, _ = r.decode(&ev.KV, ev.KV.ModRevision)
		}
		if decoded != nil && decoded.obj != nil {
			// The copy the entry becomes once its event is old: its
			// Attrs are computed here rather than under the lock.
			decoded.twin.CompareAndSwap(nil, r.leanCopy(decoded))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.Type != store.EventProgress {
		if cur := c.resourceForLocked(ev.KV.Key); cur != nil {
			if cur != r {
				decoded = nil // registered meanwhile: decode with its config
			}
			cur.applyLocked(ev, decoded)
		}
	}
	c.setRVLocked(ev.Revision)
}

// pend registers a write about to be sent to the store, so that the cache,
// if it sees the write's event before the writer is back, builds the entry
// from the writer's object instead of decoding the stored bytes (a JSON
// decode and encode per write). It returns nil when another write of the
// key is in flight (the store lets one of them win; the other's event, if
// any, is decoded).
func (c *Cacher) pend(r *Resource, key string, obj meta.Object, plain, stored []byte) *pendingWrite {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if _, busy := c.pending[key]; busy {
		return nil
	}
	p := &pendingWrite{r: r, key: key, obj: obj, plain: plain, stored: stored}
	c.pending[key] = p
	return p
}

// settle ends the pending write p. If the write succeeded (rev > 0) and
// the cache has already built its entry, that entry is returned; otherwise
// build is called (under the handoff lock, so the cache cannot take the
// object meanwhile) and, for a successful write whose event the cache has
// not seen yet, its result is handed off for the event to take.
func (c *Cacher) settle(p *pendingWrite, rev int64, build func() (*Entry, error)) (*Entry, error) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if p != nil {
		if c.pending[p.key] == p {
			delete(c.pending, p.key)
		}
		if p.entry != nil && rev > 0 && p.entry.ModRevision == rev {
			return p.entry, nil
		}
	}
	if rev <= 0 {
		return nil, nil
	}
	e, err := build()
	if err != nil {
		return nil, err
	}
	if e.ModRevision > c.handoffRV {
		c.handoff[e.Key] = e
	}
	return e, nil
}

// takeHandoff returns the entry this server's writer has for ev, if any:
// one built from a pending write of exactly ev's bytes, or one handed off
// for ev's revision. It records that handoffs up to ev's revision are no
// longer wanted.
func (c *Cacher) takeHandoff(ev store.Event) *Entry {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	c.handoffRV = max(c.handoffRV, ev.Revision)
	if ev.Type == store.EventProgress {
		return nil
	}
	if ev.Type == store.EventPut {
		if p, ok := c.pending[ev.KV.Key]; ok && p.entry == nil && bytes.Equal(p.stored, ev.KV.Value) {
			e, err := p.r.entry(p.key, p.obj, ev.KV.ModRevision, p.plain)
			if err == nil {
				p.entry = e
				delete(c.pending, p.key)
				return e
			}
		}
	}
	if len(c.handoff) == 0 {
		return nil
	}
	e, ok := c.handoff[ev.KV.Key]
	if !ok || e.ModRevision > ev.KV.ModRevision {
		return nil
	}
	delete(c.handoff, ev.KV.Key)
	return e
}

func (c *Cacher) setRVLocked(rv int64) {
	if rv <= c.rv && c.synced {
		return
	}
	c.rv = rv
	close(c.rvChanged)
	c.rvChanged = make(chan struct{})
}

func (c *Cacher) resourceForLocked(key string) *Resource {
	// Resource prefixes are "<root><name>/" or "<root><group>/<name>/":
	// try the two candidate prefixes of the key.
	rest, ok := strings.CutPrefix(key, c.opts.Root)
	if !ok {
		return nil
	}
	for i, n := 0, 0; i < len(rest) && n < 2; i++ {
		if rest[i] == '/' {
			n++
			if r, ok := c.resources[c.opts.Root+rest[:i+1]]; ok {
				return r
			}
		}
	}
	return nil
}

// waitFor blocks until the cache has reached rv, ctx is done or the
// freshness timeout passes.
func (c *Cacher) waitFor(ctx context.Context, rv int64) error {
	var timer *time.Timer
	for {
		c.mu.RLock()
		cur, ch, synced := c.rv, c.rvChanged, c.synced
		c.mu.RUnlock()
		if synced && cur >= rv {
			return nil
		}
		if timer == nil {
			timer = time.NewTimer(c.opts.FreshnessTimeout)
			defer timer.Stop()
		}
		// ready stays closed after the first load: waiting on it then
		// would spin, so only wait on it before.
		ready := c.ready
		if synced {
			ready = nil
		}
		select {
		case <-ch:
		case <-ready:
			// first load done; loop re-checks.
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%w: waiting for resource version %d, cache at %d", ErrTimeout, rv, cur)
		}
	}
}

// waitConsistent waits until the cache holds every write the store had
// acknowledged when the call started.
func (c *Cacher) waitConsistent(ctx context.Context) (int64, error) {
	cur, _, err := c.st.Revision(ctx)
	if err != nil {
		return 0, err
	}
	if err := c.waitFor(ctx, cur); err != nil {
		return 0, err
	}
	return cur, nil
}

// listAll reads every key under prefix at rev, page by page.
func listAll(ctx context.Context, st store.Store, prefix string, rev int64) ([]store.KeyValue, error) {
	var out []store.KeyValue
	opts := store.ListOptions{Revision: rev, Limit: 10000}
	for {
		res, err := st.List(ctx, prefix, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, res.KVs...)
		if res.Continue == "" {
			return out, nil
		}
		opts = store.ListOptions{Limit: 10000, Continue: res.Continue}
	}
}

// Resource is one resource's cache and its door to the store: reads and
// watches are served from memory, writes go to the store.
type Resource struct {
	c   *Cacher
	cfg ResourceConfig

	// guarded by c.mu
	items      *btree.BTreeG[*Entry]
	ring       []*Event // recent events; ring[(head+i)%len] for i < n
	head, n    int
	seq        int64 // sequence number of the last appended event
	evictedRV  int64 // watches may resume from revisions >= evictedRV
	generation int64 // bumped on reload: open watches end with ErrGone
	notify     chan struct{}
}

// Event is one change of a resource in the cache.
type Event struct {
	Type     meta.EventType
	Revision int64
	// Object is the object after the change; for Deleted, its last state
	// with the resourceVersion of the deletion.
	Object *Entry
	// Prev is the object before the change (nil for Added).
	Prev *Entry
	seq  int64
}

func entryLess(a, b *Entry) bool { return a.Key < b.Key }

func newResource(c *Cacher, cfg ResourceConfig) *Resource {
	return &Resource{
		c:      c,
		cfg:    cfg,
		items:  btree.NewG(32, entryLess),
		ring:   make([]*Event, c.opts.EventWindow),
		notify: make(chan struct{}),
	}
}

// Config returns the resource's configuration.
func (r *Resource) Config() ResourceConfig { return r.cfg }

func (r *Resource) reset(entries []*Entry, rv int64) {
	r.items.Clear(false)
	for _, e := range entries {
		r.items.ReplaceOrInsert(e)
	}
	clear(r.ring)
	r.head, r.n = 0, 0
	r.evictedRV = rv
	r.generation++
	r.notifyLocked()
}

func (r *Resource) notifyLocked() {
	close(r.notify)
	r.notify = make(chan struct{})
}

// applyLocked folds ev into the resource. decoded, if not nil, is the
// entry of a put event, decoded beforehand.
func (r *Resource) applyLocked(ev store.Event, decoded *Entry) {
	prev, _ := r.items.Get(&Entry{Key: ev.KV.Key})
	var out *Event
	switch ev.Type {
	case store.EventPut:
		e := decoded
		if e == nil {
			var err error
			if e, err = r.decode(&ev.KV, ev.KV.ModRevision); err != nil {
				r.c.log.Error("skipping undecodable object", "key", ev.KV.Key, "err", err)
				return
			}
		}
		r.items.ReplaceOrInsert(e)
		out = &Event{Type: meta.Added, Revision: ev.Revision, Object: e}
		if prev != nil {
			out.Type, out.Prev = meta.Modified, prev
		}
	case store.EventDelete:
		if prev == nil {
			return
		}
		r.items.Delete(prev)
		de, err := r.deleted(prev, ev.Revision)
		if err != nil {
			r.c.log.Error("encode deleted object", "key", ev.KV.Key, "err", err)
			return
		}
		out = &Event{Type: meta.Deleted, Revision: ev.Revision, Prev: prev, Object: de}
	default:
		return
	}
	r.seq++
	out.seq = r.seq
	if r.n == len(r.ring) {
		old := r.ring[r.head]
		r.evictedRV = old.Revision
		r.ring[r.head] = nil
		r.head = (r.head + 1) % len(r.ring)
		r.n--
	}
	r.ring[(r.head+r.n)%len(r.ring)] = out
	r.n++
	if r.n > DecodedEvents {
		i := (r.head + r.n - 1 - DecodedEvents) % len(r.ring)
		r.ring[i] = r.undecodeLocked(r.ring[i])
	}
	r.notifyLocked()
}

// deleted returns the entry of a Deleted event: prev's object with the
// resourceVersion of the deletion, kept as JSON only if prev is.
func (r *Resource) deleted(prev *Entry, rev int64) (*Entry, error) {
	rv := formatRV(rev)
	raw, ok := setResourceVersion(prev.JSON, rv)
	if ok && prev.obj == nil {
		return &Entry{Key: prev.Key, JSON: raw, ModRevision: rev, r: r, attrs: prev.attrs}, nil
	}
	old, err := prev.Object()
	if err != nil {
		return nil, err
	}
	obj := old.DeepCopyObject()
	obj.GetObjectMeta().ResourceVersion = rv
	if !ok {
		if raw, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	}
	de := &Entry{Key: prev.Key, obj: obj, JSON: raw, ModRevision: rev, r: r}
	if t := prev.twin.Load(); t != nil {
		// The same object, so the same Attrs.
		de.twin.Store(&Entry{Key: prev.Key, JSON: raw, ModRevision: rev, r: r, attrs: t.attrs})
	}
	return de, nil
}

// undecodeLocked returns ev with its entries kept as JSON only (see
// DecodedEvents), or ev itself when they already are. The current version
// of the key, if it is ev's, is replaced in the cache as well. Events and
// entries are shared with watches reading them, so both are copied, not
// changed.
func (r *Resource) undecodeLocked(ev *Event) *Event {
	obj, prev := ev.Object, ev.Prev
	if obj != nil && obj.obj != nil {
		obj = r.lean(obj)
		if cur, ok := r.items.Get(&Entry{Key: obj.Key}); ok && cur == ev.Object {
			r.items.ReplaceOrInsert(obj)
		}
	}
	if prev != nil && prev.obj != nil {
		prev = r.lean(prev)
	}
	if obj == ev.Object && prev == ev.Prev {
		return ev
	}
	out := *ev
	out.Object, out.Prev = obj, prev
	return &out
}

// lean returns e kept as JSON only: e itself if it already is, else the
// copy made beforehand (shared by every event that refers to e), else a
// new one.
func (r *Resource) lean(e *Entry) *Entry {
	if e.obj == nil {
		return e
	}
	if t := e.twin.Load(); t != nil {
		return t
	}
	return r.leanCopy(e)
}

// leanCopy returns a copy of the decoded entry e kept as JSON only, with
// its object's Attrs.
func (r *Resource) leanCopy(e *Entry) *Entry {
	return &Entry{Key: e.Key, JSON: e.JSON, ModRevision: e.ModRevision, r: r, attrs: r.attrsOf(e.obj)}
}

// attrsOf returns what selectors look at in obj.
func (r *Resource) attrsOf(obj meta.Object) Attrs {
	if r.cfg.Attrs != nil {
		return r.cfg.Attrs(obj)
	}
	m := obj.GetObjectMeta()
	return Attrs{Labels: NewAttrSet(m.Labels), Fields: NewAttrSet(map[string]string{"metadata.name": m.Name, "metadata.namespace": m.Namespace})}
}

// unmarshal decodes the JSON of an entry of key at revision rev.
func (r *Resource) unmarshal(key string, rev int64, data []byte) (meta.Object, error) {
	obj := r.cfg.New()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("decode %s at %d: %w", key, rev, err)
	}
	if r.cfg.GVK.Kind != "" {
		obj.GetTypeMeta().SetGroupVersionKind(r.cfg.GVK)
	}
	return obj, nil
}

// decode turns a stored value into a cache entry at revision rv.
func (r *Resource) decode(kv *store.KeyValue, rv int64) (*Entry, error) {
	data := kv.Value
	if r.cfg.Transformer != nil {
		var err error
		if data, err = r.cfg.Transformer.FromStorage(kv.Key, data); err != nil {
			return nil, fmt.Errorf("transform %s: %w", kv.Key, err)
		}
	}
	obj := r.cfg.New()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	if r.cfg.GVK.Kind != "" {
		obj.GetTypeMeta().SetGroupVersionKind(r.cfg.GVK)
	}
	obj.GetObjectMeta().ResourceVersion = formatRV(rv)
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", kv.Key, err)
	}
	return &Entry{Key: kv.Key, obj: obj, JSON: raw, ModRevision: kv.ModRevision, r: r}, nil
}

// eventsAfterLocked returns the buffered events with seq > after.
func (r *Resource) eventsAfterLocked(after int64) []*Event {
	first := r.seq - int64(r.n) + 1 // seq of the oldest buffered event
	if after+1 < first {
		after = first - 1
	}
	k := int(r.seq - after)
	out := make([]*Event, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, r.ring[(r.head+i)%len(r.ring)])
	}
	return out
}

// seqAfterRVLocked returns the seq of the last buffered event with revision
// <= rv (so that events after it are the ones a watch from rv needs).
func (r *Resource) seqAfterRVLocked(rv int64) int64 {
	i := sort.Search(r.n, func(i int) bool { return r.ring[(r.head+i)%len(r.ring)].Revision > rv })
	return r.seq - int64(r.n) + int64(i)
}

func formatRV(rv int64) string { return strconv.FormatInt(rv, 10) }

// errStop ends a jsonraw.Members walk early.
var errStop = errors.New("stop")

// setResourceVersion returns a copy of the JSON encoding of an object with
// metadata.resourceVersion set to rv (replaced if present, else added), or
// false if data has no metadata object. Objects are written to the store
// without their resourceVersion (it is the store's revision), so this turns
// the stored bytes of a write into what clients are served without an
// encode.
func setResourceVersion(data []byte, rv string) ([]byte, bool) {
	var md []byte
	err := jsonraw.Members(data, func(key, value []byte) error {
		if string(key) == `"metadata"` && jsonraw.IsObject(value) {
			md = value
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		return nil, false
	}
	mdAt := offset(data, md)
	var old []byte
	insertAt := len(md) - 1 // before metadata's '}' unless a later field comes first
	empty := true
	err = jsonraw.Members(md, func(key, value []byte) error {
		empty = false
		switch string(key) {
		case `"resourceVersion"`:
			old = value
			return errStop
		case `"name"`, `"generateName"`, `"namespace"`, `"selfLink"`, `"uid"`:
			// ObjectMeta's fields before resourceVersion.
		default:
			if insertAt == len(md)-1 {
				insertAt = offset(md, key)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, false
	}
	out := make([]byte, 0, len(data)+len(rv)+len(`,"resourceVersion":""`))
	if old != nil {
		at := mdAt + offset(md, old)
		out = append(out, data[:at]...)
		out = strconv.AppendQuote(out, rv)
		return append(out, data[at+len(old):]...), true
	}
	// Where encoding/json puts it for ObjectMeta, so that the result is
	// the bytes an encode would give.
	at := mdAt + insertAt
	out = append(out, data[:at]...)
	if insertAt == len(md)-1 {
		if !empty {
			out = append(out, ',')
		}
		out = append(out, `"resourceVersion":`...)
		out = strconv.AppendQuote(out, rv)
	} else {
		out = append(out, `"resourceVersion":`...)
		out = strconv.AppendQuote(out, rv)
		out = append(out, ',')
	}
	return append(out, data[at:]...), true
}

// offset returns where sub, a sub-slice of b, starts in b.
func offset(b, sub []byte) int {
	return cap(b) - cap(sub)
}
