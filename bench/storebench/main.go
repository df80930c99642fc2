// Command storebench runs one workload side by side against the embedded
// store (store/bolt, fsync on) and a real etcd 3.4 started for the run
// (fsync on, as etcd always does), and prints throughput and latency
// percentiles for each, with their ratio.
//
// Usage:
//
//	storebench -workload put -clients 64 -ops 20000
//	storebench -workload watch -watchers 1000 -ops 500
//
// Workloads: put (creates of distinct keys), get (reads of 1,000 keys
// written first), mixed (half reads, half unconditional updates of those
// keys), watch (-watchers watchers on one prefix; a writer creates -ops
// keys at -rate writes per second, and every delivery's latency is
// measured twice: from the start of the write, which includes its commit
// and fsync, and from the writer's acknowledgment). Every run is bounded by
// -ops and by -timeout.
// etcd comes from PATH (Debian's /usr/bin/etcd), on 127.0.0.1 ports, with
// its data in a temporary directory, driven through go.etcd.io/etcd/client/v3
// over -conns connections; etcd reads are linearizable (its default), the
// embedded store's are local, in-process calls.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/longshore/longshore/internal/etcdproc"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

type config struct {
	clients   int
	ops       int
	keySize   int
	valueSize int
	workload  string
	watchers  int
	rate      int
	timeout   time.Duration
	backends  string
	dir       string
	conns     int
}

func main() {
	var c config
	flag.IntVar(&c.clients, "clients", 64, "concurrent clients (put, get, mixed)")
	flag.IntVar(&c.ops, "ops", 20000, "operations per backend (watch: writes)")
	flag.IntVar(&c.keySize, "key-size", 32, "key size in bytes")
	flag.IntVar(&c.valueSize, "value-size", 256, "value size in bytes")
	flag.StringVar(&c.workload, "workload", "put", "put, get, mixed or watch")
	flag.IntVar(&c.watchers, "watchers", 1000, "watchers (watch workload)")
	flag.IntVar(&c.rate, "rate", 200, "writes per second (watch workload)")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "time limit per backend")
	flag.StringVar(&c.backends, "backends", "bolt,etcd", "comma-separated: bolt, etcd")
	flag.StringVar(&c.dir, "dir", "", "directory for data (default: a new temporary one)")
	flag.IntVar(&c.conns, "conns", 8, "etcd client connections, shared round-robin by the clients")
	flag.Parse()
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

// target is one backend under test.
type target interface {
	// create writes a new key; put overwrites an existing one.
	create(ctx context.Context, key string, value []byte) error
	put(ctx context.Context, key string, value []byte) error
	get(ctx context.Context, key string) error
	// watch starts n watchers on prefix; each received value goes to fn
	// with the watcher's index.
	watch(ctx context.Context, prefix string, n int, fn func(i int, value []byte)) error
	close()
}

type result struct {
	name       string
	ops        int
	elapsed    time.Duration
	lat        []time.Duration
	deliveries int
	expected   int
	ackLat     []time.Duration // watch: from the write's acknowledgment
}

func run(c config, out io.Writer) error {
	switch {
	case c.clients < 1, c.ops < 1, c.keySize < 16, c.valueSize < 16, c.watchers < 1, c.rate < 1, c.conns < 1:
		return errors.New("-clients, -ops, -watchers, -rate and -conns must be positive; -key-size and -value-size at least 16")
	case c.keySize > store.MaxKeySize, c.valueSize > store.MaxValueSize:
		return errors.New("-key-size or -value-size over the store limits")
	}
	switch c.workload {
	case "put", "get", "mixed", "watch":
	default:
		return fmt.Errorf("unknown workload %q", c.workload)
	}
	dir := c.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "storebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var results []result
	for _, name := range strings.Split(c.backends, ",") {
		t, err := open(name, dir, c.conns)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r, err := measure(c, t)
		t.close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.name = label(name)
		results = append(results, r)
	}
	report(out, c, results)
	return nil
}

func label(name string) string {
	if name == "etcd" {
		return "etcd 3.4 (fsync)"
	}
	return "store/bolt (fsync)"
}

func open(name, dir string, conns int) (target, error) {
	switch name {
	case "bolt":
		db, err := bolt.Open(filepath.Join(dir, "bolt.db"), &bolt.Options{WatchBufferSize: 1024})
		if err != nil {
			return nil, err
		}
		return &boltTarget{db: db}, nil
	case "etcd":
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cl, err := etcdproc.Start(ctx, filepath.Join(dir, "etcd"), etcdproc.Options{
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return nil, err
		}
		t := &etcdTarget{cluster: cl}
		for range conns {
			cli, err := clientv3.New(clientv3.Config{
				Endpoints:   cl.Endpoints(),
				DialTimeout: 10 * time.Second,
				Logger:      zap.NewNop(),
			})
			if err != nil {
				t.close()
				return nil, err
			}
			t.clis = append(t.clis, cli)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown backend %q", name)
}

func key(prefix string, i, size int) string {
	return fmt.Sprintf("%s%0*d", prefix, size-len(prefix), i)
}

func measure(c config, t target) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if c.workload == "watch" {
		return measureWatch(ctx, c, t)
	}
	value := make([]byte, c.valueSize)
	const keyspace = 1000
	if c.workload != "put" {
		for i := range keyspace {
			if err := t.create(ctx, key("/k/", i, c.keySize), value); err != nil {
				return result{}, fmt.Errorf("prefill: %w", err)
			}
		}
	}
	var next atomic.Int64
	lats := make([][]time.Duration, c.clients)
	errs := make(chan error, c.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for cl := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= c.ops || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				var err error
				switch {
				case c.workload == "put":
					err = t.create(ctx, key("/p/", i, c.keySize), value)
				case c.workload == "get" || i%2 == 0:
					err = t.get(ctx, key("/k/", i%keyspace, c.keySize))
				default:
					err = t.put(ctx, key("/k/", i%keyspace, c.keySize), value)
				}
				if err != nil {
					errs <- err
					return
				}
				lats[cl] = append(lats[cl], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return result{}, err
	}
	r := result{elapsed: elapsed}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	r.ops = len(r.lat)
	if r.ops < c.ops {
		return r, fmt.Errorf("only %d of %d operations within %v", r.ops, c.ops, c.timeout)
	}
	return r, nil
}

func measureWatch(ctx context.Context, c config, t target) (result, error) {
	type delivery struct{ idx, at int64 }
	got := make([][]delivery, c.watchers)
	var delivered atomic.Int64
	want := int64(c.watchers * c.ops)
	all := make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	err := t.watch(wctx, "/w/", c.watchers, func(i int, v []byte) {
		got[i] = append(got[i], delivery{int64(binary.BigEndian.Uint64(v[8:])), time.Now().UnixNano()})
		if delivered.Add(1) == want {
			close(all)
		}
	})
	if err != nil {
		return result{}, err
	}
	value := make([]byte, c.valueSize)
	sent := make([]int64, c.ops)
	acked := make([]int64, c.ops)
	tick := time.NewTicker(time.Second / time.Duration(c.rate))
	defer tick.Stop()
	start := time.Now()
	for i := range c.ops {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return result{}, fmt.Errorf("time limit after %d writes", i)
		}
		sent[i] = time.Now().UnixNano()
		binary.BigEndian.PutUint64(value, uint64(sent[i]))
		binary.BigEndian.PutUint64(value[8:], uint64(i))
		if err := t.create(ctx, key("/w/", i, c.keySize), value); err != nil {
			return result{}, err
		}
		acked[i] = time.Now().UnixNano()
	}
	select {
	case <-all:
	case <-ctx.Done():
		// Callbacks may still be running: read nothing they write.
		return result{}, fmt.Errorf("%d of %d deliveries within %v", delivered.Load(), want, c.timeout)
	}
	// Every callback appended before counting, so all are done.
	r := result{elapsed: time.Since(start), ops: c.ops, expected: int(want), deliveries: int(want)}
	for _, ds := range got {
		for _, d := range ds {
			r.lat = append(r.lat, time.Duration(d.at-sent[d.idx]))
			// The event may beat the writer's own acknowledgment.
			r.ackLat = append(r.ackLat, time.Duration(max(0, d.at-acked[d.idx])))
		}
	}
	return r, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func report(out io.Writer, c config, rs []result) {
	if c.workload == "watch" {
		fmt.Fprintf(out, "workload=watch watchers=%d writes=%d rate=%d/s key=%dB value=%dB\n",
			c.watchers, c.ops, c.rate, c.keySize, c.valueSize)
	} else {
		fmt.Fprintf(out, "workload=%s clients=%d ops=%d key=%dB value=%dB\n",
			c.workload, c.clients, c.ops, c.keySize, c.valueSize)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	if c.workload == "watch" {
		fmt.Fprintln(tw, "backend\tdeliveries\tdeliveries/s\tp50\tp99\tmax\tp50 after ack\tp99 after ack\t")
	} else {
		fmt.Fprintln(tw, "backend\tops\tops/s\tp50\tp99\tmax\t")
	}
	type row struct{ tput, p50, p99 float64 }
	rows := make([]row, len(rs))
	for i, r := range rs {
		slices.Sort(r.lat)
		n := len(r.lat)
		tput := float64(n) / r.elapsed.Seconds()
		p50, p99 := pct(r.lat, 0.50), pct(r.lat, 0.99)
		rows[i] = row{tput, float64(p50), float64(p99)}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%v\t%v\t%v\t", r.name, n, tput,
			p50.Round(time.Microsecond), p99.Round(time.Microsecond), pct(r.lat, 1).Round(time.Microsecond))
		if c.workload == "watch" {
			slices.Sort(r.ackLat)
			fmt.Fprintf(tw, "%v\t%v\t", pct(r.ackLat, 0.5).Round(time.Microsecond), pct(r.ackLat, 0.99).Round(time.Microsecond))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if len(rs) == 2 && rows[1].tput > 0 && rows[1].p99 > 0 {
		fmt.Fprintf(out, "ratio %s / %s: throughput %.2fx, p50 %.2fx, p99 %.2fx\n",
			rs[0].name, rs[1].name, rows[0].tput/rows[1].tput, rows[0].p50/rows[1].p50, rows[0].p99/rows[1].p99)
	}
}

type boltTarget struct{ db *bolt.DB }

func (b *boltTarget) create(ctx context.Context, k string, v []byte) error {
	_, err := b.db.Create(ctx, k, v, 0)
	return err
}

func (b *boltTarget) put(ctx context.Context, k string, v []byte) error {
	_, err := b.db.Update(ctx, k, v, 0)
	return err
}

func (b *boltTarget) get(ctx context.Context, k string) error {
	_, err := b.db.Get(ctx, k, store.GetOptions{})
	return err
}

func (b *boltTarget) watch(ctx context.Context, prefix string, n int, fn func(int, []byte)) error {
	for i := range n {
		w, err := b.db.Watch(ctx, prefix, store.WatchOptions{})
		if err != nil {
			return err
		}
		go func() {
			for ev := range w.Events() {
				if ev.Type == store.EventPut {
					fn(i, ev.KV.Value)
				}
			}
		}()
	}
	return nil
}

func (b *boltTarget) close() { b.db.Close() }

type etcdTarget struct {
	cluster *etcdproc.Cluster
	clis    []*clientv3.Client
	next    atomic.Uint64
}

// cli spreads requests over the connections.
func (e *etcdTarget) cli() *clientv3.Client {
	return e.clis[e.next.Add(1)%uint64(len(e.clis))]
}

// create is a plain Put: etcd's ordinary write.
func (e *etcdTarget) create(ctx context.Context, k string, v []byte) error {
	return e.put(ctx, k, v)
}

func (e *etcdTarget) put(ctx context.Context, k string, v []byte) error {
	_, err := e.cli().Put(ctx, k, string(v))
	return err
}

func (e *etcdTarget) get(ctx context.Context, k string) error {
	_, err := e.cli().Get(ctx, k)
	return err
}

func (e *etcdTarget) watch(ctx context.Context, prefix string, n int, fn func(int, []byte)) error {
	ready := make(chan struct{}, n)
	for i := range n {
		// WithCreatedNotify: count the watcher as started once etcd says so.
		wc := e.cli().Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
		go func() {
			for resp := range wc {
				if resp.Created {
					ready <- struct{}{}
				}
				for _, ev := range resp.Events {
					if ev.Type == clientv3.EventTypePut {
						fn(i, ev.Kv.Value)
					}
				}
			}
		}()
	}
	for range n {
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (e *etcdTarget) close() {
	for _, c := range e.clis {
		c.Close()
	}
	e.cluster.Stop()
}
