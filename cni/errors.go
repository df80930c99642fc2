package cni

import (
	"errors"
	"fmt"

	cnitypes "github.com/containernetworking/cni/pkg/types"
)

var (
	// ErrNoConfig is returned when the configuration directory holds no
	// usable network configuration (the network is "not ready").
	ErrNoConfig = errors.New("cni: no network config found")
	// ErrInvalidConfig is returned for a configuration file that cannot be
	// parsed, or options that cannot work.
	ErrInvalidConfig = errors.New("cni: invalid config")
	// ErrPluginNotFound is returned when a plugin named by the configuration
	// is not in any of the binary directories.
	ErrPluginNotFound = errors.New("cni: plugin not found")
	// ErrPlugin is matched (errors.Is) by every *PluginError.
	ErrPlugin = errors.New("cni: plugin failed")
	// ErrInvalidPod is returned for a Pod that lacks a field the operation
	// needs.
	ErrInvalidPod = errors.New("cni: invalid pod")
)

// PluginError is a failure a plugin reported in the CNI error format
// (spec "Error" object). Codes below 100 are defined by the CNI
// specification (e.g. 3 unknown container, 7 invalid network config,
// 11 try again later); the rest are plugin specific.
type PluginError struct {
	// Op is the CNI command: ADD, DEL, CHECK, GC or STATUS.
	Op string
	// Network is the name of the network list.
	Network string
	// Code, Message and Details come from the plugin's error object.
	Code    uint
	Message string
	Details string
}

// Error returns a one-line description with the code.
func (e *PluginError) Error() string {
	s := fmt.Sprintf("cni: network %q %s: plugin error code %d: %s", e.Network, e.Op, e.Code, e.Message)
	if e.Details != "" {
		s += " (" + e.Details + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrPlugin) true for any PluginError.
func (e *PluginError) Is(target error) bool { return target == ErrPlugin }

// mapError turns a libcni error into one of the package's errors while
// keeping libcni's description of which plugin failed.
func mapError(op, network string, err error) error {
	if err == nil {
		return nil
	}
	var te *cnitypes.Error
	if errors.As(err, &te) {
		pe := &PluginError{Op: op, Network: network, Code: te.Code, Message: te.Msg, Details: te.Details}
		if err.Error() == te.Error() {
			return pe
		}
		// Keep libcni's note of which plugin of the list failed.
		return fmt.Errorf("%w (%v)", pe, err)
	}
	return fmt.Errorf("cni: network %q %s: %w", network, op, err)
}
