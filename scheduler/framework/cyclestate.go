package framework

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// ErrNotFound is returned by CycleState.Read for a key no plugin wrote.
var ErrNotFound = errors.New("not found")

// StateKey names one plugin's data in a CycleState; by convention it is
// prefixed with the plugin name ("PreFilterNodeResourcesFit").
type StateKey string

// StateData is a value stored in a CycleState. Clone must return a copy
// that later writes to the original do not affect (preemption simulates
// removals on a clone); immutable data may return itself.
type StateData interface {
	Clone() StateData
}

// CycleState is the data plugins share during one scheduling cycle of one
// pod. It is safe for concurrent use: Filter and Score run in parallel over
// nodes and may all read it.
type CycleState struct {
	// data is copied on write and read without a lock: Filter and Score
	// read it once per node and plugin from several goroutines, while
	// the few writes happen at PreFilter and PreScore (a read-write
	// mutex's reader count, and sync.Map's hashing of interface keys,
	// cost more on that path).
	data atomic.Pointer[[]stateEntry]
	mu   sync.Mutex // serialises writers
	// SkipFilterPlugins and SkipScorePlugins list the plugins whose
	// PreFilter or PreScore returned Skip; the framework fills them in
	// (and Filter reads the list of plugins PreFilter derived from
	// SkipFilterPlugins unless its size changed).
	SkipFilterPlugins map[string]struct{}
	SkipScorePlugins  map[string]struct{}
	// RecordPluginMetrics asks the framework to time each plugin call of
	// this cycle (Options.ObservePlugin); the scheduler sets it on a
	// sample of cycles.
	RecordPluginMetrics bool

	// filters are filtersOf's Filter plugins not skipped, computed at
	// PreFilter from SkipFilterPlugins (then of size skipped), so that
	// Filter does not look every plugin up in the map for every node.
	filters   []FilterPlugin
	filtersOf *Framework
	skipped   int
}

type stateEntry struct {
	key StateKey
	val StateData
}

// NewCycleState returns an empty CycleState.
func NewCycleState() *CycleState {
	return &CycleState{}
}

func (c *CycleState) entries() []stateEntry {
	if p := c.data.Load(); p != nil {
		return *p
	}
	return nil
}

// Read returns the data under key, or an error wrapping ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	for _, e := range c.entries() {
		if e.key == key {
			return e.val, nil
		}
	}
	return nil, fmt.Errorf("cycle state %q: %w", key, ErrNotFound)
}

// Write stores val under key, replacing what was there.
func (c *CycleState) Write(key StateKey, val StateData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries()
	out := make([]stateEntry, 0, len(old)+1)
	for _, e := range old {
		if e.key != key {
			out = append(out, e)
		}
	}
	out = append(out, stateEntry{key, val})
	c.data.Store(&out)
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries()
	out := make([]stateEntry, 0, len(old))
	for _, e := range old {
		if e.key != key {
			out = append(out, e)
		}
	}
	c.data.Store(&out)
}

// Clone returns a deep copy: every value is cloned with its Clone method.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := &CycleState{}
	old := c.entries()
	entries := make([]stateEntry, len(old))
	for i, e := range old {
		entries[i] = stateEntry{e.key, e.val.Clone()}
	}
	out.data.Store(&entries)
	out.SkipFilterPlugins = cloneSet(c.SkipFilterPlugins)
	out.SkipScorePlugins = cloneSet(c.SkipScorePlugins)
	out.RecordPluginMetrics = c.RecordPluginMetrics
	out.filters, out.filtersOf, out.skipped = c.filters, c.filtersOf, c.skipped
	return out
}

func cloneSet(s map[string]struct{}) map[string]struct{} {
	return maps.Clone(s) // nil stays nil
}

// ReadAs reads key from c and asserts its type, for the common pattern in
// plugins.
func ReadAs[T StateData](c *CycleState, key StateKey) (T, error) {
	var zero T
	v, err := c.Read(key)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("cycle state %q holds %T, not %T", key, v, zero)
	}
	return t, nil
}
