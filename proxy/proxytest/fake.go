package proxytest

import (
	"context"
	"sync"

	"github.com/longshore/longshore/proxy"
)

// Call is one recorded call of a FakeBackend.
type Call struct {
	// Method is "Sync", "FullSync" or "Cleanup".
	Method string
	// Changes is the change set of a Sync.
	Changes *proxy.ChangeSet
	// Services is the number of service ports in the state.
	Services int
	// Ports and Endpoints are a copy of the state's service ports and
	// endpoints at the time of a Sync or FullSync.
	Ports     map[proxy.ServicePortName]proxy.ServicePort
	Endpoints map[proxy.ServicePortName][]proxy.Endpoint
}

// snapshot copies what a State holds; Tracker.Apply replaces the values
// it changes rather than mutating them, so shallow copies stay valid.
func snapshot(c Call, state *proxy.State) Call {
	c.Services = len(state.Services)
	c.Ports = make(map[proxy.ServicePortName]proxy.ServicePort, len(state.Services))
	for n, sp := range state.Services {
		c.Ports[n] = *sp
	}
	c.Endpoints = make(map[proxy.ServicePortName][]proxy.Endpoint, len(state.Endpoints))
	for n, eps := range state.Endpoints {
		c.Endpoints[n] = append([]proxy.Endpoint(nil), eps...)
	}
	return c
}

// FakeBackend is an in-memory proxy.Backend that records its calls, for
// testing what drives a backend (a Runner, a custom loop). Its methods are
// safe for concurrent use.
type FakeBackend struct {
	mu    sync.Mutex
	calls []Call
	fail  []error
	sync  chan struct{}
}

var _ proxy.Backend = (*FakeBackend)(nil)

// NewFakeBackend returns an empty FakeBackend.
func NewFakeBackend() *FakeBackend { return &FakeBackend{sync: make(chan struct{}, 1000)} }

// FailNext makes the next calls return the given errors, in order.
func (f *FakeBackend) FailNext(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, errs...)
}

func (f *FakeBackend) record(c Call) error {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	var err error
	if len(f.fail) > 0 {
		err, f.fail = f.fail[0], f.fail[1:]
	}
	f.mu.Unlock()
	select {
	case f.sync <- struct{}{}:
	default:
	}
	return err
}

// Sync records the call.
func (f *FakeBackend) Sync(_ context.Context, state *proxy.State, changes *proxy.ChangeSet) error {
	return f.record(snapshot(Call{Method: "Sync", Changes: changes}, state))
}

// FullSync records the call.
func (f *FakeBackend) FullSync(_ context.Context, state *proxy.State) error {
	return f.record(snapshot(Call{Method: "FullSync"}, state))
}

// Cleanup records the call.
func (f *FakeBackend) Cleanup(context.Context) error {
	return f.record(Call{Method: "Cleanup"})
}

// Calls returns a copy of the calls so far.
func (f *FakeBackend) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Called receives a value after each call (buffered, may coalesce).
func (f *FakeBackend) Called() <-chan struct{} { return f.sync }
