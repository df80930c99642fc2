package framework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Errors of the registry and of plugin arguments.
var (
	// ErrUnknownPlugin: a profile names a plugin the registry lacks.
	ErrUnknownPlugin = errors.New("unknown plugin")
	// ErrDuplicatePlugin: Register was given a name already present.
	ErrDuplicatePlugin = errors.New("plugin already registered")
	// ErrInvalidArgs: a plugin's arguments could not be decoded or are
	// out of range.
	ErrInvalidArgs = errors.New("invalid plugin arguments")
)

// Registry maps plugin names to their factories.
type Registry map[string]PluginFactory

// Register adds a factory, failing on a duplicate name.
func (r Registry) Register(name string, f PluginFactory) error {
	if _, ok := r[name]; ok {
		return fmt.Errorf("register %q: %w", name, ErrDuplicatePlugin)
	}
	r[name] = f
	return nil
}

// Merge adds every factory of o, failing on a duplicate name (nothing is
// added then).
func (r Registry) Merge(o Registry) error {
	for _, name := range slices.Sorted(maps.Keys(o)) {
		if _, ok := r[name]; ok {
			return fmt.Errorf("merge %q: %w", name, ErrDuplicatePlugin)
		}
	}
	maps.Copy(r, o)
	return nil
}

// RawArgs is a plugin's arguments as JSON, as they come from the
// pluginConfig section of a configuration file.
type RawArgs = json.RawMessage

// DecodeArgs turns the args a PluginFactory received into T, starting
// from defaults: nil keeps the defaults; a T or *T is used as is; RawArgs,
// []byte or a map (as from a YAML decoder) are decoded over the defaults,
// rejecting unknown fields. Errors wrap ErrInvalidArgs.
func DecodeArgs[T any](args any, defaults T) (T, error) {
	out := defaults
	var raw []byte
	switch a := args.(type) {
	case nil:
		return out, nil
	case T:
		return a, nil
	case *T:
		if a == nil {
			return out, nil
		}
		return *a, nil
	case json.RawMessage:
		raw = a
	case []byte:
		raw = a
	case map[string]any:
		b, err := json.Marshal(a)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrInvalidArgs, err)
		}
		raw = b
	default:
		return out, fmt.Errorf("%w: got %T, want %T", ErrInvalidArgs, args, out)
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return defaults, fmt.Errorf("%w: %v", ErrInvalidArgs, err)
	}
	return out, nil
}
