package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/longshore/longshore/store"
)

// Config configures New.
type Config struct {
	// Endpoints are the client URLs of the etcd members (required).
	Endpoints []string
	// Prefix namespaces every key: the store reads and writes only keys
	// under it, and hands keys back without it. "" uses the whole keyspace.
	Prefix string
	// TLS, when set, secures the connection (client certificates included).
	TLS *tls.Config
	// Username and Password authenticate, when etcd has auth enabled.
	Username, Password string
	// DialTimeout bounds the initial connection; 0 means 5 seconds.
	DialTimeout time.Duration
	// Logger receives the store's own messages; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store on an etcd cluster. It is safe for concurrent use.
type Store struct {
	cli    *clientv3.Client
	owned  bool // Close closes cli
	prefix string
	log    *slog.Logger

	mu        sync.Mutex // guards closing and watches.Add against Close
	closing   bool
	closeOnce sync.Once
	closed    chan struct{}
	watches   sync.WaitGroup

	// lowestReadable caches the compaction point found by Revision: the
	// lowest revision that was readable at the last probe.
	lowestReadable atomic.Int64
}

var _ store.Store = (*Store)(nil)

// New connects to the etcd cluster of cfg and checks that it answers
// within ctx. Close closes the connection.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("store/etcd: %w: no endpoints", store.ErrInvalid)
	}
	if err := validatePrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	dial := cfg.DialTimeout
	if dial <= 0 {
		dial = 5 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: dial,
		TLS:         cfg.TLS,
		Username:    cfg.Username,
		Password:    cfg.Password,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("store/etcd: connect %v: %w", cfg.Endpoints, err)
	}
	s := newStore(cli, cfg.Prefix, cfg.Logger)
	s.owned = true
	if _, err := cli.Get(ctx, s.full(""), clientv3.WithCountOnly(), clientv3.WithLimit(1)); err != nil {
		cli.Close()
		return nil, fmt.Errorf("store/etcd: reach %v: %w", cfg.Endpoints, err)
	}
	return s, nil
}

// NewFromClient returns a Store on a client the caller owns: Close ends the
// store's watches but leaves the client open.
func NewFromClient(cli *clientv3.Client, prefix string) (*Store, error) {
	if cli == nil {
		return nil, fmt.Errorf("store/etcd: %w: nil client", store.ErrInvalid)
	}
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	return newStore(cli, prefix, nil), nil
}

func validatePrefix(p string) error {
	if len(p) >= store.MaxKeySize {
		return fmt.Errorf("store/etcd: prefix: %w", store.ErrTooLarge)
	}
	return nil
}

func newStore(cli *clientv3.Client, prefix string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{cli: cli, prefix: prefix, log: log, closed: make(chan struct{})}
	s.lowestReadable.Store(1)
	return s
}

// Client returns the underlying etcd client.
func (s *Store) Client() *clientv3.Client { return s.cli }

// full maps a store key to its etcd key.
func (s *Store) full(key string) string { return s.prefix + key }

// rangeEnd returns the etcd range end covering every key that starts with
// the etcd key k.
func rangeEnd(k string) string {
	end := []byte(k)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return string(end[:i+1])
		}
	}
	return "\x00" // all keys from k on
}

// rangeStart returns k, or the lowest key when k is empty (etcd reads an
// empty key as "no key").
func rangeStart(k string) string {
	if k == "" {
		return "\x00"
	}
	return k
}

func (s *Store) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// check fails early on a closed store or a done context.
func (s *Store) check(ctx context.Context, op string) error {
	if s.isClosed() {
		return fmt.Errorf("store/etcd: %s: %w", op, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store/etcd: %s: %w", op, err)
	}
	return nil
}

// wrap maps an etcd client error to the store's sentinels.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case s.isClosed():
		return fmt.Errorf("store/etcd: %s: %w (%v)", op, store.ErrClosed, err)
	case ctx.Err() != nil:
		return fmt.Errorf("store/etcd: %s: %w", op, ctx.Err())
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("store/etcd: %s: %w", op, store.ErrCompacted)
	case errors.Is(err, rpctypes.ErrFutureRev):
		return fmt.Errorf("store/etcd: %s: %w", op, store.ErrFutureRevision)
	case errors.Is(err, rpctypes.ErrLeaseNotFound):
		return fmt.Errorf("store/etcd: %s: %w", op, store.ErrLeaseNotFound)
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrTooManyOps):
		return fmt.Errorf("store/etcd: %s: %w: %v", op, store.ErrTooLarge, err)
	}
	return fmt.Errorf("store/etcd: %s: %w", op, err)
}

// kv converts an etcd key-value, removing the store prefix.
func (s *Store) kv(in *mvccpb.KeyValue) store.KeyValue {
	return store.KeyValue{
		Key:            string(in.Key[len(s.prefix):]),
		Value:          in.Value,
		CreateRevision: in.CreateRevision,
		ModRevision:    in.ModRevision,
		Version:        in.Version,
		Lease:          store.LeaseID(in.Lease),
	}
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string, opts store.GetOptions) (*store.KeyValue, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("store/etcd: get: %w", err)
	}
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, fmt.Errorf("store/etcd: get %q: %w", key, err)
	}
	if err := s.check(ctx, "get"); err != nil {
		return nil, err
	}
	resp, err := s.cli.Get(ctx, s.full(key), clientv3.WithRev(opts.Revision))
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("get %q", key), err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("store/etcd: get %q: %w", key, store.ErrNotFound)
	}
	kv := s.kv(resp.Kvs[0])
	return &kv, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) (*store.ListResult, error) {
	if len(prefix) > store.MaxKeySize {
		return nil, fmt.Errorf("store/etcd: list: %w: prefix of %d bytes", store.ErrTooLarge, len(prefix))
	}
	if err := store.ValidateRevision(opts.Revision); err != nil {
		return nil, fmt.Errorf("store/etcd: list %q: %w", prefix, err)
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("store/etcd: list %q: %w: negative limit %d", prefix, store.ErrInvalid, opts.Limit)
	}
	rev, start := opts.Revision, prefix
	if opts.Continue != "" {
		var err error
		rev, start, err = store.DecodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, fmt.Errorf("store/etcd: list %q: %w", prefix, err)
		}
	}
	if err := s.check(ctx, "list"); err != nil {
		return nil, err
	}
	ops := []clientv3.OpOption{
		clientv3.WithRange(rangeEnd(s.full(prefix))),
		clientv3.WithRev(rev),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend),
	}
	if opts.Limit > 0 {
		ops = append(ops, clientv3.WithLimit(opts.Limit))
	}
	resp, err := s.cli.Get(ctx, rangeStart(s.full(start)), ops...)
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("list %q", prefix), err)
	}
	if rev == 0 {
		rev = resp.Header.Revision
	}
	out := &store.ListResult{KVs: make([]store.KeyValue, len(resp.Kvs)), Revision: rev}
	for i, kv := range resp.Kvs {
		out.KVs[i] = s.kv(kv)
	}
	if resp.More && len(out.KVs) > 0 {
		out.Remaining = resp.Count - int64(len(resp.Kvs))
		out.Continue = store.EncodeContinue(rev, out.KVs[len(out.KVs)-1].Key+"\x00")
	}
	return out, nil
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, key string, value []byte, lease store.LeaseID) (*store.KeyValue, error) {
	if err := validate(key, value); err != nil {
		return nil, fmt.Errorf("store/etcd: create: %w", err)
	}
	if lease < 0 {
		return nil, fmt.Errorf("store/etcd: create %q: %w: negative lease %d", key, store.ErrInvalid, lease)
	}
	if err := s.check(ctx, "create"); err != nil {
		return nil, err
	}
	k := s.full(key)
	var putOpts []clientv3.OpOption
	if lease != 0 {
		putOpts = append(putOpts, clientv3.WithLease(clientv3.LeaseID(lease)))
	}
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(value), putOpts...)).
		Commit()
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("create %q", key), err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("store/etcd: create %q: %w", key, store.ErrExists)
	}
	rev := resp.Header.Revision
	return &store.KeyValue{Key: key, Value: value, CreateRevision: rev, ModRevision: rev, Version: 1, Lease: lease}, nil
}

func validate(key string, value []byte) error {
	if err := store.ValidateKey(key); err != nil {
		return err
	}
	return store.ValidateValue(value)
}

// guard is the transaction condition for Update and Delete: the key's
// ModRevision when given, its existence otherwise.
func guard(k string, modRevision int64) clientv3.Cmp {
	if modRevision > 0 {
		return clientv3.Compare(clientv3.ModRevision(k), "=", modRevision)
	}
	return clientv3.Compare(clientv3.CreateRevision(k), ">", 0)
}

// failed tells ErrNotFound from ErrConflict after a guarded transaction
// failed, from the read in its else branch.
func failed(resp *clientv3.TxnResponse) error {
	if len(resp.Responses) == 1 {
		if r := resp.Responses[0].GetResponseRange(); r != nil && len(r.Kvs) > 0 {
			return store.ErrConflict
		}
	}
	return store.ErrNotFound
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, key string, value []byte, modRevision int64) (*store.KeyValue, error) {
	if err := validate(key, value); err != nil {
		return nil, fmt.Errorf("store/etcd: update: %w", err)
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, fmt.Errorf("store/etcd: update %q: %w", key, err)
	}
	if err := s.check(ctx, "update"); err != nil {
		return nil, err
	}
	k := s.full(key)
	resp, err := s.cli.Txn(ctx).
		If(guard(k, modRevision)).
		Then(clientv3.OpPut(k, string(value), clientv3.WithIgnoreLease(), clientv3.WithPrevKV())).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return nil, s.wrap(ctx, fmt.Sprintf("update %q", key), err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("store/etcd: update %q at %d: %w", key, modRevision, failed(resp))
	}
	put := resp.Responses[0].GetResponsePut()
	if put == nil || put.PrevKv == nil {
		return nil, fmt.Errorf("store/etcd: update %q: etcd returned no previous value", key)
	}
	prev := put.PrevKv
	return &store.KeyValue{
		Key:            key,
		Value:          value,
		CreateRevision: prev.CreateRevision,
		ModRevision:    resp.Header.Revision,
		Version:        prev.Version + 1,
		Lease:          store.LeaseID(prev.Lease),
	}, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string, modRevision int64) (*store.KeyValue, int64, error) {
	if err := store.ValidateKey(key); err != nil {
		return nil, 0, fmt.Errorf("store/etcd: delete: %w", err)
	}
	if err := store.ValidateRevision(modRevision); err != nil {
		return nil, 0, fmt.Errorf("store/etcd: delete %q: %w", key, err)
	}
	if err := s.check(ctx, "delete"); err != nil {
		return nil, 0, err
	}
	k := s.full(key)
	resp, err := s.cli.Txn(ctx).
		If(guard(k, modRevision)).
		Then(clientv3.OpDelete(k, clientv3.WithPrevKV())).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return nil, 0, s.wrap(ctx, fmt.Sprintf("delete %q", key), err)
	}
	if !resp.Succeeded {
		return nil, 0, fmt.Errorf("store/etcd: delete %q at %d: %w", key, modRevision, failed(resp))
	}
	del := resp.Responses[0].GetResponseDeleteRange()
	if del == nil || len(del.PrevKvs) != 1 {
		// The key vanished between the compare and the delete: impossible
		// in one transaction, but never hand back a nil previous value.
		return nil, 0, fmt.Errorf("store/etcd: delete %q: %w", key, store.ErrNotFound)
	}
	prev := s.kv(del.PrevKvs[0])
	return &prev, resp.Header.Revision, nil
}

// Compact implements store.Store.
func (s *Store) Compact(ctx context.Context, revision int64) error {
	if err := store.ValidateRevision(revision); err != nil {
		return fmt.Errorf("store/etcd: compact: %w", err)
	}
	if err := s.check(ctx, "compact"); err != nil {
		return err
	}
	if revision == 0 {
		return nil
	}
	_, err := s.cli.Compact(ctx, revision)
	if errors.Is(err, rpctypes.ErrCompacted) {
		return nil // at or below the compaction point: a no-op
	}
	return s.wrap(ctx, fmt.Sprintf("compact at %d", revision), err)
}

// Revision implements store.Store. The current revision is the cluster's;
// the compaction point is found by probing reads (see the package doc).
func (s *Store) Revision(ctx context.Context) (current, compacted int64, err error) {
	if err := s.check(ctx, "revision"); err != nil {
		return 0, 0, err
	}
	probeKey := rangeStart(s.full(""))
	resp, err := s.cli.Get(ctx, probeKey, clientv3.WithCountOnly())
	if err != nil {
		return 0, 0, s.wrap(ctx, "revision", err)
	}
	current = resp.Header.Revision
	readable := func(rev int64) (bool, error) {
		_, err := s.cli.Get(ctx, probeKey, clientv3.WithCountOnly(), clientv3.WithRev(rev))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, rpctypes.ErrCompacted):
			return false, nil
		}
		return false, s.wrap(ctx, "revision", err)
	}
	lo := s.lowestReadable.Load()
	if lo > current {
		lo = current
	}
	ok, err := readable(lo)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		// The compaction point moved: find the lowest readable revision in
		// (lo, current], which is readable since etcd never compacts past
		// its current revision.
		hi := current
		for lo+1 < hi {
			mid := lo + (hi-lo)/2
			ok, err := readable(mid)
			if err != nil {
				return 0, 0, err
			}
			if ok {
				hi = mid
			} else {
				lo = mid
			}
		}
		lo = hi
		s.log.Debug("compaction point moved", "lowestReadable", lo, "current", current)
	}
	for {
		old := s.lowestReadable.Load()
		if old >= lo || s.lowestReadable.CompareAndSwap(old, lo) {
			break
		}
	}
	return current, lo - 1, nil
}

// Grant implements store.Store. The TTL is rounded up to whole seconds;
// etcd may raise it further to its minimum lease TTL.
func (s *Store) Grant(ctx context.Context, ttl time.Duration) (store.LeaseID, error) {
	if ttl < time.Second {
		return 0, fmt.Errorf("store/etcd: grant: %w: ttl %v is under one second", store.ErrInvalid, ttl)
	}
	if err := s.check(ctx, "grant"); err != nil {
		return 0, err
	}
	secs := int64((ttl + time.Second - 1) / time.Second)
	resp, err := s.cli.Grant(ctx, secs)
	if err != nil {
		return 0, s.wrap(ctx, "grant", err)
	}
	return store.LeaseID(resp.ID), nil
}

// KeepAlive implements store.Store with one keep-alive round trip.
func (s *Store) KeepAlive(ctx context.Context, id store.LeaseID) (time.Duration, error) {
	if id <= 0 {
		return 0, fmt.Errorf("store/etcd: keep alive %d: %w", id, store.ErrLeaseNotFound)
	}
	if err := s.check(ctx, "keep alive"); err != nil {
		return 0, err
	}
	resp, err := s.cli.KeepAliveOnce(ctx, clientv3.LeaseID(id))
	if err != nil {
		return 0, s.wrap(ctx, fmt.Sprintf("keep alive %d", id), err)
	}
	return time.Duration(resp.TTL) * time.Second, nil
}

// Revoke implements store.Store.
func (s *Store) Revoke(ctx context.Context, id store.LeaseID) error {
	if id <= 0 {
		return fmt.Errorf("store/etcd: revoke %d: %w", id, store.ErrLeaseNotFound)
	}
	if err := s.check(ctx, "revoke"); err != nil {
		return err
	}
	_, err := s.cli.Revoke(ctx, clientv3.LeaseID(id))
	return s.wrap(ctx, fmt.Sprintf("revoke %d", id), err)
}

// Close ends the store's watches (their Err wraps store.ErrClosed) and,
// for a store made by New, closes the etcd client. Later calls fail with
// store.ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		close(s.closed)
		s.mu.Unlock()
		s.watches.Wait()
		if s.owned {
			err = s.cli.Close()
			if errors.Is(err, context.Canceled) {
				err = nil
			}
		}
	})
	return err
}
