package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/store"
)

// Errors of the storage layer, beside the store's own sentinels (store.ErrNotFound,
// store.ErrExists, store.ErrConflict), which are passed through wrapped.
var (
	// ErrGone: the resourceVersion asked for is older than what the cache or
	// the store still has (HTTP 410 "too old resource version").
	ErrGone = errors.New("storage: too old resource version")
	// ErrTimeout: the cache did not reach the resourceVersion asked for in
	// time (HTTP 504 "Too large resource version").
	ErrTimeout = errors.New("storage: too large resource version")
	// ErrInvalid: malformed options (resourceVersion, match, continue).
	ErrInvalid = errors.New("storage: invalid request")
)

// Predicate selects objects for lists and watches (label and field
// selectors). A nil Predicate selects everything.
type Predicate interface {
	Matches(obj meta.Object) bool
}

// PredicateFunc adapts a function to a Predicate.
type PredicateFunc func(meta.Object) bool

// Matches calls f.
func (f PredicateFunc) Matches(obj meta.Object) bool { return f(obj) }

// AttrsPredicate is a Predicate that can also decide from an object's
// Attrs. The cache uses MatchesAttrs for the objects it keeps as JSON
// only (see Entry), and Matches for the others; the two must agree.
type AttrsPredicate interface {
	Predicate
	MatchesAttrs(Attrs) bool
}

// matches reports whether p selects e, deciding from e's Attrs when e is
// kept as JSON only and p can, else from its object.
func matches(p Predicate, e *Entry) bool {
	if e == nil {
		return false
	}
	if p == nil {
		return true
	}
	obj := e.loaded()
	if obj == nil {
		if ap, ok := p.(AttrsPredicate); ok {
			return ap.MatchesAttrs(e.attrs)
		}
		var err error
		if obj, err = e.Object(); err != nil {
			if e.r != nil {
				e.r.c.log.Error("cannot select an undecodable object", "key", e.Key, "err", err)
			}
			return false
		}
	}
	return p.Matches(obj)
}

// Resource-version match values, as in Kubernetes list options.
const (
	MatchNotOlderThan = "NotOlderThan"
	MatchExact        = "Exact"
)

// readMode is how a read picks its revision.
type readMode int

const (
	readConsistent readMode = iota // resourceVersion unset: the latest, consistently
	readAny                        // "0": whatever the cache has
	readNotOlder                   // N: at least N, from the cache
	readExact                      // N with match Exact: exactly N, from the store
)

func parseRV(rv, match string, limited bool) (readMode, int64, error) {
	if rv == "" {
		if match != "" {
			return 0, 0, fmt.Errorf("%w: resourceVersionMatch is forbidden unless resourceVersion is provided", ErrInvalid)
		}
		return readConsistent, 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%w: invalid resourceVersion %q", ErrInvalid, rv)
	}
	switch match {
	case "":
		if n == 0 {
			return readAny, 0, nil
		}
		if limited {
			// Kubernetes' legacy rule: a non-zero resourceVersion with a
			// limit and no match is an exact read.
			return readExact, n, nil
		}
		return readNotOlder, n, nil
	case MatchNotOlderThan:
		if n == 0 {
			return readAny, 0, nil
		}
		return readNotOlder, n, nil
	case MatchExact:
		if n == 0 {
			return 0, 0, fmt.Errorf("%w: resourceVersionMatch=Exact requires a non-zero resourceVersion", ErrInvalid)
		}
		return readExact, n, nil
	}
	return 0, 0, fmt.Errorf("%w: unsupported resourceVersionMatch %q", ErrInvalid, match)
}

// Get returns the object at key. resourceVersion follows Kubernetes' get
// semantics: "" is the latest (consistent), "0" any cached version, N a
// version not older than N.
func (r *Resource) Get(ctx context.Context, key, resourceVersion string) (*Entry, error) {
	mode, rv, err := parseRV(resourceVersion, "", false)
	if err != nil {
		return nil, err
	}
	switch mode {
	case readConsistent:
		if _, err := r.c.waitConsistent(ctx); err != nil {
			return nil, err
		}
	case readNotOlder:
		if err := r.c.waitFor(ctx, rv); err != nil {
			return nil, err
		}
	case readAny:
		if err := r.c.waitFor(ctx, 0); err != nil {
			return nil, err
		}
	}
	r.c.mu.RLock()
	e, ok := r.items.Get(&Entry{Key: key})
	r.c.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, store.ErrNotFound)
	}
	return e, nil
}

// ListOptions are Kubernetes' list options, as the storage layer needs them.
type ListOptions struct {
	ResourceVersion      string
	ResourceVersionMatch string
	Limit                int64
	Continue             string
	Predicate            Predicate
}

// ListResult is a page of a list.
type ListResult struct {
	Items []*Entry
	// Revision is the resourceVersion of the list.
	Revision int64
	// Continue is set when more items remain.
	Continue string
	// Remaining counts the items after this page when it is known.
	Remaining *int64
}

// List returns the objects under prefix (the resource's prefix, or a
// namespace under it) with Kubernetes' semantics: unpaginated reads are
// served from the cache; paginated and exact reads come from the store at
// a pinned revision, so pages stay consistent while writes go on.
func (r *Resource) List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error) {
	if !strings.HasPrefix(prefix, r.cfg.Prefix) {
		return nil, fmt.Errorf("%w: prefix %q outside resource %q", ErrInvalid, prefix, r.cfg.Prefix)
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	if opts.Continue != "" {
		if opts.ResourceVersion != "" && opts.ResourceVersion != "0" || opts.ResourceVersionMatch != "" {
			return nil, fmt.Errorf("%w: specifying resourceVersion is not allowed when using continue", ErrInvalid)
		}
		rev, key, err := store.DecodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, fmt.Errorf("%w: invalid continue token", ErrInvalid)
		}
		return r.listStore(ctx, prefix, rev, key, opts)
	}
	mode, rv, err := parseRV(opts.ResourceVersion, opts.ResourceVersionMatch, opts.Limit > 0)
	if err != nil {
		return nil, err
	}
	switch {
	case mode == readExact:
		return r.listStore(ctx, prefix, rv, prefix, opts)
	case mode == readConsistent && opts.Limit > 0:
		cur, _, err := r.c.st.Revision(ctx)
		if err != nil {
			return nil, err
		}
		if cur == 0 {
			return &ListResult{Revision: 0}, nil
		}
		return r.listStore(ctx, prefix, cur, prefix, opts)
	}
	switch mode {
	case readConsistent:
		if _, err := r.c.waitConsistent(ctx); err != nil {
			return nil, err
		}
	case readNotOlder:
		if err := r.c.waitFor(ctx, rv); err != nil {
			return nil, err
		}
	case readAny:
		if err := r.c.waitFor(ctx, 0); err != nil {
			return nil, err
		}
	}
	r.c.mu.RLock()
	defer r.c.mu.RUnlock()
	res := &ListResult{Revision: r.c.rv}
	r.items.AscendGreaterOrEqual(&Entry{Key: prefix}, func(e *Entry) bool {
		if !strings.HasPrefix(e.Key, prefix) {
			return false
		}
		if matches(opts.Predicate, e) {
			res.Items = append(res.Items, e)
		}
		return true
	})
	return res, nil
}

// listStore reads one page from the store at rev, starting at startKey,
// filling it up to opts.Limit matching objects.
func (r *Resource) listStore(ctx context.Context, prefix string, rev int64, startKey string, opts ListOptions) (*ListResult, error) {
	res := &ListResult{Revision: rev}
	token := store.EncodeContinue(rev, startKey)
	batch := opts.Limit
	if batch <= 0 || batch < 64 && opts.Predicate != nil {
		batch = max(batch, 64)
	}
	if opts.Limit <= 0 {
		batch = 10000
	}
	for {
		page, err := r.c.st.List(ctx, prefix, store.ListOptions{Limit: batch, Continue: token})
		if err != nil {
			if errors.Is(err, store.ErrCompacted) {
				return nil, fmt.Errorf("%w: %v", ErrGone, err)
			}
			return nil, err
		}
		cached := r.cachedVersions(page.KVs)
		for i := range page.KVs {
			kv := &page.KVs[i]
			e := cached[i]
			if e == nil {
				if e, err = r.decode(kv, kv.ModRevision); err != nil {
					return nil, err
				}
			}
			if !matches(opts.Predicate, e) {
				continue
			}
			res.Items = append(res.Items, e)
			if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
				rest := int64(len(page.KVs)-i-1) + page.Remaining
				if rest > 0 {
					res.Continue = store.EncodeContinue(rev, kv.Key+"\x00")
					if opts.Predicate == nil {
						res.Remaining = &rest
					}
				}
				return res, nil
			}
		}
		if page.Continue == "" {
			return res, nil
		}
		token = page.Continue
	}
}

// CreateOptions tune Create.
type CreateOptions struct {
	// TTL, if set, makes the object vanish after it (Events).
	TTL time.Duration
	// DryRun validates and returns the object without storing it.
	DryRun bool
}

// Create stores obj at key. obj must not carry a resourceVersion; on
// success it is set to the revision of the write.
func (r *Resource) Create(ctx context.Context, key string, obj meta.Object, opts CreateOptions) (*Entry, error) {
	m := obj.GetObjectMeta()
	if m.ResourceVersion != "" {
		return nil, fmt.Errorf("%w: resourceVersion should not be set on objects to be created", ErrInvalid)
	}
	plain, data, err := r.encode(key, obj)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return r.entry(key, obj, 0, nil)
	}
	var lease store.LeaseID
	if opts.TTL > 0 {
		if lease, err = r.c.leases.get(ctx, r.c.st, opts.TTL); err != nil {
			return nil, err
		}
	}
	p := r.c.pend(r, key, obj, plain, data)
	kv, err := r.c.st.Create(ctx, key, data, lease)
	if err != nil {
		r.c.settle(p, 0, nil)
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	return r.written(p, key, obj, kv.ModRevision, plain)
}

// written returns the entry of obj, just written at rev with the encoding
// plain (before any transformer): the one the cache built if it has seen
// the write already, else a new one, handed to the cache for the write's
// event.
func (r *Resource) written(p *pendingWrite, key string, obj meta.Object, rev int64, plain []byte) (*Entry, error) {
	return r.c.settle(p, rev, func() (*Entry, error) { return r.entry(key, obj, rev, plain) })
}

// entry builds the Entry of obj written at rev (0 for a dry run). plain, if
// set, is obj's encoding without resourceVersion (what encode returned):
// the entry's JSON is then that with the resourceVersion written in,
// instead of a second encode.
func (r *Resource) entry(key string, obj meta.Object, rev int64, plain []byte) (*Entry, error) {
	if rev > 0 {
		obj.GetObjectMeta().ResourceVersion = formatRV(rev)
	}
	if r.cfg.GVK.Kind != "" {
		obj.GetTypeMeta().SetGroupVersionKind(r.cfg.GVK)
	}
	if plain != nil && rev > 0 {
		if raw, ok := setResourceVersion(plain, obj.GetObjectMeta().ResourceVersion); ok {
			return &Entry{Key: key, obj: obj, JSON: raw, ModRevision: rev, r: r}, nil
		}
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", key, err)
	}
	return &Entry{Key: key, obj: obj, JSON: raw, ModRevision: rev, r: r}, nil
}

// encode returns the encoding of obj without its resourceVersion (which is
// the store's mod revision) and the bytes to store, the same unless a
// Transformer is set.
func (r *Resource) encode(key string, obj meta.Object) (plain, stored []byte, err error) {
	m := obj.GetObjectMeta()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	if r.cfg.GVK.Kind != "" {
		obj.GetTypeMeta().SetGroupVersionKind(r.cfg.GVK)
	}
	plain, err = json.Marshal(obj)
	m.ResourceVersion = rv
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s: %w", key, err)
	}
	stored = plain
	if r.cfg.Transformer != nil {
		if stored, err = r.cfg.Transformer.ToStorage(key, plain); err != nil {
			return nil, nil, fmt.Errorf("transform %s: %w", key, err)
		}
	}
	return plain, stored, nil
}

// UpdateFunc computes the new object from the current one. current is a
// private copy the function may change and return. Returning an error
// aborts the update with that error.
type UpdateFunc func(current meta.Object) (meta.Object, error)

// Update applies fn to the current object and writes the result with a
// compare-and-swap on its revision, retrying from a fresh read when another
// writer got there first. An update that changes nothing is not written.
func (r *Resource) Update(ctx context.Context, key string, fn UpdateFunc, dryRun bool) (*Entry, error) {
	return r.UpdateEntry(ctx, key, func(_ *Entry, current meta.Object) (meta.Object, error) { return fn(current) }, dryRun)
}

// UpdateEntryFunc is an UpdateFunc that also sees the current version's
// entry (shared and read-only; its JSON is the encoding of current before
// any change), for updates that work on the encoding, such as patches.
type UpdateEntryFunc func(cur *Entry, current meta.Object) (meta.Object, error)

// UpdateEntry is Update with an UpdateEntryFunc.
func (r *Resource) UpdateEntry(ctx context.Context, key string, fn UpdateEntryFunc, dryRun bool) (*Entry, error) {
	for attempt := 0; ; attempt++ {
		kv, err := r.c.st.Get(ctx, key, store.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", key, err)
		}
		cur, private, err := r.current(kv)
		if err != nil {
			return nil, err
		}
		next, err := fn(cur, private)
		if err != nil {
			return nil, err
		}
		plain, data, err := r.encode(key, next)
		if err != nil {
			return nil, err
		}
		if r.cfg.Transformer == nil && bytes.Equal(data, kv.Value) {
			return cur, nil
		}
		if dryRun {
			return r.entry(key, next, 0, nil)
		}
		p := r.c.pend(r, key, next, plain, data)
		nkv, err := r.c.st.Update(ctx, key, data, kv.ModRevision)
		if err != nil {
			r.c.settle(p, 0, nil)
		}
		if errors.Is(err, store.ErrConflict) && attempt < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", key, err)
		}
		return r.written(p, key, next, nkv.ModRevision, plain)
	}
}

// Delete removes the object at key. check, if set, sees the current object
// first and may veto the delete with an error (preconditions). The returned
// entry is the object's last state, with the revision of the delete.
func (r *Resource) Delete(ctx context.Context, key string, check func(current meta.Object) error, dryRun bool) (*Entry, error) {
	for attempt := 0; ; attempt++ {
		kv, err := r.c.st.Get(ctx, key, store.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", key, err)
		}
		cur, private, err := r.current(kv)
		if err != nil {
			return nil, err
		}
		if check != nil {
			if err := check(private); err != nil {
				return nil, err
			}
		}
		if dryRun {
			return cur, nil
		}
		_, rev, err := r.c.st.Delete(ctx, key, kv.ModRevision)
		if errors.Is(err, store.ErrConflict) && attempt < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", key, err)
		}
		return r.entry(key, private, rev, nil)
	}
}

// current returns the entry of kv and a private copy of its object that
// the caller may change. When the cache holds that very version of the key
// (same mod revision, hence the same bytes), its entry is used and the
// object is copied, or decoded from the entry's JSON if the cache keeps it
// as JSON only; otherwise the stored bytes are decoded (a JSON decode and
// encode).
func (r *Resource) current(kv *store.KeyValue) (*Entry, meta.Object, error) {
	r.c.mu.RLock()
	e := r.cachedLocked(kv)
	r.c.mu.RUnlock()
	if e != nil {
		if obj := e.loaded(); obj != nil {
			return e, obj.DeepCopyObject(), nil
		}
		// Kept as JSON only: a private decoding, not kept (the write
		// replaces this version anyway).
		obj, err := r.unmarshal(e.Key, e.ModRevision, e.JSON)
		if err != nil {
			return nil, nil, err
		}
		return e, obj, nil
	}
	e, err := r.decode(kv, kv.ModRevision)
	if err != nil {
		return nil, nil, err
	}
	return e, e.obj, nil
}

// cachedVersions returns, for each key-value, the cache's entry when it
// holds exactly that version (same key and mod revision, hence the same
// bytes), else nil. The entries are shared and read-only.
func (r *Resource) cachedVersions(kvs []store.KeyValue) []*Entry {
	out := make([]*Entry, len(kvs))
	r.c.mu.RLock()
	defer r.c.mu.RUnlock()
	for i := range kvs {
		out[i] = r.cachedLocked(&kvs[i])
	}
	return out
}

func (r *Resource) cachedLocked(kv *store.KeyValue) *Entry {
	if e, ok := r.items.Get(&Entry{Key: kv.Key}); ok && e.ModRevision == kv.ModRevision {
		return e
	}
	return nil
}

// leaseCache shares one store lease among objects created with similar TTLs
// within a minute, as Kubernetes does for Events, so that a burst of events
// does not grant a lease each.
type leaseCache struct {
	mu      sync.Mutex
	id      store.LeaseID
	ttl     time.Duration
	granted time.Time
}

const leaseReuse = time.Minute

func (l *leaseCache) get(ctx context.Context, st store.Store, ttl time.Duration) (store.LeaseID, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	// A reused lease expires up to leaseReuse later than asked: objects live
	// at least their TTL, at most a minute longer.
	if l.id != 0 && now.Sub(l.granted) < leaseReuse && l.ttl >= ttl && l.ttl-ttl <= 2*leaseReuse {
		return l.id, nil
	}
	id, err := st.Grant(ctx, ttl+leaseReuse)
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	l.id, l.ttl, l.granted = id, ttl+leaseReuse, now
	return id, nil
}
