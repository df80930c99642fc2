package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// InformerOptions tune an Informer; the zero value watches every object of
// the kind in every namespace.
type InformerOptions struct {
	// Namespace limits the informer to one namespace ("" means all).
	Namespace string
	// LabelSelector and FieldSelector filter on the server, in Kubernetes
	// syntax (e.g. FieldSelector "spec.nodeName=node-1").
	LabelSelector string
	FieldSelector string
	// ResyncPeriod, when positive, replays every cached object to the
	// handlers as an update (old == new) that often.
	ResyncPeriod time.Duration
	// PageSize is the list page size (default 500).
	PageSize int64
	// Indexers adds indexes to the cache beside IndexNamespace and
	// IndexLabel.
	Indexers map[string]IndexFunc
	// Logger receives list and watch diagnostics; nil discards.
	Logger *slog.Logger
}

// EventHandler receives an informer's events. Handlers run one at a time
// on the informer's goroutine, so they must be quick (enqueue a key and
// return). The objects are shared: DeepCopy before mutating.
type EventHandler[T meta.Object] interface {
	OnAdd(obj T)
	// OnUpdate receives the previous and the new state; on a resync both
	// are the same object.
	OnUpdate(old, obj T)
	// OnDelete receives the last known state. finalStateUnknown is true
	// when the delete was found by a relist after a disconnection (a
	// tombstone: obj may be older than the object's final state).
	OnDelete(obj T, finalStateUnknown bool)
}

// HandlerFuncs adapts functions to EventHandler; nil functions are
// skipped.
type HandlerFuncs[T meta.Object] struct {
	AddFunc    func(obj T)
	UpdateFunc func(old, obj T)
	DeleteFunc func(obj T, finalStateUnknown bool)
}

// OnAdd implements EventHandler.
func (h HandlerFuncs[T]) OnAdd(obj T) {
	if h.AddFunc != nil {
		h.AddFunc(obj)
	}
}

// OnUpdate implements EventHandler.
func (h HandlerFuncs[T]) OnUpdate(old, obj T) {
	if h.UpdateFunc != nil {
		h.UpdateFunc(old, obj)
	}
}

// OnDelete implements EventHandler.
func (h HandlerFuncs[T]) OnDelete(obj T, finalStateUnknown bool) {
	if h.DeleteFunc != nil {
		h.DeleteFunc(obj, finalStateUnknown)
	}
}

// Informer lists then watches one kind through the client, keeps an
// indexed Cache of it and tells handlers about changes. It resumes the
// watch from the last resourceVersion it saw and relists when the server
// answers 410 Gone; a relist turns objects gone meanwhile into deletes
// with finalStateUnknown.
//
// The embedded Cache serves reads. Objects handed out are shared by every
// reader and handler: callers must DeepCopyObject before mutating one.
type Informer[T meta.Object] struct {
	*Cache[T]
	res  *client.Resource[T]
	opts InformerOptions
	log  *slog.Logger

	dispatch sync.Mutex // serialises cache changes and handler calls
	handlers []EventHandler[T]
	synced   atomic.Bool
	running  atomic.Bool
	lists    atomic.Int64
}

// SharedInformer is the untyped view of an Informer that factories and
// managers run.
type SharedInformer interface {
	// Run lists and watches until ctx is done.
	Run(ctx context.Context) error
	// HasSynced reports whether the first list has been delivered.
	HasSynced() bool
}

var _ SharedInformer = (*Informer[meta.Object])(nil)

// ErrAlreadyRunning is returned by Run on an informer that runs already.
var ErrAlreadyRunning = errors.New("controller: informer already running")

// NewInformer returns an informer of res's kind. res may be scoped to a
// namespace already, or opts.Namespace scopes it.
func NewInformer[T meta.Object](res *client.Resource[T], opts InformerOptions) *Informer[T] {
	if opts.Namespace != "" {
		res = res.Namespace(opts.Namespace)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Informer[T]{Cache: newCache[T](opts.Indexers), res: res, opts: opts,
		log: log.With("kind", res.GVR().Kind)}
}

// AddEventHandler registers h. If the informer holds objects already, h
// first receives an OnAdd for each of them.
func (i *Informer[T]) AddEventHandler(h EventHandler[T]) {
	i.dispatch.Lock()
	defer i.dispatch.Unlock()
	i.handlers = append(i.handlers, h)
	for _, obj := range i.List(nil) {
		h.OnAdd(obj)
	}
}

// HasSynced reports whether the first list has been stored and delivered
// to the handlers.
func (i *Informer[T]) HasSynced() bool { return i.synced.Load() }

// Run lists and watches until ctx is done; it returns nil then. It
// retries failed lists with back-off (up to 30 s).
func (i *Informer[T]) Run(ctx context.Context) error {
	if !i.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer i.running.Store(false)
	if i.opts.ResyncPeriod > 0 {
		go i.resync(ctx)
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		rv, err := i.relist(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			i.log.Warn("list failed", "err", err, "retryIn", backoff)
			if !sleepCtx(ctx, backoff) {
				break
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		err = i.res.WatchResume(ctx, client.ListOptions{ResourceVersion: rv,
			LabelSelector: i.opts.LabelSelector, FieldSelector: i.opts.FieldSelector}, i.handle)
		switch {
		case ctx.Err() != nil:
		case apierror.IsGone(err):
			i.log.Info("watch expired; relisting", "resourceVersion", rv)
		default:
			i.log.Warn("watch failed; relisting", "err", err)
			if !sleepCtx(ctx, backoff) {
				return nil
			}
		}
	}
	return nil
}

// Lists returns how many full lists the informer has made (1 after the
// first sync; more after 410 Gone or watch failures).
func (i *Informer[T]) Lists() int64 { return i.lists.Load() }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// relist reads every object and reconciles the cache with it: new
// objects are adds, changed ones updates, missing ones deletes with
// finalStateUnknown. It returns the list's resourceVersion.
func (i *Informer[T]) relist(ctx context.Context) (string, error) {
	l, err := i.res.ListAll(ctx, client.ListOptions{LabelSelector: i.opts.LabelSelector,
		FieldSelector: i.opts.FieldSelector, Limit: i.opts.PageSize})
	if err != nil {
		return "", fmt.Errorf("list %s: %w", i.res.GVR().Resource, err)
	}
	i.lists.Add(1)
	i.dispatch.Lock()
	defer i.dispatch.Unlock()
	seen := make(map[string]struct{}, len(l.Items))
	for _, obj := range l.Items {
		seen[ObjectKey(obj)] = struct{}{}
		i.upsert(obj)
	}
	for key, old := range i.snapshot() {
		if _, ok := seen[key]; !ok {
			i.remove(key)
			for _, h := range i.handlers {
				h.OnDelete(old, true)
			}
		}
	}
	i.synced.Store(true)
	return l.ResourceVersion, nil
}

// handle applies one watch event.
func (i *Informer[T]) handle(ev client.Event[T]) error {
	i.dispatch.Lock()
	defer i.dispatch.Unlock()
	switch ev.Type {
	case meta.Added, meta.Modified:
		i.upsert(ev.Object)
	case meta.Deleted:
		key := ObjectKey(ev.Object)
		cur, ok := i.GetByKey(key)
		if !ok {
			return nil // a duplicate delete, or never seen
		}
		if cur.GetObjectMeta().UID != ev.Object.GetObjectMeta().UID && newer(cur, ev.Object) {
			return nil // the delete of an older incarnation arrived late
		}
		i.remove(key)
		for _, h := range i.handlers {
			h.OnDelete(ev.Object, false)
		}
	}
	return nil
}

// upsert stores obj unless the cache holds the same or a newer version,
// and tells the handlers. i.dispatch is held.
func (i *Informer[T]) upsert(obj T) {
	old, existed := i.GetByKey(ObjectKey(obj))
	if existed {
		om, nm := old.GetObjectMeta(), obj.GetObjectMeta()
		if om.UID == nm.UID && (om.ResourceVersion == nm.ResourceVersion || newer(old, obj)) {
			return // a duplicate or stale event
		}
	}
	i.put(obj)
	for _, h := range i.handlers {
		if existed {
			h.OnUpdate(old, obj)
		} else {
			h.OnAdd(obj)
		}
	}
}

// newer reports whether a's resourceVersion is greater than b's. Longshore
// and Kubernetes' etcd-backed servers use decimal revisions; anything else
// compares as not newer, so the event is applied.
func newer(a, b meta.Object) bool {
	ra, err1 := strconv.ParseUint(a.GetObjectMeta().ResourceVersion, 10, 64)
	rb, err2 := strconv.ParseUint(b.GetObjectMeta().ResourceVersion, 10, 64)
	return err1 == nil && err2 == nil && ra > rb
}

func (i *Informer[T]) resync(ctx context.Context) {
	t := time.NewTicker(i.opts.ResyncPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		i.dispatch.Lock()
		for _, obj := range i.List(nil) {
			for _, h := range i.handlers {
				h.OnUpdate(obj, obj)
			}
		}
		i.dispatch.Unlock()
	}
}
