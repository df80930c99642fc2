// Command raftbench runs one workload side by side against a 3-replica
// store/raft cluster (in this process, on loopback, raft log fsynced) and a
// 3-member etcd cluster (Debian's etcd 3.4, started for the run on
// loopback, through go.etcd.io/etcd/client/v3), and prints throughput and
// latency percentiles for each.
//
// Usage:
//
//	raftbench -workload put -clients 64 -ops 20000
//	raftbench -workload mixed -clients 64 -ops 20000 -backends raft
//
// Workloads: put (creates of distinct keys) and mixed (half linearizable
// reads, half unconditional updates of 1,000 keys written first, by the
// clients concurrently, outside the measured time). The
// clients are spread evenly over the three raft replicas (two of three
// requests go through a follower, as with one API server per replica); the
// etcd client balances over all three members. Reads are linearizable on
// both. Every run is bounded by -ops and by -timeout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
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
	"github.com/longshore/longshore/store/raft"
)

type config struct {
	clients   int
	ops       int
	valueSize int
	workload  string
	backends  string
	timeout   time.Duration
	dir       string
	// leaderOnly sends every raft request to the leader (no forwarding).
	leaderOnly bool
	// raftLog is the raft log format (raft.LogStoreWAL or LogStoreBolt).
	raftLog string
}

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "raftbench:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	var c config
	flag.IntVar(&c.clients, "clients", 64, "concurrent clients")
	flag.IntVar(&c.ops, "ops", 20000, "operations per backend")
	flag.IntVar(&c.valueSize, "value", 64, "value size in bytes")
	flag.StringVar(&c.workload, "workload", "put", "put or mixed")
	flag.StringVar(&c.backends, "backends", "raft,etcd", "comma-separated: raft, etcd")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "bound on each backend's run")
	flag.BoolVar(&c.leaderOnly, "leader-only", false, "send every raft request to the leader instead of spreading clients over the replicas")
	flag.StringVar(&c.raftLog, "raft-log", string(raft.LogStoreWAL), "raft log format: wal (raft-wal) or bolt (raft-boltdb)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "raftbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.dir = dir
	return run(c, os.Stdout)
}

func (c config) validate() error {
	switch {
	case c.clients < 1 || c.clients > 10000:
		return fmt.Errorf("-clients %d: want 1..10000", c.clients)
	case c.ops < 1:
		return fmt.Errorf("-ops %d: want at least 1", c.ops)
	case c.valueSize < 1 || c.valueSize > store.MaxValueSize:
		return fmt.Errorf("-value %d: want 1..%d", c.valueSize, store.MaxValueSize)
	case c.workload != "put" && c.workload != "mixed":
		return fmt.Errorf("-workload %q: want put or mixed", c.workload)
	}
	for _, b := range strings.Split(c.backends, ",") {
		if b != "raft" && b != "etcd" {
			return fmt.Errorf("-backends: unknown backend %q", b)
		}
	}
	return nil
}

// target is one system under test; client is the index of the calling
// client, so a target can pin clients to replicas.
type target interface {
	// create writes a new key; put overwrites an existing one.
	create(ctx context.Context, client int, key string, value []byte) error
	put(ctx context.Context, client int, key string, value []byte) error
	get(ctx context.Context, client int, key string) error
	close()
}

type result struct {
	name    string
	ops     int
	errs    int
	elapsed time.Duration
	lat     []time.Duration
}

func run(c config, out io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	var results []result
	for _, name := range strings.Split(c.backends, ",") {
		t, err := open(name, filepath.Join(c.dir, name), c.leaderOnly, raft.LogStoreKind(c.raftLog))
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		r, err := measure(c, t)
		t.close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.name = name
		results = append(results, r)
	}
	report(out, c, results)
	return nil
}

func measure(c config, t target) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	value := make([]byte, c.valueSize)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	const keyspace = 1000
	if c.workload == "mixed" {
		if err := preload(ctx, c.clients, keyspace, t, value); err != nil {
			return result{}, err
		}
	}
	var (
		next atomic.Int64
		errs atomic.Int64
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, c.ops)
		wg   sync.WaitGroup
	)
	start := time.Now()
	for client := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, c.ops/c.clients+1)
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= c.ops {
					break
				}
				t0 := time.Now()
				var err error
				switch {
				case c.workload == "put":
					err = t.create(ctx, client, fmt.Sprintf("/bench/p/%08d", i), value)
				case i%2 == 0:
					err = t.get(ctx, client, fmt.Sprintf("/bench/m/%04d", i%keyspace))
				default:
					err = t.put(ctx, client, fmt.Sprintf("/bench/m/%04d", i%keyspace), value)
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("run did not finish within -timeout %v", c.timeout)
	}
	slices.Sort(lat)
	return result{ops: len(lat), errs: int(errs.Load()), elapsed: elapsed, lat: lat}, nil
}

// preload creates the keys of the mixed workload with the run's clients
// working concurrently (one at a time costs a log fsync per key), before
// the measured part starts.
func preload(ctx context.Context, clients, keys int, t target, value []byte) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for client := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= keys {
					return
				}
				if err := t.create(ctx, client, fmt.Sprintf("/bench/m/%04d", i), value); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("preload: %w", errs[0])
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	return nil
}

func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

func report(out io.Writer, c config, rs []result) {
	fmt.Fprintf(out, "workload %s, %d clients, %d-byte values\n", c.workload, c.clients, c.valueSize)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tops\terrors\tseconds\tops/s\tp50\tp99\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.0f\t%v\t%v\t\n", r.name, r.ops, r.errs, r.elapsed.Seconds(),
			float64(r.ops)/r.elapsed.Seconds(), percentile(r.lat, 0.50).Round(10*time.Microsecond), percentile(r.lat, 0.99).Round(10*time.Microsecond))
	}
	tw.Flush()
}

func open(name, dir string, leaderOnly bool, raftLog raft.LogStoreKind) (target, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch name {
	case "raft":
		t, err := openRaft(ctx, dir, 3, raftLog)
		if err != nil {
			return nil, err
		}
		t.leaderOnly = leaderOnly
		return t, nil
	case "etcd":
		cl, err := etcdproc.Start(ctx, dir, etcdproc.Options{Members: 3, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return nil, err
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: cl.Endpoints(), DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			cl.Stop()
			return nil, err
		}
		return &etcdTarget{cluster: cl, cli: cli}, nil
	}
	return nil, fmt.Errorf("unknown backend %q", name)
}

type raftTarget struct {
	nodes      []*raft.Node
	leaderOnly bool
}

func openRaft(ctx context.Context, dir string, n int, raftLog raft.LogStoreKind) (*raftTarget, error) {
	lns := make([]net.Listener, n)
	var peers []raft.Peer
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns[:i] {
				l.Close()
			}
			return nil, err
		}
		lns[i] = ln
		peers = append(peers, raft.Peer{ID: fmt.Sprintf("r%d", i), Addr: ln.Addr().String()})
	}
	t := &raftTarget{}
	for i := range n {
		node, err := raft.Open(ctx, raft.Config{
			NodeID:    peers[i].ID,
			DataDir:   filepath.Join(dir, peers[i].ID),
			RaftAddr:  peers[i].Addr,
			Listener:  lns[i],
			Bootstrap: peers,
			LogStore:  raftLog,
		})
		if err != nil {
			for _, l := range lns[i+1:] {
				l.Close()
			}
			t.close()
			return nil, err
		}
		t.nodes = append(t.nodes, node)
	}
	for _, node := range t.nodes {
		if _, err := node.WaitLeader(ctx); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

func (r *raftTarget) node(client int) *raft.Node {
	if r.leaderOnly {
		for _, n := range r.nodes {
			if n.IsLeader() {
				return n
			}
		}
	}
	return r.nodes[client%len(r.nodes)]
}

func (r *raftTarget) create(ctx context.Context, client int, key string, value []byte) error {
	_, err := r.node(client).Create(ctx, key, value, 0)
	return err
}

func (r *raftTarget) put(ctx context.Context, client int, key string, value []byte) error {
	_, err := r.node(client).Update(ctx, key, value, 0)
	return err
}

func (r *raftTarget) get(ctx context.Context, client int, key string) error {
	_, err := r.node(client).Get(ctx, key, store.GetOptions{})
	return err
}

func (r *raftTarget) close() {
	for _, n := range r.nodes {
		n.Close()
	}
}

type etcdTarget struct {
	cluster *etcdproc.Cluster
	cli     *clientv3.Client
}

// create is a plain Put: etcd's ordinary write.
func (e *etcdTarget) create(ctx context.Context, client int, key string, value []byte) error {
	return e.put(ctx, client, key, value)
}

func (e *etcdTarget) put(ctx context.Context, _ int, key string, value []byte) error {
	_, err := e.cli.Put(ctx, key, string(value))
	return err
}

func (e *etcdTarget) get(ctx context.Context, _ int, key string) error {
	_, err := e.cli.Get(ctx, key)
	return err
}

func (e *etcdTarget) close() {
	e.cli.Close()
	e.cluster.Stop()
}
