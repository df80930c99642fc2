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
	mu   sync.RWMutex
	data map[StateKey]StateData
	// SkipFilterPlugins and SkipScorePlugins list the plugins whose
	// PreFilter or PreScore returned Skip; the framework fills them in.
	SkipFilterPlugins map[string]struct{}
	SkipScorePlugins  map[string]struct{}
}

// NewCycleState returns an empty CycleState.
func NewCycleState() *CycleState {
	return &CycleState{data: map[StateKey]StateData{}}
}

// Read returns the data under key, or an error wrapping ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if v, ok := c.data[key]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("cycle state %q: %w", key, ErrNotFound)
}

// Write stores val under key, replacing what was there.
func (c *CycleState) Write(key StateKey, val StateData) {
	c.mu.Lock()
	c.data[key] = val
	c.mu.Unlock()
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	c.mu.Lock()
	delete(c.data, key)
	c.mu.Unlock()
}

// Clone returns a deep copy: every value is cloned with its Clone method.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := &CycleState{data: make(map[StateKey]StateData, len(c.data))}
	for k, v := range c.data {
		out.data[k] = v.Clone()
	}
	out.SkipFilterPlugins = cloneSet(c.SkipFilterPlugins)
	out.SkipScorePlugins = cloneSet(c.SkipScorePlugins)
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
