// Package etcdproc starts and stops real etcd servers (one member or a
// cluster of several) as child processes on free loopback ports, for tests
// and benchmark programs that need an external etcd.
//
// Start launches the members with their data and logs under a directory of
// the caller's choosing and returns once the cluster reports healthy.
// Kill and Restart act on one member, for fault tests; Stop ends them all.
// StartForTest wraps Start for tests: it is gated with internal/testenv and
// stops the cluster in t.Cleanup.
//
// Every member's log (etcd's own, structured) goes to <dir>/<name>.log, the
// first place to look when a test against etcd fails; StartForTest prints
// the tail of each when the test fails.
//
// # Cost
//
// Starting until healthy and stopping, on the project's 2-core reference
// machine with etcd 3.4.23 (go test -run XXX -bench . -benchtime=3x
// ./internal/etcdproc): one member 0.85 s, three members 2.7 s. Most of it
// is etcd's first leader election (default 100 ms heartbeat, 1 s election
// timeout, kept so that lease TTLs behave as on a real cluster).
package etcdproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/internal/testenv"
)

// ErrUnhealthy is returned when a member does not become healthy in time
// or exits while starting.
var ErrUnhealthy = errors.New("etcdproc: etcd did not become healthy")

// maxRequestBytes is the --max-request-bytes every member gets.
const maxRequestBytes = 2 << 20

// Options tune Start. The zero value starts one member of the etcd found on
// PATH.
type Options struct {
	// Members is the number of members; 0 means 1.
	Members int
	// Binary is the etcd executable; "" means "etcd" on PATH.
	Binary string
	// StartTimeout bounds the wait for the cluster to become healthy; 0
	// means 30 seconds.
	StartTimeout time.Duration
	// ProgressNotifyInterval sets etcd's
	// --experimental-watch-progress-notify-interval; 0 means 1 second, so
	// that watchers asking for progress hear from an idle server quickly
	// (etcd's own default is 10 minutes).
	ProgressNotifyInterval time.Duration
	// ExtraArgs are appended to every member's command line.
	ExtraArgs []string
	// Logger receives lifecycle messages; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running set of etcd members started by Start.
type Cluster struct {
	bin     string
	dir     string
	timeout time.Duration
	log     *slog.Logger
	args    []string // shared flags (initial cluster, progress interval, extra)

	mu      sync.Mutex
	members []*member
}

type member struct {
	name      string
	clientURL string
	peerURL   string
	dataDir   string
	logPath   string
	cmd       *exec.Cmd // nil when not running
	exited    chan struct{}
}

// Start launches a cluster of opts.Members etcd members on free 127.0.0.1
// ports with their data under dir, and waits until every member reports
// healthy or ctx is done. On failure it stops whatever it started.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	n := opts.Members
	if n == 0 {
		n = 1
	}
	if n < 0 {
		return nil, fmt.Errorf("etcdproc: invalid member count %d", opts.Members)
	}
	if dir == "" {
		return nil, errors.New("etcdproc: empty directory")
	}
	bin := opts.Binary
	if bin == "" {
		bin = "etcd"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("etcdproc: find etcd: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcdproc: %w", err)
	}
	c := &Cluster{bin: path, dir: dir, timeout: opts.StartTimeout, log: opts.Logger}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	var initial []string
	for i := range n {
		m := &member{
			name:      "m" + strconv.Itoa(i),
			clientURL: "http://127.0.0.1:" + strconv.Itoa(ports[2*i]),
			peerURL:   "http://127.0.0.1:" + strconv.Itoa(ports[2*i+1]),
		}
		m.dataDir = filepath.Join(dir, m.name)
		m.logPath = filepath.Join(dir, m.name+".log")
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peerURL)
	}
	interval := opts.ProgressNotifyInterval
	if interval <= 0 {
		interval = time.Second
	}
	c.args = append([]string{
		"--initial-cluster", strings.Join(initial, ","),
		"--initial-cluster-state", "new",
		"--initial-cluster-token", "etcdproc-" + strconv.Itoa(ports[0]),
		"--experimental-watch-progress-notify-interval", interval.String(),
		// Room for a value of store.MaxValueSize plus its key: etcd's
		// default limit (1.5 MiB) is on the whole request.
		"--max-request-bytes", strconv.Itoa(maxRequestBytes),
		"--logger", "zap",
		"--log-outputs", "stderr",
	}, opts.ExtraArgs...)

	c.mu.Lock()
	for _, m := range c.members {
		if err := c.spawn(m); err != nil {
			c.mu.Unlock()
			c.Stop()
			return nil, err
		}
	}
	c.mu.Unlock()
	for i := range c.members {
		if err := c.waitHealthy(ctx, i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	c.log.Info("etcd cluster started", "members", n, "endpoints", c.Endpoints(), "dir", dir)
	return c, nil
}

// spawn starts member m's process. c.mu must be held.
func (c *Cluster) spawn(m *member) error {
	lf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("etcdproc: open log: %w", err)
	}
	args := append([]string{
		"--name", m.name,
		"--data-dir", m.dataDir,
		"--listen-client-urls", m.clientURL,
		"--advertise-client-urls", m.clientURL,
		"--listen-peer-urls", m.peerURL,
		"--initial-advertise-peer-urls", m.peerURL,
	}, c.args...)
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.Dir = c.dir
	// Take etcd down with us if the test binary dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("etcdproc: start %s: %w", m.name, err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}, lf *os.File) {
		_ = cmd.Wait()
		lf.Close()
		close(done)
	}(cmd, m.exited, lf)
	return nil
}

// waitHealthy polls member i's /health endpoint until it answers healthy.
func (c *Cluster) waitHealthy(ctx context.Context, i int) error {
	c.mu.Lock()
	m := c.members[i]
	exited := m.exited
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if healthy(ctx, client, m.clientURL) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%w: member %s exited while starting (log: %s)", ErrUnhealthy, m.name, m.logPath)
		case <-ctx.Done():
			return fmt.Errorf("%w: member %s: %w (log: %s)", ErrUnhealthy, m.name, ctx.Err(), m.logPath)
		case <-tick.C:
		}
	}
}

func healthy(ctx context.Context, client *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`)
}

// Endpoints returns the client URLs of all members, running or not.
func (c *Cluster) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.clientURL
	}
	return eps
}

// Members returns the number of members.
func (c *Cluster) Members() int { return len(c.members) }

// LogPath returns the file member i logs to, or "" if there is no member i.
func (c *Cluster) LogPath(i int) string {
	if i < 0 || i >= len(c.members) {
		return ""
	}
	return c.members[i].logPath
}

// Kill ends member i abruptly (SIGKILL) and waits for it to exit. Killing a
// member that is not running is a no-op.
func (c *Cluster) Kill(i int) error {
	if i < 0 || i >= len(c.members) {
		return fmt.Errorf("etcdproc: no member %d", i)
	}
	c.mu.Lock()
	m := c.members[i]
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Kill()
	<-exited
	c.log.Info("etcd member killed", "member", m.name)
	return nil
}

// Restart starts member i again on its old ports and data (killing it first
// if it still runs) and waits until it is healthy. In a cluster the member
// is healthy once it has rejoined a quorum.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	if err := c.Kill(i); err != nil {
		return err
	}
	c.mu.Lock()
	err := c.spawn(c.members[i])
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.waitHealthy(ctx, i); err != nil {
		return err
	}
	c.log.Info("etcd member restarted", "member", c.members[i].name)
	return nil
}

// Stop ends every member: SIGTERM, then SIGKILL if a member has not exited
// after five seconds. Members stop one after the other, so that a leader
// can hand over to a live follower instead of waiting for peers that are
// gone. It is safe to call more than once.
func (c *Cluster) Stop() {
	for i := range c.members {
		c.mu.Lock()
		m := c.members[i]
		cmd, exited := m.cmd, m.exited
		m.cmd = nil
		c.mu.Unlock()
		if cmd == nil {
			continue
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			c.log.Warn("etcd member ignored SIGTERM; killing it", "member", m.name)
			_ = cmd.Process.Kill()
			<-exited
		}
	}
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1. The listeners
// are closed before returning, so another process could take a port in
// between; etcd then fails to start and Start reports it.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("etcdproc: reserve port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// StartForTest starts an n-member cluster in a temporary directory for t,
// and stops it in t.Cleanup. It skips t (or fails it under
// LONGSHORE_E2E=require) when etcd is not installed. The members' logs are
// printed when the test fails.
func StartForTest(t testing.TB, n int) *Cluster {
	t.Helper()
	bins := testenv.Need(t, "etcd")
	if len(bins) == 0 {
		return nil
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, dir, Options{Members: n, Binary: bins[0]})
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for i := range c.members {
				b, _ := os.ReadFile(c.LogPath(i))
				const tail = 4 << 10
				if len(b) > tail {
					b = b[len(b)-tail:]
				}
				t.Logf("etcd member %d log tail (%s):\n%s", i, c.LogPath(i), b)
			}
		}
	})
	return c
}
