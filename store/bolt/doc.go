// Package bolt is Longshore's embedded state store: a multi-version,
// watchable key-value store (store.Store) kept in one bbolt file, with no
// outside service.
//
// # Basics
//
// Open a file with Open; nil Options mean defaults. Every write (Create,
// Update, Delete, and each key deleted by a lease) gets the next global
// revision. The history of every key is kept until Compact, so Get and List
// can read the store as it was at a past revision, a paginated List stays on
// the revision of its first page, and Watch can start in the past.
//
// The file holds a bucket of records keyed by revision (key, value, create
// and modification revisions, version, lease, the previous revision of the
// key, a tombstone flag) and a meta bucket (current revision, compaction
// point, lease counter, format version and a magic marker). A file that is
// not a bbolt file, a bbolt file of another program, a truncated or corrupt
// file is refused with an error wrapping ErrFormat; a file another process
// holds open is refused after Options.LockTimeout.
//
// On Open the store reads the whole history once and builds an index in
// memory: a B-tree of keys, each with its revisions split in generations
// ended by tombstones, and the current value of every live key. Reads at the
// head never touch the file; reads at past revisions find the revision in
// the index and read that one record.
//
// The same engine, without the file, is store/memory.
//
// # Durability
//
// A write returns once it is on disk. Writes are group-committed: while one
// bbolt transaction is being committed and fsynced, the writes that arrive
// queue up, and the next transaction takes all of them (up to
// Options.MaxBatch), so N concurrent writers share one fsync instead of
// paying N. Within a batch, writes are evaluated in arrival order against
// the state including the earlier writes of the same batch (a Create then
// an Update guarded by its revision both succeed), and revisions follow
// that order. Nothing of a batch (reads, events) is visible before the
// whole batch is durable; if the commit fails, every write of the batch
// fails. Stats counts commits, writes and fsyncs.
//
// Options.NoSync skips the fsync: for store/raft, whose raft log is the
// durable record and which replays it after a crash. Snapshot writes a
// consistent copy of the file while writes go on; Restore replaces the
// live state with one (revisions may only move forward) and RestoreFile
// creates a new file from one.
//
// Leases are persisted (ID and TTL; IDs count up from 1 so that replicas
// applying the same operations agree), their deadlines are not: after a
// reopen every lease has its full TTL again, as in etcd. A background loop
// revokes expired leases, deleting each key at its own revision in key
// order; with Options.ManualLeaseExpiry the owner does it (Leases lists
// them), which is how store/raft keeps replicas identical.
//
// # Watches
//
// Events are published after their batch is durable, in revision order,
// each with the key's previous value. Each watcher has a buffered channel
// (Options.WatchBufferSize). A watcher whose channel is full is not waited
// for: it leaves the live path and a background loop replays it from the
// file, from the first revision it missed, as fast as it reads; once caught
// up it rejoins the live path. No event is skipped or repeated. If the
// history it needs has been compacted meanwhile it ends with an error
// wrapping store.ErrCompacted. A watch from a past revision is replayed the
// same way. Watchers that ask for progress get an EventProgress after
// Options.ProgressInterval of silence. Close ends every watcher with an
// error wrapping store.ErrClosed; Restore ends them with one wrapping
// store.ErrCompacted.
//
// # Caveats
//
// The index holds every key, its revisions and its current value in
// memory: memory grows with the live data plus the uncompacted history's
// bookkeeping. Compact regularly (Options.AutoCompact does it, as etcd's
// auto-compaction does). Compaction frees pages inside the file; the file
// does not shrink. One process at a time may open a file. Reads at past
// revisions and watch catch-up read the file; reads at the head do not.
// A write whose context ends while it is queued may still be committed.
// bbolt grows its memory map only when no read transaction is open, so a
// long Snapshot can hold up a write that needs the file to grow.
//
// # Performance
//
// Measured with bench/storebench on the project's 2-core Debian 12 VM
// (ext4 on a virtual disk), fsync on for both stores, keys of 32 bytes and
// values of 256 bytes, etcd 3.4.23 driven through client/v3. The machine
// was shared with other jobs: the first figures were taken at a load
// average near 7, the second near 16, when fsync itself took several
// milliseconds.
//
//	go run ./bench/storebench -workload put -clients 64 -ops 20000
//
//	load   backend             ops/s     p50       p99
//	~7     store/bolt (fsync)  46130     993µs     4.639ms
//	~7     etcd 3.4 (fsync)    13962     3.898ms   14.787ms   bolt/etcd: 3.30x, p99 0.31x
//	~16    store/bolt (fsync)   5460     6.913ms   67.791ms
//	~16    etcd 3.4 (fsync)     4268     9.232ms   84.111ms   bolt/etcd: 1.28x, p99 0.81x
//
// Both stores put the 64 clients' writes in one fsync'd batch, so
// throughput is about 64 divided by the commit time. A bbolt commit waits
// for two fdatasyncs (data pages, then the meta page) where etcd's write
// path waits for one (its WAL): when the disk is slow, as in the second
// run, the advantage shrinks towards that ratio.
//
//	go run ./bench/storebench -workload watch -watchers 1000 -ops 500 -rate 200
//
// 1,000 watchers on one prefix, 500 writes at 200/s, 500,000 deliveries.
// Latency from the start of the write (including its commit) and from the
// writer's acknowledgment to the event in the watcher's hands:
//
//	load   backend             p50      p99       p50 (ack)  p99 (ack)
//	~16    store/bolt (fsync)  3.5ms    34.3ms    113µs      11.5ms
//	~16    etcd 3.4 (fsync)    25.2ms   272.9ms   5.6ms      191.8ms
//
// At a load near 7 the embedded store's delivery p99 was 10.6ms from the
// start of the write and 3.3ms from its acknowledgment.
//
// In-process benchmarks, load near 7 (go test -run '^$' -bench .
// -benchmem -benchtime 2000x ./store/bolt):
//
//	Put/1            264 µs/op   18.9 kB/op   106 allocs/op   one fsync'd commit per write
//	Put/64          12.4 µs/op    2.8 kB/op    20 allocs/op   group commit
//	Get              208 ns/op    149 B/op      3 allocs/op   from memory
//	List10k          1.2 ms/op    3.4 MB/op    21 allocs/op
//	WatchDelivery    274 µs/op   18.9 kB/op   106 allocs/op   one writer, fsync-bound
package bolt
