package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
)

// Event is one watch event. For Bookmark events only the object's
// resourceVersion is meaningful.
type Event[T meta.Object] struct {
	Type   meta.EventType
	Object T
}

// Watch is an open watch stream. Use it from one goroutine.
type Watch[T meta.Object] struct {
	body io.ReadCloser
	dec  *json.Decoder
	newT func() T
}

// Watch opens a watch with opts (ResourceVersion to resume from, selectors,
// bookmarks, timeout).
func (r *Resource[T]) Watch(ctx context.Context, opts ListOptions) (*Watch[T], error) {
	q := opts.query()
	q.Set("watch", "true")
	resp, err := r.c.openStream(ctx, &Request{Method: http.MethodGet, Path: resourcePath(r.gvr, r.namespace, ""), Query: q})
	if err != nil {
		return nil, err
	}
	return &Watch[T]{body: resp.Body, dec: json.NewDecoder(resp.Body), newT: r.newT}, nil
}

type rawEvent struct {
	Type   meta.EventType  `json:"type"`
	Object json.RawMessage `json:"object"`
}

// Next returns the next event. It returns io.EOF when the server ended the
// stream (a timeout: resume from the last resourceVersion), an
// *apierror.Error for an ERROR event (410 Gone means relist), or the
// transport's error.
func (w *Watch[T]) Next() (Event[T], error) {
	var ev rawEvent
	if err := w.dec.Decode(&ev); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return Event[T]{}, err
	}
	if ev.Type == meta.Error {
		var st meta.Status
		if err := json.Unmarshal(ev.Object, &st); err != nil {
			return Event[T]{}, fmt.Errorf("client: undecodable watch error: %s", ev.Object)
		}
		return Event[T]{}, apierror.FromStatus(st)
	}
	obj := w.newT()
	if err := json.Unmarshal(ev.Object, obj); err != nil {
		return Event[T]{}, fmt.Errorf("client: decoding watch event: %w", err)
	}
	switch ev.Type {
	case meta.Added, meta.Modified, meta.Deleted, meta.Bookmark:
	default:
		return Event[T]{}, fmt.Errorf("client: unknown watch event type %q", ev.Type)
	}
	return Event[T]{Type: ev.Type, Object: obj}, nil
}

// Close ends the watch.
func (w *Watch[T]) Close() { w.body.Close() }

// WatchResume watches from opts.ResourceVersion and calls fn for each
// event, in order. When the stream ends (a server timeout, a dropped
// connection) it reopens it from the last resourceVersion it saw, so no
// event is lost or repeated. It returns when ctx is done (nil), when fn
// returns an error (that error), or when the server answers that the
// resourceVersion is too old (an error for which apierror.IsGone is true:
// the caller must list again).
func (r *Resource[T]) WatchResume(ctx context.Context, opts ListOptions, fn func(Event[T]) error) error {
	opts.AllowWatchBookmarks = true
	backoff := 100 * time.Millisecond
	for {
		w, err := r.Watch(ctx, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if apierror.IsGone(err) {
				return err
			}
			var ae *apierror.Error
			if errors.As(err, &ae) && ae.Code() < 500 && ae.Code() != http.StatusTooManyRequests {
				return err
			}
			if !sleep(ctx, jitter(backoff)) {
				return nil
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		for {
			ev, err := w.Next()
			if err != nil {
				w.Close()
				if ctx.Err() != nil {
					return nil
				}
				if apierror.IsGone(err) {
					return err
				}
				break // reopen from the last resourceVersion
			}
			backoff = 100 * time.Millisecond
			if rv := ev.Object.GetObjectMeta().ResourceVersion; rv != "" {
				opts.ResourceVersion = rv
			}
			if ev.Type == meta.Bookmark {
				continue
			}
			if err := fn(ev); err != nil {
				w.Close()
				return err
			}
		}
	}
}
