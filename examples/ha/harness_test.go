package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/certs"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
	"github.com/longshore/longshore/scheduler"
)

// memberEnv makes the test binary run a member instead of the tests (see
// TestMain), so the end-to-end tests start real member processes without
// building the command first.
const memberEnv = "LONGSHORE_HA_MEMBER"

func TestMain(m *testing.M) {
	if os.Getenv(memberEnv) == "1" {
		if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "ha:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The Leases the members' components campaign for.
var leaseNames = []string{scheduler.DefaultLeaseName, controllermanager.DefaultLeaseName}

// proc is one member process of a test cluster.
type proc struct {
	id         string
	args       []string
	statusAddr string
	apiURL     string
	stderr     string
	client     *client.Client

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error // the last process's exit, once done is closed
}

// haCluster is three member processes on loopback ports, sharing a PKI.
type haCluster struct {
	t     testing.TB
	dir   string
	pki   string
	procs []*proc

	// beforeKill, if set, runs just before killAndCheck kills its victim.
	beforeKill func()
	// ackedSoFar gathers the acknowledged creates of every load so far.
	ackedSoFar map[string]int64
	// phase numbers killAndCheck's runs, to keep load object names apart.
	phase int
}

// freePorts returns n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// adminClient returns an admin client of the API server at host, with a
// certificate from the shared CA, short timeouts and few retries so that a
// dead member shows as errors rather than stalls.
func adminClient(t testing.TB, pki, host string) *client.Client {
	t.Helper()
	ca, err := certs.LoadCA(pki)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueClient("longshore-admin", "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(&client.Config{Host: host, CAData: ca.CertPEM, CertData: pair.CertPEM, KeyData: pair.KeyPEM,
		QPS: -1, Timeout: 5 * time.Second, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startHA starts three members. With etcd endpoints they share that etcd
// cluster; otherwise they form a raft cluster. Leader election is tuned
// short (4 s lease) to keep the test quick.
func startHA(t testing.TB, etcdEndpoints []string) *haCluster {
	t.Helper()
	dir := t.TempDir()
	h := &haCluster{t: t, dir: dir, pki: filepath.Join(dir, "pki")}
	if err := initSharedPKI(h.pki, nil); err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 9)
	var peers []string
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("m%d=127.0.0.1:%d", i+1, ports[i]))
	}
	for i := range 3 {
		id := fmt.Sprintf("m%d", i+1)
		p := &proc{id: id, statusAddr: fmt.Sprintf("127.0.0.1:%d", ports[6+i]),
			apiURL: fmt.Sprintf("https://127.0.0.1:%d", ports[3+i]), stderr: filepath.Join(dir, id+".log")}
		p.args = []string{"-id", id, "-listen", strings.TrimPrefix(p.apiURL, "https://"),
			"-data", filepath.Join(dir, id), "-pki", h.pki, "-status", p.statusAddr,
			"-leader-elect-lease-duration", "4s", "-leader-elect-renew-deadline", "3s", "-leader-elect-retry-period", "500ms",
			"-start-timeout", "90s"}
		if len(etcdEndpoints) > 0 {
			p.args = append(p.args, "-etcd", strings.Join(etcdEndpoints, ","), "-etcd-prefix", "/ha-test")
		} else {
			p.args = append(p.args, "-raft-addr", fmt.Sprintf("127.0.0.1:%d", ports[i]), "-peers", strings.Join(peers, ","))
		}
		p.client = adminClient(t, h.pki, p.apiURL)
		h.procs = append(h.procs, p)
	}
	t.Cleanup(func() {
		for _, p := range h.procs {
			p.kill()
		}
		if t.Failed() {
			for _, p := range h.procs {
				t.Logf("--- last lines of %s's log ---\n%s", p.id, tail(p.stderr, 40))
			}
		}
	})
	for _, p := range h.procs {
		h.start(p)
	}
	return h
}

// start starts p's process (again, after a kill: same flags and data).
func (h *haCluster) start(p *proc) {
	h.t.Helper()
	logf, err := os.OpenFile(p.stderr, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], p.args...)
	cmd.Env = append(os.Environ(), memberEnv+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		h.t.Fatalf("start %s: %v", p.id, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

// kill ends p's process with SIGKILL and waits for it; a no-op when it is
// not running.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// terminate sends SIGTERM to p and waits up to timeout for it to exit; it
// returns an error if p exits with a failure or does not exit in time (it
// is then killed).
func (p *proc) terminate(timeout time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return errors.New("not running")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("did not exit within %v of SIGTERM", timeout)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cmd = nil
	return p.waitErr
}

// status asks p's status endpoint.
func (p *proc) status(ctx context.Context) (Status, error) {
	var st Status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.statusAddr+"/status", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func (h *haCluster) member(id string) *proc {
	for _, p := range h.procs {
		if p.id == id {
			return p
		}
	}
	return nil
}

// waitReady waits until p answers its status endpoint and its API server
// serves a read.
func (h *haCluster) waitReady(ctx context.Context, p *proc) {
	h.t.Helper()
	err := poll(ctx, 200*time.Millisecond, func() error {
		if _, err := p.status(ctx); err != nil {
			return err
		}
		_, err := client.MustFor[*core.Namespace](p.client).Get(ctx, "default")
		return err
	})
	if err != nil {
		h.t.Fatalf("member %s not ready: %v", p.id, err)
	}
}

// holders reads the Leases' holders through c.
func holders(ctx context.Context, c *client.Client) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range leaseNames {
		l, err := client.MustFor[*coordination.Lease](c).Namespace("kube-system").Get(ctx, name)
		if err != nil {
			return nil, err
		}
		out[name] = holder(l)
	}
	return out, nil
}

func holder(l *coordination.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// poll calls f every interval until it returns nil or ctx ends (then the
// last error is returned).
func poll(ctx context.Context, interval time.Duration, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// leaseWatch records the holderIdentity of the components' Leases as a
// watch through one member's API server delivers them.
type leaseWatch struct {
	mu      sync.Mutex
	holder  map[string]string
	history []string // "lease: old -> new"
	changed chan struct{}
	err     error
}

// watchLeases lists the Leases through c, then watches them from that
// list's resourceVersion until ctx ends.
func watchLeases(ctx context.Context, t testing.TB, c *client.Client) *leaseWatch {
	t.Helper()
	api := client.MustFor[*coordination.Lease](c).Namespace("kube-system")
	list, err := api.List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatalf("list leases: %v", err)
	}
	w := &leaseWatch{holder: map[string]string{}, changed: make(chan struct{})}
	for _, l := range list.Items {
		w.holder[l.Name] = holder(l)
	}
	go func() {
		err := api.WatchResume(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion}, func(ev client.Event[*coordination.Lease]) error {
			if ev.Type != meta.Added && ev.Type != meta.Modified {
				return nil
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			name, now := ev.Object.Name, holder(ev.Object)
			if old := w.holder[name]; old != now {
				w.history = append(w.history, fmt.Sprintf("%s: %q -> %q", name, old, now))
				w.holder[name] = now
				close(w.changed)
				w.changed = make(chan struct{})
			}
			return nil
		})
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}()
	return w
}

// current returns the holder of lease as watched so far.
func (w *leaseWatch) current(lease string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holder[lease]
}

// waitFor waits until lease is held by a member ok accepts, and returns it.
func (w *leaseWatch) waitFor(ctx context.Context, lease string, ok func(string) bool) (string, error) {
	for {
		w.mu.Lock()
		h, ch, werr := w.holder[lease], w.changed, w.err
		w.mu.Unlock()
		if ok(h) {
			return h, nil
		}
		if werr != nil {
			return "", fmt.Errorf("lease watch ended: %w", werr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return h, fmt.Errorf("lease %s still held by %q: %w", lease, h, ctx.Err())
		}
	}
}

func (w *leaseWatch) changes() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.history...)
}

// load writes ConfigMaps through every member's API server, recording
// each create that was acknowledged with its resourceVersion.
type load struct {
	mu    sync.Mutex
	acked map[string]int64 // name -> resourceVersion of the acknowledged create
	fails int
	wg    sync.WaitGroup
}

// startLoad starts workers (perMember per member) that create ConfigMaps
// until ctx ends or each made maxOps attempts.
func startLoad(ctx context.Context, tag string, procs []*proc, perMember, maxOps int) *load {
	l := &load{acked: map[string]int64{}}
	for i, p := range procs {
		for j := range perMember {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				api := client.MustFor[*core.ConfigMap](p.client).Namespace("default")
				for n := 0; n < maxOps && ctx.Err() == nil; n++ {
					name := fmt.Sprintf("load-%s-%d-%d-%d", tag, i, j, n)
					cm := &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: name}, Data: map[string]string{"n": strconv.Itoa(n)}}
					got, err := api.Create(ctx, cm, client.WriteOptions{})
					var rv int64
					if err == nil {
						rv, err = strconv.ParseInt(got.ResourceVersion, 10, 64)
					}
					l.mu.Lock()
					if err == nil {
						l.acked[name] = rv
					} else {
						l.fails++
					}
					l.mu.Unlock()
					if err != nil {
						select { // a dead member fails fast: don't spin
						case <-ctx.Done():
						case <-time.After(100 * time.Millisecond):
						}
					}
				}
			}()
		}
	}
	return l
}

// snapshot returns a copy of the acknowledged creates and the failure count.
func (l *load) snapshot() (map[string]int64, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(l.acked))
	for k, v := range l.acked {
		out[k] = v
	}
	return out, l.fails
}

// checkAcked lists the ConfigMaps through p and reports every acknowledged
// create that is missing or older than its acknowledged resourceVersion.
func checkAcked(ctx context.Context, p *proc, acked map[string]int64) error {
	list, err := client.MustFor[*core.ConfigMap](p.client).Namespace("default").ListAll(ctx, client.ListOptions{})
	if err != nil {
		return fmt.Errorf("list through %s: %w", p.id, err)
	}
	have := map[string]int64{}
	for _, cm := range list.Items {
		rv, err := strconv.ParseInt(cm.ResourceVersion, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: resourceVersion %q: %w", cm.Name, cm.ResourceVersion, err)
		}
		have[cm.Name] = rv
	}
	var lost []string
	for name, rv := range acked {
		if got, ok := have[name]; !ok || got < rv {
			lost = append(lost, fmt.Sprintf("%s (acked at %d, read %d, present %v)", name, rv, got, ok))
		}
	}
	if len(lost) > 0 {
		return fmt.Errorf("through %s, %d of %d acknowledged writes lost: %v", p.id, len(lost), len(acked), lost[:min(len(lost), 10)])
	}
	return nil
}

// writeWithin creates probe ConfigMaps through p until one is acknowledged,
// and returns how long that took.
func writeWithin(ctx context.Context, p *proc, prefix string) (time.Duration, error) {
	start := time.Now()
	api := client.MustFor[*core.ConfigMap](p.client).Namespace("default")
	n := 0
	err := poll(ctx, 100*time.Millisecond, func() error {
		n++
		_, err := api.Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: fmt.Sprintf("%s-%s-%d", prefix, p.id, n)}}, client.WriteOptions{})
		return err
	})
	return time.Since(start), err
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		lines = append(lines, "(read: "+err.Error()+")")
	}
	return strings.Join(lines, "\n")
}
