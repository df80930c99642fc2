package controller

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// FactoryOptions tune a Factory; the zero value works.
type FactoryOptions struct {
	// ResyncPeriod is the default resync of informers that set none.
	ResyncPeriod time.Duration
	// Logger is handed to the informers; nil discards.
	Logger *slog.Logger
}

// Factory keeps one informer per kind and selector, so that every
// controller of a process shares one list, one watch and one cache.
type Factory struct {
	c    *client.Client
	opts FactoryOptions

	mu        sync.Mutex
	informers map[informerKey]SharedInformer
	started   map[informerKey]bool
}

type informerKey struct {
	typ                       reflect.Type
	namespace, labels, fields string
}

// NewFactory returns a Factory that builds informers on c.
func NewFactory(c *client.Client, opts *FactoryOptions) *Factory {
	f := &Factory{c: c, informers: map[informerKey]SharedInformer{}, started: map[informerKey]bool{}}
	if opts != nil {
		f.opts = *opts
	}
	return f
}

// Client returns the factory's client.
func (f *Factory) Client() *client.Client { return f.c }

// InformerFor returns the factory's informer of T for opts' namespace and
// selectors, creating it on first use (later calls share it, and their
// other options are ignored). Informers created after Start run at the
// next Start.
func InformerFor[T meta.Object](f *Factory, opts InformerOptions) (*Informer[T], error) {
	key := informerKey{typ: reflect.TypeFor[T](), namespace: opts.Namespace, labels: opts.LabelSelector, fields: opts.FieldSelector}
	f.mu.Lock()
	defer f.mu.Unlock()
	if inf, ok := f.informers[key]; ok {
		return inf.(*Informer[T]), nil
	}
	res, err := client.For[T](f.c)
	if err != nil {
		return nil, fmt.Errorf("controller: informer: %w", err)
	}
	if opts.ResyncPeriod == 0 {
		opts.ResyncPeriod = f.opts.ResyncPeriod
	}
	if opts.Logger == nil {
		opts.Logger = f.opts.Logger
	}
	inf := NewInformer(res, opts)
	f.informers[key] = inf
	return inf, nil
}

// Start runs every informer not yet started, each in its own goroutine,
// until ctx is done. It does not block.
func (f *Factory) Start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, inf := range f.informers {
		if f.started[key] {
			continue
		}
		f.started[key] = true
		go func() {
			_ = inf.Run(ctx)
			f.mu.Lock()
			f.started[key] = false
			f.mu.Unlock()
		}()
	}
}

// WaitForCacheSync blocks until every informer of the factory has synced,
// or ctx is done (it returns ctx's error then).
func (f *Factory) WaitForCacheSync(ctx context.Context) error {
	f.mu.Lock()
	infs := make([]SharedInformer, 0, len(f.informers))
	for _, inf := range f.informers {
		infs = append(infs, inf)
	}
	f.mu.Unlock()
	return WaitForSync(ctx, infs...)
}

// WaitForSync blocks until every informer has synced, or ctx is done.
func WaitForSync(ctx context.Context, infs ...SharedInformer) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		all := true
		for _, inf := range infs {
			if !inf.HasSynced() {
				all = false
				break
			}
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("controller: waiting for caches to sync: %w", ctx.Err())
		case <-t.C:
		}
	}
}
