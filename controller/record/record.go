// Package record writes core/v1 Events about objects, as Kubernetes'
// event recorder does.
//
// # Basics
//
// A component creates one Recorder, runs its Start in the background
// (a Manager runs it as a Runnable on every replica, leader or not), and
// calls Event or Eventf from anywhere: the call never blocks. Events go
// through a bounded buffer; when it is full the event is dropped and
// counted (Dropped).
//
// # Aggregation and rate limiting
//
// A repeat of the same (involved object, type, reason, message) within 10
// minutes patches the existing Event's count and lastTimestamp instead of
// creating a new object. Each involved object has a token bucket (burst
// 25, one token per 5 minutes, as client-go's spam filter), and events
// beyond it are dropped and counted (Limited), so a hot loop cannot flood
// the API server.
package record

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// Event types.
const (
	Normal  = "Normal"
	Warning = "Warning"
)

// Options tune a Recorder; the zero value works.
type Options struct {
	// Component is source.component and reportingComponent (default
	// "longshore").
	Component string
	// Host is source.host and reportingInstance.
	Host string
	// BufferSize bounds events waiting to be written (default 1000).
	BufferSize int
	// Burst and QPS are the per-object spam filter (default 25 and one
	// per 300 s).
	Burst int
	QPS   float64
	// AggregationWindow is how long a repeat patches the earlier Event
	// (default 10 min).
	AggregationWindow time.Duration
	// Logger receives write failures; nil discards.
	Logger *slog.Logger
}

// Recorder records Events. It is safe for concurrent use.
type Recorder struct {
	c      *client.Client
	events *client.Resource[*core.Event]
	opts   Options
	log    *slog.Logger
	queue  chan *core.Event

	dropped, limited atomic.Uint64

	mu      sync.Mutex
	filters map[string]*rate.Limiter // per involved object
	seen    map[aggKey]*aggregate
}

type aggKey struct {
	object, typ, reason, message string
}

type aggregate struct {
	namespace, name string
	count           int32
	last            time.Time
}

// maxSeen bounds the aggregation and spam-filter caches.
const maxSeen = 4096

// New returns a Recorder writing through c.
func New(c *client.Client, opts *Options) *Recorder {
	r := &Recorder{c: c, events: client.MustFor[*core.Event](c), filters: map[string]*rate.Limiter{}, seen: map[aggKey]*aggregate{}}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Component == "" {
		r.opts.Component = "longshore"
	}
	if r.opts.BufferSize <= 0 {
		r.opts.BufferSize = 1000
	}
	if r.opts.Burst <= 0 {
		r.opts.Burst = 25
	}
	if r.opts.QPS <= 0 {
		r.opts.QPS = 1.0 / 300
	}
	if r.opts.AggregationWindow <= 0 {
		r.opts.AggregationWindow = 10 * time.Minute
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.queue = make(chan *core.Event, r.opts.BufferSize)
	return r
}

// Event records an event about obj; eventType is Normal or Warning. It
// never blocks.
func (r *Recorder) Event(obj meta.Object, eventType, reason, message string) {
	m := obj.GetObjectMeta()
	ref := core.ObjectReference{Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion}
	ref.APIVersion, ref.Kind = obj.GetTypeMeta().APIVersion, obj.GetTypeMeta().Kind
	if k, err := r.c.Scheme().ForObject(obj); err == nil {
		ref.APIVersion, ref.Kind = k.GVK.ToAPIVersionAndKind()
	}
	ns := m.Namespace
	if ns == "" {
		ns = "default"
	}
	now := meta.Now()
	ev := &core.Event{
		ObjectMeta:     meta.ObjectMeta{Namespace: ns, Name: m.Name + "." + strconv.FormatInt(time.Now().UnixNano(), 16)},
		InvolvedObject: ref, Reason: reason, Message: message, Type: eventType,
		Source:         core.EventSource{Component: r.opts.Component, Host: r.opts.Host},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingComponent: r.opts.Component, ReportingInstance: r.opts.Host,
	}
	select {
	case r.queue <- ev:
	default:
		r.dropped.Add(1)
	}
}

// Eventf is Event with a formatted message.
func (r *Recorder) Eventf(obj meta.Object, eventType, reason, format string, args ...any) {
	r.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

// Dropped returns how many events were dropped because the buffer was
// full.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Limited returns how many events the per-object spam filter dropped.
func (r *Recorder) Limited() uint64 { return r.limited.Load() }

// NeedLeaderElection returns false: every replica records its events.
func (r *Recorder) NeedLeaderElection() bool { return false }

// Start writes buffered events until ctx is done.
func (r *Recorder) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-r.queue:
			r.write(ctx, ev)
		}
	}
}

func objectKey(ref core.ObjectReference) string {
	return ref.Kind + "/" + ref.Namespace + "/" + ref.Name + "/" + ref.UID
}

func (r *Recorder) allow(obj string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.filters[obj]
	if !ok {
		if len(r.filters) >= maxSeen {
			clear(r.filters)
		}
		l = rate.NewLimiter(rate.Limit(r.opts.QPS), r.opts.Burst)
		r.filters[obj] = l
	}
	return l.Allow()
}

func (r *Recorder) write(ctx context.Context, ev *core.Event) {
	obj := objectKey(ev.InvolvedObject)
	if !r.allow(obj) {
		r.limited.Add(1)
		return
	}
	key := aggKey{object: obj, typ: ev.Type, reason: ev.Reason, message: ev.Message}
	now := time.Now()
	r.mu.Lock()
	agg, ok := r.seen[key]
	if ok && now.Sub(agg.last) > r.opts.AggregationWindow {
		ok = false
	}
	r.mu.Unlock()
	if ok {
		count := agg.count + 1
		patch, _ := json.Marshal(map[string]any{"count": count, "lastTimestamp": ev.LastTimestamp})
		_, err := r.events.Namespace(agg.namespace).Patch(ctx, agg.name, client.MergePatch, patch, client.WriteOptions{})
		if err == nil {
			r.mu.Lock()
			agg.count, agg.last = count, now
			r.mu.Unlock()
			return
		}
		if !apierror.IsNotFound(err) {
			r.log.Warn("event patch failed", "event", agg.name, "err", err)
			return
		}
		// The Event expired or was deleted: create a new one.
	}
	created, err := r.events.Namespace(ev.Namespace).Create(ctx, ev, client.WriteOptions{})
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("event create failed", "reason", ev.Reason, "err", err)
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) >= maxSeen {
		for k, a := range r.seen {
			if now.Sub(a.last) > r.opts.AggregationWindow {
				delete(r.seen, k)
			}
		}
		if len(r.seen) >= maxSeen {
			clear(r.seen)
		}
	}
	r.seen[key] = &aggregate{namespace: created.Namespace, name: created.Name, count: created.Count, last: now}
}
