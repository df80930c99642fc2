package framework

import (
	"errors"
	"fmt"
	"sync"
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
	// data is a sync.Map: Filter and Score read it once per node and
	// plugin from several goroutines, and a read-write mutex's reader
	// count is a contended atomic there.
	data sync.Map // StateKey -> StateData
	// SkipFilterPlugins and SkipScorePlugins list the plugins whose
	// PreFilter or PreScore returned Skip; the framework fills them in.
	SkipFilterPlugins map[string]struct{}
	SkipScorePlugins  map[string]struct{}
	// RecordPluginMetrics asks the framework to time each plugin call of
	// this cycle (Options.ObservePlugin); the scheduler sets it on a
	// sample of cycles.
	RecordPluginMetrics bool
}

// NewCycleState returns an empty CycleState.
func NewCycleState() *CycleState {
	return &CycleState{}
}

// Read returns the data under key, or an error wrapping ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	if v, ok := c.data.Load(key); ok {
		return v.(StateData), nil
	}
	return nil, fmt.Errorf("cycle state %q: %w", key, ErrNotFound)
}

// Write stores val under key, replacing what was there.
func (c *CycleState) Write(key StateKey, val StateData) {
	c.data.Store(key, val)
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	c.data.Delete(key)
}

// Clone returns a deep copy: every value is cloned with its Clone method.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := &CycleState{}
	c.data.Range(func(k, v any) bool {
		out.data.Store(k, v.(StateData).Clone())
		return true
	})
	out.SkipFilterPlugins = cloneSet(c.SkipFilterPlugins)
	out.SkipScorePlugins = cloneSet(c.SkipScorePlugins)
	out.RecordPluginMetrics = c.RecordPluginMetrics
	return out
}

func cloneSet(s map[string]struct{}) map[string]struct{} {
	if s == nil {
		return nil
	}
	out := make(map[string]struct{}, len(s))
	for k := range s {
		out[k] = struct{}{}
	}
	return out
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
