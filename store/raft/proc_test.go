package raft

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/storetest"
)

// The multi-process test re-executes this test binary as replicas: with
// LONGSHORE_RAFT_CHILD=1 the binary runs one Node and a small HTTP API on
// loopback instead of the tests.
const (
	envChild = "LONGSHORE_RAFT_CHILD"
	envID    = "LONGSHORE_RAFT_CHILD_ID"
	envDir   = "LONGSHORE_RAFT_CHILD_DIR"
	envAddr  = "LONGSHORE_RAFT_CHILD_ADDR"
	envPeers = "LONGSHORE_RAFT_CHILD_PEERS" // id=addr,id=addr
	envFast  = "LONGSHORE_RAFT_CHILD_FAST"  // "1": short raft timeouts
)

// fastTimeouts shortens raft's failure detection so that a fresh cluster
// elects its first leader in a fraction of a second.
func fastTimeouts(cfg *Config) {
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	cfg.ElectionTimeout = 300 * time.Millisecond
	cfg.LeaderLeaseTimeout = 150 * time.Millisecond
}

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		if err := runChild(); err != nil {
			fmt.Fprintln(os.Stderr, "raft child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild serves one replica until SIGTERM (or SIGKILL).
func runChild() error {
	var peers []Peer
	for _, p := range strings.Split(os.Getenv(envPeers), ",") {
		id, addr, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("bad peer %q", p)
		}
		peers = append(peers, Peer{ID: id, Addr: addr})
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg := Config{
		NodeID:        os.Getenv(envID),
		DataDir:       os.Getenv(envDir),
		RaftAddr:      os.Getenv(envAddr),
		Bootstrap:     peers,
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		CommitTimeout: 10 * time.Millisecond,
	}
	if os.Getenv(envFast) == "1" {
		fastTimeouts(&cfg)
	}
	n, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: childAPI(n), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Printf("READY %s\n", ln.Addr())
	<-ctx.Done()
	return nil
}

type childReply struct {
	Leader bool   `json:"leader,omitempty"`
	Value  string `json:"value,omitempty"`
	Rev    int64  `json:"rev,omitempty"`
	Err    string `json:"err,omitempty"`
	// Kind is "notfound" or "unknown" for those failures.
	Kind string `json:"kind,omitempty"`
}

func childAPI(n *Node) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, r childReply, err error) {
		if err != nil {
			r.Err = err.Error()
			switch {
			case errors.Is(err, store.ErrNotFound):
				r.Kind = "notfound"
			case errors.Is(err, ErrNoLeader):
				r.Kind = "noleader"
			default:
				r.Kind = "unknown"
			}
		}
		_ = json.NewEncoder(w).Encode(r)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		reply(w, childReply{Leader: n.IsLeader() && n.ready()}, nil)
	})
	mux.HandleFunc("POST /put", func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		value, _ := io.ReadAll(r.Body)
		kv, err := n.Update(r.Context(), key, value, 0)
		if errors.Is(err, store.ErrNotFound) {
			kv, err = n.Create(r.Context(), key, value, 0)
		}
		if err != nil {
			reply(w, childReply{}, err)
			return
		}
		reply(w, childReply{Rev: kv.ModRevision}, nil)
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		rev, _ := strconv.ParseInt(r.URL.Query().Get("rev"), 10, 64)
		kv, err := n.Get(r.Context(), r.URL.Query().Get("key"), store.GetOptions{Revision: rev})
		if err != nil {
			reply(w, childReply{}, err)
			return
		}
		reply(w, childReply{Value: string(kv.Value), Rev: kv.ModRevision}, nil)
	})
	return mux
}

// child is a replica process seen from the test.
type child struct {
	cmd      *exec.Cmd
	api      string
	raftAddr string
	done     chan struct{}
}

func startChildren(t *testing.T, n int) []*child {
	t.Helper()
	return startChildrenWith(t, n, nil)
}

// startChildrenWith starts n replica processes bootstrapped as one cluster
// with the extra peers (members the caller runs itself) and returns once
// every process is serving.
func startChildrenWith(t testing.TB, n int, extra []Peer, env ...string) []*child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ids, addrs := make([]string, n), make([]string, n)
	var peers []string
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ids[i], addrs[i] = fmt.Sprintf("p%d", i), ln.Addr().String()
		ln.Close()
		peers = append(peers, ids[i]+"="+addrs[i])
	}
	for _, p := range extra {
		peers = append(peers, p.ID+"="+p.Addr)
	}
	children := make([]*child, n)
	for i := range n {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"=1", envID+"="+ids[i], envDir+"="+t.TempDir(),
			envAddr+"="+addrs[i], envPeers+"="+strings.Join(peers, ","))
		cmd.Env = append(cmd.Env, env...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &lockedWriter{w: &stderr}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &child{cmd: cmd, raftAddr: addrs[i], done: make(chan struct{})}
		children[i] = c
		ready := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
					ready <- a
				}
			}
		}()
		go func() { _ = cmd.Wait(); close(c.done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-c.done
			}
			if t.Failed() {
				t.Logf("replica %s stderr:\n%s", ids[i], stderr.String())
			}
		})
		select {
		case c.api = <-ready:
		case <-c.done:
			t.Fatalf("replica %s exited: %s", ids[i], stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("replica %s not ready", ids[i])
		}
	}
	return children
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func (c *child) call(method, path string, body string) (childReply, error) {
	req, err := http.NewRequest(method, "http://"+c.api+path, strings.NewReader(body))
	if err != nil {
		return childReply{}, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return childReply{}, err
	}
	defer resp.Body.Close()
	var r childReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return childReply{}, err
	}
	return r, nil
}

// TestConformanceProcesses runs the store conformance suite on a
// 3-member cluster of which two members are separate processes: the store
// under test is the third member, in this process, so most of its writes
// and linearizable reads cross a process boundary to the leader.
func TestConformanceProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 2 processes per case")
	}
	storetest.Run(t, func(t testing.TB) store.Store {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		self := Peer{ID: "local", Addr: ln.Addr().String()}
		children := startChildrenWith(t, 2, []Peer{self}, envFast+"=1")
		peers := make([]Peer, 0, 3)
		for i := range children {
			peers = append(peers, Peer{ID: fmt.Sprintf("p%d", i), Addr: children[i].raftAddr})
		}
		peers = append(peers, self)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cfg := Config{
			NodeID:        self.ID,
			DataDir:       t.TempDir(),
			RaftAddr:      self.Addr,
			Listener:      ln,
			Bootstrap:     peers,
			Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
			CommitTimeout: 10 * time.Millisecond,
		}
		fastTimeouts(&cfg)
		n, err := Open(ctx, cfg)
		if err != nil {
			ln.Close()
			t.Fatalf("open the in-process member: %v", err)
		}
		t.Cleanup(func() { n.Close() })
		if _, err := n.WaitLeader(ctx); err != nil {
			t.Fatalf("no leader in the 3-member cluster: %v", err)
		}
		return n
	})
}

func TestProcessesSurviveLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3 processes")
	}
	children := startChildren(t, 3)
	leader := func(alive []int) int {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for _, i := range alive {
				if r, err := children[i].call("GET", "/status", ""); err == nil && r.Leader {
					return i
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no leader among the processes")
		return -1
	}
	alive := []int{0, 1, 2}
	l := leader(alive)

	type ack struct {
		key, value string
		rev        int64
	}
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	aliveNow := func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), alive...)
	}
	writers := func(d time.Duration, tag string) {
		stopAt := time.Now().Add(d)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 2000 && time.Now().Before(stopAt); i++ {
					a := aliveNow()
					c := children[a[i%len(a)]]
					key, value := fmt.Sprintf("/proc/k%d", w), fmt.Sprintf("%s-%d-%d", tag, w, i)
					r, err := c.call("POST", "/put?key="+url.QueryEscape(key), value)
					if err == nil && r.Err == "" {
						mu.Lock()
						acked = append(acked, ack{key, value, r.Rev})
						mu.Unlock()
					}
				}
			}()
		}
	}
	writers(3*time.Second, "before")
	wg.Wait()
	before := len(acked)
	if before == 0 {
		t.Fatal("no write acknowledged before the kill")
	}

	// SIGKILL the leader mid-load; the other two keep serving.
	writers(6*time.Second, "after")
	time.Sleep(500 * time.Millisecond)
	if err := children[l].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	alive = nil
	for i := range children {
		if i != l {
			alive = append(alive, i)
		}
	}
	mu.Unlock()
	wg.Wait()
	newLeader := leader(aliveNow())
	t.Logf("killed %d, new leader %d; %d writes acknowledged before the kill, %d in all", l, newLeader, before, len(acked))
	if len(acked) <= before {
		t.Fatalf("no write acknowledged after the leader was killed")
	}

	// Nothing acknowledged is lost: each write reads back at its revision
	// on both survivors.
	for _, i := range aliveNow() {
		for _, a := range acked {
			r, err := children[i].call("GET", fmt.Sprintf("/get?key=%s&rev=%d", url.QueryEscape(a.key), a.rev), "")
			if err != nil || r.Err != "" || r.Value != a.value || r.Rev != a.rev {
				t.Fatalf("replica %d: %s at %d = %+v, %v; want %q", i, a.key, a.rev, r, err, a.value)
			}
		}
	}
}
