// Package storage is the API server's door to the store: object encoding,
// optimistic-concurrency writes, and the watch cache that serves every read
// and watch from memory.
//
// # Basics
//
// A Cacher is created over a store.Store, resources are registered with
// their key prefix and object type, and Run follows the store. Each
// registered resource is a *Resource with Get, List, Create, Update, Delete
// and Watch, speaking Kubernetes' resourceVersion semantics:
//
//   - resourceVersion unset: the latest state, consistently (the cache
//     waits until it holds every write the store acknowledged when the
//     request arrived);
//   - "0": whatever the cache has, without waiting;
//   - N: a state not older than N (waits up to Options.FreshnessTimeout,
//     then ErrTimeout, Kubernetes' 504 "Too large resource version");
//   - N with resourceVersionMatch=Exact, or with a limit: read from the store
//     at exactly N (ErrGone, 410, once N is compacted).
//
// Paginated lists read the store at the revision of their first page, so a
// paginated list is a consistent snapshot even while writes go on; selectors
// are applied while paging so pages are full.
//
// # The watch cache
//
// One store watch, on the root prefix, feeds every resource. The cacher
// therefore always knows the one global revision it has reached, even for
// resources nobody writes to, which makes consistent reads from memory cheap
// and lets bookmarks advance on idle resources.
//
// Each resource keeps its current objects (decoded once, with their JSON
// encoding ready to send) and a window of recent events (Options.EventWindow).
// A Watch reads that shared window with its own cursor: a thousand watchers
// cost a thousand cursors, not a thousand buffers, and one slow client never
// holds up the others. A watch that falls out of the window, or asks to
// resume from before it, gets ErrGone (410 "too old resource version") and
// its client relists, as Kubernetes clients do.
//
// # Caveats
//
// Entries are shared: never modify Entry.Object, DeepCopy it first. Objects
// are stored as JSON without their resourceVersion, which is the store's
// ModRevision of the key.
package storage
