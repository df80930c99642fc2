package raft

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/longshore/longshore/store"
)

func TestCommandRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cmd  command
	}{
		{"nop", command{Op: opNop}},
		{"create with lease", command{Op: opCreate, Key: "/a/b", Value: []byte("v1"), N: 42}},
		{"update guarded", command{Op: opUpdate, Key: "k", Value: []byte{0, 1, 2, 255}, N: 1 << 40}},
		{"delete", command{Op: opDelete, Key: "ключ", N: 7}},
		{"compact", command{Op: opCompact, N: 99}},
		{"grant", command{Op: opGrant, N: -5}},
		{"revoke", command{Op: opRevoke, N: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCommand(tt.cmd.encode())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.cmd) {
				t.Fatalf("round trip: got %+v, want %+v", got, tt.cmd)
			}
		})
	}
}

func TestDecodeCommandRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, {99, 0, 0, 0}, {byte(opCreate), 10, 'a'}} {
		if _, err := decodeCommand(b); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("decodeCommand(%v) = %v, want ErrInvalid", b, err)
		}
	}
}

func TestResultRoundTrip(t *testing.T) {
	kv := &store.KeyValue{Key: "k", Value: []byte("v"), CreateRevision: 3, ModRevision: 9, Version: 4, Lease: 12}
	tests := []struct {
		name     string
		res      result
		sentinel error
	}{
		{"kv", result{KV: kv}, nil},
		{"delete", result{Prev: kv, Rev: 10}, nil},
		{"lease", result{N: 1234}, nil},
		{"conflict", result{Err: fmt.Errorf("update %q: %w", "k", store.ErrConflict)}, store.ErrConflict},
		{"not found", result{Err: store.ErrNotFound}, store.ErrNotFound},
		{"lease not found", result{Err: fmt.Errorf("x: %w", store.ErrLeaseNotFound)}, store.ErrLeaseNotFound},
		{"other", result{Err: errors.New("disk on fire")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeResult(tt.res.encode())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got.KV, tt.res.KV) || !reflect.DeepEqual(got.Prev, tt.res.Prev) || got.Rev != tt.res.Rev || got.N != tt.res.N {
				t.Fatalf("round trip: got %+v, want %+v", got, tt.res)
			}
			if (got.Err == nil) != (tt.res.Err == nil) {
				t.Fatalf("error: got %v, want %v", got.Err, tt.res.Err)
			}
			if got.Err != nil && got.Err.Error() != tt.res.Err.Error() {
				t.Errorf("message: got %q, want %q", got.Err, tt.res.Err)
			}
			if tt.sentinel != nil && !errors.Is(got.Err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", got.Err, tt.sentinel)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{NodeID: "a", DataDir: "/tmp/x", RaftAddr: "127.0.0.1:1"}
	tests := []struct {
		name   string
		mutate func(*Config)
		valid  bool
	}{
		{"minimal", func(*Config) {}, true},
		{"no id", func(c *Config) { c.NodeID = "" }, false},
		{"no dir", func(c *Config) { c.DataDir = "" }, false},
		{"no addr", func(c *Config) { c.RaftAddr = "" }, false},
		{"bootstrap without self", func(c *Config) { c.Bootstrap = []Peer{{ID: "b", Addr: "x:1"}} }, false},
		{"bootstrap duplicate", func(c *Config) { c.Bootstrap = []Peer{{ID: "a", Addr: "x:1"}, {ID: "a", Addr: "x:2"}} }, false},
		{"bootstrap ok", func(c *Config) { c.Bootstrap = []Peer{{ID: "a", Addr: "x:1"}, {ID: "b", Addr: "x:2"}} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.validate()
			if (err == nil) != tt.valid {
				t.Fatalf("validate() = %v, want valid=%v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}
