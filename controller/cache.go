package controller

import (
	"sort"
	"sync"

	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
)

// IndexFunc returns the index values of an object (for example the node
// name of a pod). An object may have several values or none.
type IndexFunc func(obj meta.Object) []string

// The built-in indexes of every Cache.
const (
	// IndexNamespace indexes objects by metadata.namespace.
	IndexNamespace = "namespace"
	// IndexLabel indexes objects by "key=value" for each of their labels;
	// List uses it to narrow a selector with an exact-match requirement.
	IndexLabel = "label"
)

// Key returns the cache key of an object: "namespace/name", or "name" for
// a cluster-scoped object.
func Key(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// ObjectKey returns Key of obj's namespace and name.
func ObjectKey(obj meta.Object) string {
	m := obj.GetObjectMeta()
	return Key(m.Namespace, m.Name)
}

// Cache is a thread-safe, indexed store of objects keyed by
// namespace/name. The objects it returns are shared with every other
// reader: callers must DeepCopyObject before mutating one.
type Cache[T meta.Object] struct {
	mu       sync.RWMutex
	items    map[string]T
	indexers map[string]IndexFunc
	indices  map[string]map[string]map[string]struct{} // index -> value -> keys
}

func newCache[T meta.Object](indexers map[string]IndexFunc) *Cache[T] {
	c := &Cache[T]{
		items: map[string]T{},
		indexers: map[string]IndexFunc{
			IndexNamespace: func(o meta.Object) []string { return []string{o.GetObjectMeta().Namespace} },
			IndexLabel: func(o meta.Object) []string {
				ls := o.GetObjectMeta().Labels
				out := make([]string, 0, len(ls))
				for k, v := range ls {
					out = append(out, k+"="+v)
				}
				return out
			},
		},
		indices: map[string]map[string]map[string]struct{}{},
	}
	for name, fn := range indexers {
		c.indexers[name] = fn
	}
	for name := range c.indexers {
		c.indices[name] = map[string]map[string]struct{}{}
	}
	return c
}

// Get returns the object namespace/name ("" namespace for cluster-scoped
// kinds).
func (c *Cache[T]) Get(namespace, name string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	obj, ok := c.items[Key(namespace, name)]
	return obj, ok
}

// GetByKey returns the object under key (see Key).
func (c *Cache[T]) GetByKey(key string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	obj, ok := c.items[key]
	return obj, ok
}

// Len returns the number of cached objects.
func (c *Cache[T]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.items)
}

// List returns the objects whose labels match selector (nil selects
// everything), sorted by key.
func (c *Cache[T]) List(selector labels.Selector) []T {
	return c.ListNamespace("", selector)
}

// ListNamespace returns the objects of namespace ("" means all) whose
// labels match selector (nil selects everything), sorted by key.
func (c *Cache[T]) ListNamespace(namespace string, selector labels.Selector) []T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var keys map[string]struct{}
	narrow := func(index, value string) {
		set := c.indices[index][value]
		if keys == nil || len(set) < len(keys) {
			keys = set
			if keys == nil {
				keys = map[string]struct{}{}
			}
		}
	}
	if namespace != "" {
		narrow(IndexNamespace, namespace)
	}
	if selector != nil {
		if reqs, ok := selector.Requirements(); ok {
			for _, r := range reqs {
				if v, ok := selector.RequiresExactMatch(r.Key()); ok {
					narrow(IndexLabel, r.Key()+"="+v)
				}
			}
		}
	}
	match := func(obj T) bool {
		m := obj.GetObjectMeta()
		if namespace != "" && m.Namespace != namespace {
			return false
		}
		return selector == nil || selector.Matches(labels.Set(m.Labels))
	}
	var out []string
	if keys != nil {
		for k := range keys {
			if match(c.items[k]) {
				out = append(out, k)
			}
		}
	} else {
		for k, obj := range c.items {
			if match(obj) {
				out = append(out, k)
			}
		}
	}
	return c.sorted(out)
}

// sorted returns the objects of keys in key order; c.mu is held.
func (c *Cache[T]) sorted(keys []string) []T {
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = c.items[k]
	}
	return out
}

// ByIndex returns the objects whose index name has value, sorted by key.
// It returns nil for an unknown index.
func (c *Cache[T]) ByIndex(index, value string) []T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	set := c.indices[index][value]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	return c.sorted(keys)
}

// keys returns every key; the caller holds no lock.
func (c *Cache[T]) snapshot() map[string]T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]T, len(c.items))
	for k, v := range c.items {
		out[k] = v
	}
	return out
}

// put stores obj and returns the object it replaced.
func (c *Cache[T]) put(obj T) (old T, existed bool) {
	key := ObjectKey(obj)
	c.mu.Lock()
	defer c.mu.Unlock()
	old, existed = c.items[key]
	if existed {
		c.unindex(key, old)
	}
	c.items[key] = obj
	for name, fn := range c.indexers {
		idx := c.indices[name]
		for _, v := range fn(obj) {
			set := idx[v]
			if set == nil {
				set = map[string]struct{}{}
				idx[v] = set
			}
			set[key] = struct{}{}
		}
	}
	return old, existed
}

// remove deletes key and returns the object it held.
func (c *Cache[T]) remove(key string) (old T, existed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, existed = c.items[key]
	if existed {
		c.unindex(key, old)
		delete(c.items, key)
	}
	return old, existed
}

func (c *Cache[T]) unindex(key string, obj T) {
	for name, fn := range c.indexers {
		idx := c.indices[name]
		for _, v := range fn(obj) {
			if set := idx[v]; set != nil {
				delete(set, key)
				if len(set) == 0 {
					delete(idx, v)
				}
			}
		}
	}
}
