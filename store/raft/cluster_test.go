package raft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// faultNet is the test network: every node dials through it, so a test can
// cut links between nodes (and drop the connections already open on them).
type faultNet struct {
	mu      sync.Mutex
	blocked map[[2]string]bool
	conns   map[*trackedConn]struct{}
}

func newFaultNet() *faultNet {
	return &faultNet{blocked: map[[2]string]bool{}, conns: map[*trackedConn]struct{}{}}
}

type trackedConn struct {
	net.Conn
	from, to string
	fn       *faultNet
}

func (c *trackedConn) Close() error {
	c.fn.mu.Lock()
	delete(c.fn.conns, c)
	c.fn.mu.Unlock()
	return c.Conn.Close()
}

var errPartitioned = errors.New("test network: partitioned")

// dialer returns the Dialer of the node at address from.
func (f *faultNet) dialer(from string) Dialer {
	d := &net.Dialer{}
	return func(ctx context.Context, to string) (net.Conn, error) {
		f.mu.Lock()
		cut := f.blocked[[2]string{from, to}]
		f.mu.Unlock()
		if cut {
			return nil, errPartitioned
		}
		c, err := d.DialContext(ctx, "tcp", to)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, from: from, to: to, fn: f}
		f.mu.Lock()
		f.conns[tc] = struct{}{}
		f.mu.Unlock()
		return tc, nil
	}
}

// isolate cuts every link between addr and the others, both ways.
func (f *faultNet) isolate(addr string, others []string) {
	f.mu.Lock()
	var drop []*trackedConn
	for _, o := range others {
		if o == addr {
			continue
		}
		f.blocked[[2]string{addr, o}] = true
		f.blocked[[2]string{o, addr}] = true
	}
	for c := range f.conns {
		if f.blocked[[2]string{c.from, c.to}] {
			drop = append(drop, c)
		}
	}
	f.mu.Unlock()
	for _, c := range drop {
		c.Close()
	}
}

// heal restores every link.
func (f *faultNet) heal() {
	f.mu.Lock()
	f.blocked = map[[2]string]bool{}
	f.mu.Unlock()
}

// cluster is a set of in-process replicas on loopback ports.
type cluster struct {
	t     testing.TB
	net   *faultNet
	ids   []string
	addrs []string
	dirs  []string
	mu    sync.Mutex
	nodes []*Node // nil while a node is down
	tune  func(*Config)
}

// newCluster starts n bootstrapped replicas and waits for a leader.
func newCluster(t testing.TB, n int, tune func(*Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, net: newFaultNet(), tune: tune, nodes: make([]*Node, n)}
	lns := make([]net.Listener, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
		c.ids = append(c.ids, fmt.Sprintf("n%d", i))
		c.addrs = append(c.addrs, ln.Addr().String())
		c.dirs = append(c.dirs, t.TempDir())
	}
	t.Cleanup(c.closeAll)
	for i := range n {
		c.start(i, lns[i], true)
	}
	if c.waitLeader(20*time.Second) < 0 {
		t.FailNow()
	}
	return c
}

func (c *cluster) config(i int, ln net.Listener, bootstrap bool) Config {
	cfg := Config{
		NodeID:             c.ids[i],
		DataDir:            c.dirs[i],
		RaftAddr:           c.addrs[i],
		Listener:           ln,
		Dialer:             c.net.dialer(c.addrs[i]),
		Logger:             testLogger(c.t),
		CommitTimeout:      10 * time.Millisecond,
		LeaseCheckInterval: 50 * time.Millisecond,
	}
	if bootstrap {
		for j := range c.ids {
			cfg.Bootstrap = append(cfg.Bootstrap, Peer{ID: c.ids[j], Addr: c.addrs[j]})
		}
	}
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

// start opens node i, on ln or on its address again.
func (c *cluster) start(i int, ln net.Listener, bootstrap bool) *Node {
	c.t.Helper()
	var err error
	if ln == nil {
		// The port was ours a moment ago; retry while the OS lets it go.
		for range 100 {
			ln, err = net.Listen("tcp", c.addrs[i])
			if err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			c.t.Fatalf("relisten %s: %v", c.addrs[i], err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := Open(ctx, c.config(i, ln, bootstrap))
	if err != nil {
		c.t.Fatalf("open %s: %v", c.ids[i], err)
	}
	c.mu.Lock()
	c.nodes[i] = n
	c.mu.Unlock()
	return n
}

// stop closes node i.
func (c *cluster) stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if n == nil {
		return
	}
	if err := n.Close(); err != nil {
		c.t.Logf("close %s: %v", c.ids[i], err)
	}
}

// wipe empties node i's data directory (the node must be down).
func (c *cluster) wipe(i int) {
	c.t.Helper()
	entries, err := os.ReadDir(c.dirs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(c.dirs[i], e.Name())); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *cluster) closeAll() {
	for i := range c.nodes {
		c.stop(i)
	}
}

func (c *cluster) node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// up returns the running nodes.
func (c *cluster) up() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Node
	for _, n := range c.nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// leader returns the index of the ready leader, or -1.
func (c *cluster) leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if n != nil && n.IsLeader() && n.ready() {
			return i
		}
	}
	return -1
}

// follower returns the index of a running non-leader, or -1.
func (c *cluster) follower() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if n != nil && !n.IsLeader() {
			return i
		}
	}
	return -1
}

// waitLeader waits for a ready leader that every running node knows and
// returns its index; on timeout it marks the test failed and returns -1
// (it may run outside the test goroutine).
func (c *cluster) waitLeader(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := c.leader(); l >= 0 {
			agreed := true
			for _, n := range c.up() {
				if id, _ := n.Leader(); id != c.ids[l] {
					agreed = false
				}
			}
			if agreed {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Errorf("no leader within %v", timeout)
	return -1
}

// testLogger logs at warn level and above through t.Log when
// LONGSHORE_RAFT_DEBUG is set; otherwise it discards.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("LONGSHORE_RAFT_DEBUG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
