package proxy

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// State is the desired state of every service port. It is owned by the
// sync side (a Runner): Tracker.Apply writes it, backends read it during a
// Sync or FullSync call and must neither keep nor modify it.
type State struct {
	// Services holds every proxied service port.
	Services map[ServicePortName]*ServicePort
	// Endpoints holds the endpoints of every port name that has any, sorted
	// by address, whether or not the service exists yet.
	Endpoints map[ServicePortName][]Endpoint

	byService   map[NamespacedName][]ServicePortName
	byEndpoints map[NamespacedName][]ServicePortName
}

// NewState returns an empty State.
func NewState() *State {
	return &State{
		Services:    map[ServicePortName]*ServicePort{},
		Endpoints:   map[ServicePortName][]Endpoint{},
		byService:   map[NamespacedName][]ServicePortName{},
		byEndpoints: map[NamespacedName][]ServicePortName{},
	}
}

// ReadyEndpoints returns the ready endpoints of a port, in address order.
func (s *State) ReadyEndpoints(name ServicePortName) []Endpoint {
	eps := s.Endpoints[name]
	ready := make([]Endpoint, 0, len(eps))
	for _, e := range eps {
		if e.Ready {
			ready = append(ready, e)
		}
	}
	return ready
}

// ChangeSet lists what changed in a State since the previous Apply. Each
// list is sorted and holds a name at most once.
type ChangeSet struct {
	Added   []ServicePortName
	Updated []ServicePortName
	Removed []ServicePortName
	// Endpoints lists the ports whose endpoint list changed (including
	// ports whose service does not exist).
	Endpoints []ServicePortName
}

// Empty reports whether nothing changed.
func (c *ChangeSet) Empty() bool {
	return len(c.Added)+len(c.Updated)+len(c.Removed)+len(c.Endpoints) == 0
}

// Touched returns every name in the change set once, sorted: the ports a
// backend has to reconcile.
func (c *ChangeSet) Touched() []ServicePortName {
	all := slices.Concat(c.Added, c.Updated, c.Removed, c.Endpoints)
	sortNames(all)
	return slices.Compact(all)
}

func sortNames(n []ServicePortName) {
	slices.SortFunc(n, func(a, b ServicePortName) int {
		switch {
		case a.Namespace != b.Namespace:
			return cmpString(a.Namespace, b.Namespace)
		case a.Name != b.Name:
			return cmpString(a.Name, b.Name)
		}
		return cmpString(a.Port, b.Port)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TrackerOptions are the optional knobs of a Tracker; the zero value works.
type TrackerOptions struct {
	// Logger receives invalid objects that were ignored; nil discards.
	Logger *slog.Logger
}

// Tracker collects Service and Endpoints changes (from informer handlers,
// on any goroutine) and applies them to a State on demand. Changes to the
// same object between two Apply calls coalesce: only the latest version
// counts.
type Tracker struct {
	log *slog.Logger

	mu        sync.Mutex
	services  map[NamespacedName]*Service   // pending; nil value = deleted
	endpoints map[NamespacedName]*Endpoints // pending; nil value = deleted
	notify    chan struct{}
}

// NewTracker returns an empty Tracker; opts may be nil.
func NewTracker(opts *TrackerOptions) *Tracker {
	if opts == nil {
		opts = &TrackerOptions{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{
		log:       log,
		services:  map[NamespacedName]*Service{},
		endpoints: map[NamespacedName]*Endpoints{},
		notify:    make(chan struct{}, 1),
	}
}

// Changed returns a channel that receives a value (coalesced) whenever a
// change is pending.
func (t *Tracker) Changed() <-chan struct{} { return t.notify }

func (t *Tracker) signal() {
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// OnServiceUpdate records a Service change: old nil for an add, new nil for
// a delete. An invalid new Service is logged and treated as deleted, so that
// no stale rules survive it. The objects must not be modified afterwards.
func (t *Tracker) OnServiceUpdate(old, new *Service) {
	var key NamespacedName
	switch {
	case new != nil:
		key = NamespacedName{new.Namespace, new.Name}
		if err := new.Validate(); err != nil {
			t.log.Warn("ignoring invalid service", "service", key, "err", err)
			new = nil
		}
	case old != nil:
		key = NamespacedName{old.Namespace, old.Name}
	default:
		return
	}
	t.mu.Lock()
	t.services[key] = new
	t.mu.Unlock()
	t.signal()
}

// OnEndpointsUpdate records an Endpoints change: old nil for an add, new
// nil for a delete. An invalid new object is logged and treated as deleted.
// The objects must not be modified afterwards.
func (t *Tracker) OnEndpointsUpdate(old, new *Endpoints) {
	var key NamespacedName
	switch {
	case new != nil:
		key = NamespacedName{new.Namespace, new.Name}
		if err := new.Validate(); err != nil {
			t.log.Warn("ignoring invalid endpoints", "endpoints", key, "err", err)
			new = nil
		}
	case old != nil:
		key = NamespacedName{old.Namespace, old.Name}
	default:
		return
	}
	t.mu.Lock()
	t.endpoints[key] = new
	t.mu.Unlock()
	t.signal()
}

// Pending reports whether changes wait for Apply.
func (t *Tracker) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.services)+len(t.endpoints) > 0
}

// Apply moves the pending changes into state and returns what changed. Only
// the objects that changed are examined, so its cost does not grow with the
// number of services. Apply must not run concurrently with itself or with a
// backend reading state.
func (t *Tracker) Apply(state *State) *ChangeSet {
	t.mu.Lock()
	services, endpoints := t.services, t.endpoints
	t.services, t.endpoints = map[NamespacedName]*Service{}, map[NamespacedName]*Endpoints{}
	t.mu.Unlock()

	cs := &ChangeSet{}
	for key, svc := range services {
		var want map[ServicePortName]*ServicePort
		if svc != nil {
			want = servicePorts(svc)
		}
		for _, name := range state.byService[key] {
			if _, ok := want[name]; !ok {
				delete(state.Services, name)
				cs.Removed = append(cs.Removed, name)
			}
		}
		for name, sp := range want {
			switch cur, ok := state.Services[name]; {
			case !ok:
				cs.Added = append(cs.Added, name)
			case !cur.Equal(sp):
				cs.Updated = append(cs.Updated, name)
			default:
				continue
			}
			state.Services[name] = sp
		}
		if len(want) == 0 {
			delete(state.byService, key)
		} else {
			state.byService[key] = slices.Collect(maps.Keys(want))
		}
	}
	for key, ep := range endpoints {
		var want map[ServicePortName][]Endpoint
		if ep != nil {
			want = endpointsByPort(ep)
		}
		for _, name := range state.byEndpoints[key] {
			if _, ok := want[name]; !ok {
				delete(state.Endpoints, name)
				cs.Endpoints = append(cs.Endpoints, name)
			}
		}
		for name, eps := range want {
			if slices.Equal(state.Endpoints[name], eps) {
				continue
			}
			state.Endpoints[name] = eps
			cs.Endpoints = append(cs.Endpoints, name)
		}
		if len(want) == 0 {
			delete(state.byEndpoints, key)
		} else {
			state.byEndpoints[key] = slices.Collect(maps.Keys(want))
		}
	}
	for _, l := range [][]ServicePortName{cs.Added, cs.Updated, cs.Removed, cs.Endpoints} {
		sortNames(l)
	}
	return cs
}
