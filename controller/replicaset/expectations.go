package replicaset

import (
	"sync"
	"time"
)

// expectationsTTL bounds how long unmet expectations block a sync, in case
// a watch event was lost.
const expectationsTTL = 5 * time.Minute

// expectations remembers, per replica set, the creates and deletes issued
// but not yet seen in the pod informer, so that a slow cache never makes
// the controller create or delete twice.
type expectations struct {
	mu sync.Mutex
	m  map[string]*expectation
}

type expectation struct {
	add, del  int
	deleting  map[string]bool // pod keys whose delete is awaited
	timestamp time.Time
}

func newExpectations() *expectations { return &expectations{m: map[string]*expectation{}} }

// satisfied reports whether rsKey may be synced: nothing is outstanding,
// nothing was ever recorded, or the record expired.
func (e *expectations) satisfied(rsKey string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[rsKey]
	if !ok {
		return true
	}
	return (x.add <= 0 && x.del <= 0) || time.Since(x.timestamp) > expectationsTTL
}

func (e *expectations) expectCreations(rsKey string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[rsKey] = &expectation{add: n, timestamp: time.Now()}
}

func (e *expectations) expectDeletions(rsKey string, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{del: len(podKeys), deleting: map[string]bool{}, timestamp: time.Now()}
	for _, k := range podKeys {
		x.deleting[k] = true
	}
	e.m[rsKey] = x
}

// creationObserved lowers the awaited creations by one.
func (e *expectations) creationObserved(rsKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[rsKey]; ok {
		x.add--
	}
}

// deletionObserved lowers the awaited deletions if podKey was awaited.
func (e *expectations) deletionObserved(rsKey, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[rsKey]; ok && x.deleting[podKey] {
		delete(x.deleting, podKey)
		x.del--
	}
}

func (e *expectations) forget(rsKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, rsKey)
}
