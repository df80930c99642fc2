// Command apibench measures the API server end to end: it starts an
// apiserver in process on store/bolt (fsync on) in a temporary directory,
// serves it on a loopback port over HTTPS (HTTP/2, client certificates, RBAC,
// as a real cluster does; -http for plain HTTP/1.1 without authentication),
// and drives it through apiserver/client with concurrent clients, each on
// its own connection.
//
// Usage:
//
//	apibench                                  # every workload, default sizes
//	apibench -workloads create,list -pods 10000
//	apibench -workloads watch -watchers 1000 -watch-rate 10 -watch-writes 200
//
// Workloads (run in this order; the ones that need pods create -pods of
// them first):
//
//   - create: -clients clients create -pods pods (about 2 KB of JSON each).
//   - update: -clients clients update -updates pods, once with GET, modify,
//     PUT (the PUT's latency is reported) and once with a JSON merge patch.
//   - paced: -rate merge patches per second for -duration, spread over
//     -clients clients on a fixed schedule; latency counts from the
//     scheduled start, so a stall shows up in the figures instead of
//     silently slowing the load (no coordinated omission); a second row
//     gives each call's own latency, the one Kubernetes' SLO is about.
//   - list: -lists unpaginated, consistent lists (resourceVersion unset) of
//     all pods, served from the watch cache, timed until the last byte of
//     the body is read through a fixed buffer (the goal's row); the same
//     lists read into memory by apiserver/client (30 MB allocated per list
//     in the server's process, which a running collection makes the client
//     pay for); one typed list with client-side decoding, for
//     comparison; then paginated lists with -page-size, served from the
//     store, per page and per walk.
//   - memory: heap in use after GC with -pods pods stored and cached, per
//     pod, measured against the heap before the pods were created.
//   - watch: -watchers watchers of one namespace over -watch-conns
//     connections; a writer patches -watch-writes times at -watch-rate per
//     second an annotation holding the send time; delivery latency is
//     receive time minus send time (so it includes the write's commit and
//     fsync), over every event of every watcher.
//
// With -server-process the API server runs in a child process (this
// program again, told so by its environment) and the clients in the first
// one, so that their TLS, JSON and garbage do not share the server's heap,
// collector and scheduler; the report then gives the server process's
// figures (commits, heap) and -cpuprofile, -memprofile and -trace profile
// it. On two cores the two runtimes contend for the CPUs, and the
// in-process figures came out better (see apiserver/storage).
//
// Every workload is bounded by its counts and by -timeout. The report ends
// with Kubernetes' published SLOs for comparison. The figures measured on
// the project's machine, with their load average, are in the package
// documentation of apiserver/storage, under Performance.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

type config struct {
	workloads   string
	clients     int
	pods        int
	updates     int
	rate        int
	duration    time.Duration
	lists       int
	pageSize    int
	watchers    int
	watchConns  int
	watchRate   int
	watchWrites int
	watchPods   int
	watchSmall  bool
	watchRaw    bool
	plainHTTP   bool
	dir         string
	timeout     time.Duration
	cpuprofile  string
	memprofile  string
	trace       string
	// serverProcess runs the server in a child process (startChild).
	serverProcess bool
}

var allWorkloads = []string{"create", "update", "paced", "list", "memory", "watch"}

func main() {
	var c config
	flag.StringVar(&c.workloads, "workloads", strings.Join(allWorkloads, ","), "comma-separated: "+strings.Join(allWorkloads, ", "))
	flag.IntVar(&c.clients, "clients", 32, "concurrent clients (create, update, paced), one connection each")
	flag.IntVar(&c.pods, "pods", 10000, "pods to create (create, and the population for update, list, memory)")
	flag.IntVar(&c.updates, "updates", 5000, "updates per update variant")
	flag.IntVar(&c.rate, "rate", 1000, "writes per second (paced)")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "length of the paced run")
	flag.IntVar(&c.lists, "lists", 20, "unpaginated lists (list)")
	flag.IntVar(&c.pageSize, "page-size", 500, "limit of paginated lists (list)")
	flag.IntVar(&c.watchers, "watchers", 1000, "concurrent watchers (watch)")
	flag.IntVar(&c.watchConns, "watch-conns", 8, "connections the watchers share (watch)")
	flag.IntVar(&c.watchRate, "watch-rate", 10, "writes per second during the watch run")
	flag.IntVar(&c.watchWrites, "watch-writes", 200, "writes during the watch run")
	flag.IntVar(&c.watchPods, "watch-pods", 50, "pods in the watched namespace")
	flag.BoolVar(&c.watchRaw, "watch-raw", false, "watchers read the raw event stream and find the send time by scanning each line, without decoding the object (the server's fan-out, not 1,000 decoders sharing the machine)")
	flag.BoolVar(&c.watchSmall, "watch-small", false, "watch minimal pods (one container, about 600 B) instead of the realistic ones, so that client-side decoding weighs less")
	flag.BoolVar(&c.plainHTTP, "http", false, "serve plain HTTP/1.1 without authentication instead of HTTPS")
	flag.StringVar(&c.dir, "dir", "", "directory for the store and PKI (default: a new temporary one)")
	flag.DurationVar(&c.timeout, "timeout", 3*time.Minute, "time limit per workload")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.StringVar(&c.memprofile, "memprofile", "", "write a heap profile to this file at the memory workload")
	flag.StringVar(&c.trace, "trace", "", "write an execution trace of the workloads (after the server starts) to this file")
	flag.BoolVar(&c.serverProcess, "server-process", false, "run the API server in a process of its own, as a real server is, instead of in the clients' process (their TLS, JSON and garbage then do not share its heap and collector); -cpuprofile, -memprofile and -trace then profile the server process")
	if spec := os.Getenv(childEnv); spec != "" {
		if err := runChild(spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "apibench server process:", err)
			os.Exit(1)
		}
		return
	}
	flag.Parse()
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func (c *config) check() ([]string, error) {
	var ws []string
	for _, w := range strings.Split(c.workloads, ",") {
		w = strings.TrimSpace(w)
		if !slices.Contains(allWorkloads, w) {
			return nil, fmt.Errorf("unknown workload %q (want %s)", w, strings.Join(allWorkloads, ", "))
		}
		ws = append(ws, w)
	}
	switch {
	case c.clients < 1 || c.clients > 1000:
		return nil, fmt.Errorf("-clients %d: want 1..1000", c.clients)
	case c.pods < 1 || c.pods > 1_000_000:
		return nil, fmt.Errorf("-pods %d: want 1..1000000", c.pods)
	case c.updates < 1, c.lists < 1, c.pageSize < 1, c.rate < 1, c.duration <= 0, c.timeout <= 0:
		return nil, errors.New("-updates, -lists, -page-size, -rate, -duration and -timeout must be positive")
	case c.watchers < 1 || c.watchConns < 1 || c.watchRate < 1 || c.watchWrites < 1 || c.watchPods < 1:
		return nil, errors.New("-watchers, -watch-conns, -watch-rate, -watch-writes and -watch-pods must be positive")
	}
	// Run in the documented order whatever the order of the flag.
	slices.SortFunc(ws, func(a, b string) int { return slices.Index(allWorkloads, a) - slices.Index(allWorkloads, b) })
	return slices.Compact(ws), nil
}

// row is one line of the report.
type row struct {
	name    string
	ops     int
	errs    int
	elapsed time.Duration
	lat     []time.Duration
	goal    time.Duration // the project's p99 goal, 0 if none
	slo     time.Duration // Kubernetes' p99 SLO for the call, 0 if none
	note    string
}

// bench is a running server and what the workloads share.
type bench struct {
	cfg     config
	out     io.Writer
	server  serverSide
	host    string
	cc      *client.Config
	clients []*client.Client
	pods    []*client.Resource[*core.Pod] // one per client, namespace "bench"
	created int                           // pods pod-00000 .. created-1 exist
	heap0   uint64                        // heap in use before any pod
	alloc0  uint64                        // live heap before any pod
}

const benchNS = "bench"

func run(ctx context.Context, c config, out io.Writer) (err error) {
	workloads, err := c.check()
	if err != nil {
		return err
	}
	if c.cpuprofile != "" && !c.serverProcess {
		stop, err := profile(c.cpuprofile, pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	dir := c.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "apibench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b, stop, err := start(ctx, c, dir, out)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "apibench: %s\n", strings.Join(os.Args, " "))
	fmt.Fprintf(out, "server: %s, store/bolt with fsync, %s; load average %s\n", b.transport(), b.server.describe(), loadavg())
	if c.trace != "" && !c.serverProcess {
		stop, err := profile(c.trace, trace.Start, trace.Stop)
		if err != nil {
			return err
		}
		defer stop()
	}
	var rows []row
	for _, w := range workloads {
		wctx, wcancel := context.WithTimeout(ctx, c.timeout)
		rs, err := b.runWorkload(wctx, w)
		wcancel()
		if err != nil {
			return fmt.Errorf("%s: %w", w, err)
		}
		rows = append(rows, rs...)
	}
	report(out, rows)
	fmt.Fprintf(out, "load average at the end: %s\n", loadavg())
	return nil
}

func (b *bench) transport() string {
	if b.cfg.plainHTTP {
		return "plain HTTP/1.1 on " + b.host
	}
	return "HTTPS (HTTP/2, client certificate, RBAC) on " + b.host
}

// start runs the server on a loopback port, in this process or a child
// (-server-process), and returns the bench and a function that stops
// everything.
func start(ctx context.Context, c config, dir string, out io.Writer) (*bench, func(), error) {
	b := &bench{cfg: c, out: out}
	var stop func()
	if c.serverProcess {
		ch, hello, err := startChild(ctx, c, dir)
		if err != nil {
			return nil, nil, err
		}
		stop = ch.stop
		b.server, b.host = ch, hello.Host
		if b.cc, err = client.LoadKubeconfig(hello.Kubeconfig, ""); err != nil {
			stop()
			return nil, nil, err
		}
	} else {
		s, err := serve(ctx, dir, c.plainHTTP)
		if err != nil {
			return nil, nil, err
		}
		b.server, b.host, b.cc = inProcess{s}, s.host, s.cc
		stop = s.stop
	}
	quiet := slog.New(slog.DiscardHandler)
	b.cc.QPS = -1 // the benchmark sets its own pace
	b.cc.Logger = quiet
	for range c.clients {
		cl, err := client.New(b.cc)
		if err != nil {
			stop()
			return nil, nil, err
		}
		pods, err := client.For[*core.Pod](cl)
		if err != nil {
			stop()
			return nil, nil, err
		}
		b.clients = append(b.clients, cl)
		b.pods = append(b.pods, pods.Namespace(benchNS))
	}
	nsr, err := client.For[*core.Namespace](b.clients[0])
	if err == nil {
		_, err = nsr.Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: benchNS}}, client.WriteOptions{})
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("create namespace: %w", err)
	}
	if b.heap0, b.alloc0, err = b.server.heap(); err != nil {
		stop()
		return nil, nil, err
	}
	return b, stop, nil
}

func (b *bench) runWorkload(ctx context.Context, w string) ([]row, error) {
	needPods := w == "update" || w == "paced" || w == "list" || w == "memory"
	if w == "create" || needPods && b.created < b.cfg.pods {
		r, err := b.create(ctx)
		if err != nil {
			return nil, err
		}
		if w == "create" {
			return []row{r}, nil
		}
	}
	switch w {
	case "update":
		return b.update(ctx)
	case "paced":
		return b.paced(ctx)
	case "list":
		return b.list(ctx)
	case "memory":
		r, err := b.memory()
		if err == nil && b.cfg.memprofile != "" {
			err = b.server.writeHeapProfile(b.cfg.memprofile)
		}
		return []row{r}, err
	case "watch":
		r, err := b.watch(ctx)
		return []row{r}, err
	}
	return nil, nil
}

func podName(i int) string { return fmt.Sprintf("pod-%05d", i) }

// closed runs total operations on every client as fast as they complete
// and returns each operation's latency.
func (b *bench) closed(ctx context.Context, total int, op func(ctx context.Context, client, i int) error) (lat []time.Duration, errs int, elapsed time.Duration, err error) {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for ci := range b.clients {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= total {
					break
				}
				t := time.Now()
				if err := op(ctx, ci, i); err != nil {
					bad++
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed = time.Since(start)
	if ctx.Err() != nil {
		return lat, errs, elapsed, fmt.Errorf("time limit reached after %d operations: %w", len(lat), ctx.Err())
	}
	if errs > total/100 {
		return lat, errs, elapsed, fmt.Errorf("%d of %d operations failed, first: %w", errs, total, firstErr)
	}
	return lat, errs, elapsed, nil
}

func (b *bench) create(ctx context.Context) (row, error) {
	from, n := b.created, b.cfg.pods-b.created
	lat, errs, elapsed, err := b.closed(ctx, n, func(ctx context.Context, ci, i int) error {
		p, err := newPod(benchNS, podName(from+i))
		if err != nil {
			return err
		}
		_, err = b.pods[ci].Create(ctx, p, client.WriteOptions{})
		return err
	})
	b.created = b.cfg.pods
	size := 0
	if e, gerr := b.clients[0].Do(ctx, &client.Request{Method: "GET", Path: "/api/v1/namespaces/" + benchNS + "/pods/" + podName(from)}); gerr == nil {
		size = len(e.Body)
	}
	return row{name: "create pod", ops: len(lat), errs: errs, elapsed: elapsed, lat: lat, slo: sloMutating,
		note: fmt.Sprintf("%d clients, pod JSON %d B", len(b.clients), size)}, err
}

func (b *bench) update(ctx context.Context) ([]row, error) {
	n := b.cfg.updates
	lat, errs, elapsed, err := b.closed(ctx, n, func(ctx context.Context, ci, i int) error {
		// Operations in flight at once touch distinct pods: no conflicts.
		name := podName(i % b.created)
		p, err := b.pods[ci].Get(ctx, name)
		if err != nil {
			return err
		}
		p.Labels["generation"] = fmt.Sprint(i)
		_, err = b.pods[ci].Update(ctx, p, client.WriteOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	put := row{name: "update (GET+PUT)", ops: len(lat), errs: errs, elapsed: elapsed, lat: lat, slo: sloMutating,
		note: "latency of GET+PUT together"}
	lat, errs, elapsed, err = b.closed(ctx, n, func(ctx context.Context, ci, i int) error {
		name := podName(i % b.created)
		_, err := b.pods[ci].Patch(ctx, name, client.MergePatch, fmt.Appendf(nil, `{"metadata":{"annotations":{"apibench/patch":"%d"}}}`, i), client.WriteOptions{})
		return err
	})
	patch := row{name: "update (merge patch)", ops: len(lat), errs: errs, elapsed: elapsed, lat: lat, slo: sloMutating,
		note: fmt.Sprintf("%d clients", len(b.clients))}
	return []row{put, patch}, err
}

// paced sends rate patches per second for the configured duration, each
// client on its own fixed schedule.
func (b *bench) paced(ctx context.Context) ([]row, error) {
	total := int(float64(b.cfg.rate) * b.cfg.duration.Seconds())
	interval := time.Second / time.Duration(b.cfg.rate)
	nc := len(b.clients)
	var mu sync.Mutex
	var lat, calls []time.Duration
	var errs int
	var firstErr error
	var wg sync.WaitGroup
	w0, c0, err := b.server.commits()
	if err != nil {
		return nil, err
	}
	start := time.Now().Add(50 * time.Millisecond)
	for ci := range b.clients {
		wg.Go(func() {
			var mine, myCalls []time.Duration
			bad := 0
			var lastErr error
			for i := ci; i < total && ctx.Err() == nil; i += nc {
				at := start.Add(time.Duration(i) * interval)
				if d := time.Until(at); d > 0 {
					t := time.NewTimer(d)
					select {
					case <-ctx.Done():
					case <-t.C:
					}
					t.Stop()
				}
				name := podName(i % b.created)
				sent := time.Now()
				_, err := b.pods[ci].Patch(ctx, name, client.MergePatch, fmt.Appendf(nil, `{"metadata":{"annotations":{"apibench/paced":"%d"}}}`, i), client.WriteOptions{})
				if err != nil {
					bad++
					lastErr = err
					continue
				}
				mine = append(mine, time.Since(at))
				myCalls = append(myCalls, time.Since(sent))
			}
			mu.Lock()
			lat = append(lat, mine...)
			calls = append(calls, myCalls...)
			errs += bad
			if firstErr == nil {
				firstErr = lastErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	w1, c1, err := b.server.commits()
	if err != nil {
		return nil, err
	}
	rs := []row{
		{name: "paced merge patches", ops: len(lat), errs: errs, elapsed: elapsed, lat: lat, goal: 25 * time.Millisecond,
			note: fmt.Sprintf("%d/s for %s over %d clients, latency from the scheduled start; %.2f writes per commit",
				b.cfg.rate, b.cfg.duration, nc, float64(w1-w0)/float64(max(1, c1-c0)))},
		{name: "paced: each call", ops: len(calls), errs: errs, elapsed: elapsed, lat: calls, slo: sloMutating,
			note: "the same writes, latency from the call's own start"},
	}
	if ctx.Err() != nil {
		return rs, fmt.Errorf("time limit reached: %w", ctx.Err())
	}
	if errs > total/100 {
		return rs, fmt.Errorf("%d of %d writes failed, first: %w", errs, total, firstErr)
	}
	return rs, nil
}

func (b *bench) list(ctx context.Context) ([]row, error) {
	cl := b.clients[0]
	path := "/api/v1/namespaces/" + benchNS + "/pods"
	hc, err := rawHTTPClient(b.cc)
	if err != nil {
		return nil, err
	}
	defer hc.CloseIdleConnections()
	// streamed reads the list to its last byte through a fixed buffer: the
	// server's time, without the client keeping 30 MB (which, allocated
	// while a collection runs, makes the client assist it for tens of ms).
	streamed := func() (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.host+path, nil)
		if err != nil {
			return 0, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("list: HTTP %d", resp.StatusCode)
		}
		return n, err
	}
	if _, err := streamed(); err != nil { // the connection's handshake is not a list's cost
		return nil, err
	}
	var lat, kept []time.Duration
	var size int64
	start := time.Now()
	for range b.cfg.lists {
		t := time.Now()
		n, err := streamed()
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
		size = n
	}
	full := row{name: fmt.Sprintf("list %d pods (cache)", b.created), ops: len(lat), elapsed: time.Since(start), lat: lat,
		goal: 150 * time.Millisecond, slo: sloList, note: fmt.Sprintf("consistent, unpaginated, %.1f MB, read to the last byte, not kept", float64(size)/1e6)}
	start = time.Now()
	for range b.cfg.lists {
		t := time.Now()
		if _, err := cl.Do(ctx, &client.Request{Method: "GET", Path: path}); err != nil {
			return nil, err
		}
		kept = append(kept, time.Since(t))
	}
	keptRow := row{name: "list, body kept (client.Do)", ops: len(kept), elapsed: time.Since(start), lat: kept,
		note: "the same lists read into memory by apiserver/client, not decoded"}

	t := time.Now()
	l, err := b.pods[0].List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	d := time.Since(t)
	typed := row{name: "list + typed decode", ops: 1, elapsed: d, lat: []time.Duration{d},
		note: fmt.Sprintf("%d pods decoded by the client, for comparison", len(l.Items))}

	var pages, walks []time.Duration
	start = time.Now()
	for range max(1, b.cfg.lists/5) {
		w0 := time.Now()
		opts := client.ListOptions{Limit: int64(b.cfg.pageSize)}
		items := 0
		for {
			t := time.Now()
			page, err := b.pods[0].List(ctx, opts)
			if err != nil {
				return nil, err
			}
			pages = append(pages, time.Since(t))
			items += len(page.Items)
			if page.Continue == "" {
				break
			}
			opts.Continue = page.Continue
		}
		walks = append(walks, time.Since(w0))
		if items != b.created {
			return nil, fmt.Errorf("paginated list returned %d pods, want %d", items, b.created)
		}
	}
	elapsed := time.Since(start)
	return []row{full, keptRow, typed,
		{name: fmt.Sprintf("list page limit=%d (store)", b.cfg.pageSize), ops: len(pages), elapsed: elapsed, lat: pages,
			slo: sloList, note: "typed decode included"},
		{name: fmt.Sprintf("list %d pods in pages", b.created), ops: len(walks), elapsed: elapsed, lat: walks,
			note: "the whole walk"},
	}, nil
}

func (b *bench) memory() (row, error) {
	h, live, err := b.server.heap()
	if err != nil {
		return row{name: "memory"}, err
	}
	per := (float64(h) - float64(b.heap0)) / float64(b.created)
	whose := "the server's process"
	if !b.cfg.serverProcess {
		whose = "server and clients share the process"
	}
	return row{name: "memory", note: fmt.Sprintf("heap in use %.1f MB with %d pods (%.1f MB before): %.0f B per pod; live heap %.0f B per pod (%s)",
		float64(h)/1e6, b.created, float64(b.heap0)/1e6, per, (float64(live)-float64(b.alloc0))/float64(b.created), whose)}, nil
}

const sentAnnotation = "apibench/sent"

// watch measures delivery latency to many watchers of one namespace.
func (b *bench) watch(ctx context.Context) (row, error) {
	c := b.cfg
	ns := "bench-watch"
	nsr, err := client.For[*core.Namespace](b.clients[0])
	if err != nil {
		return row{}, err
	}
	if _, err := nsr.Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: ns}}, client.WriteOptions{}); err != nil {
		return row{}, fmt.Errorf("create namespace: %w", err)
	}
	writer := b.pods[0].Namespace(ns)
	for i := range c.watchPods {
		p, err := newPod(ns, podName(i))
		if err != nil {
			return row{}, err
		}
		if c.watchSmall {
			p = smallPod(ns, podName(i))
		}
		if _, err := writer.Create(ctx, p, client.WriteOptions{}); err != nil {
			return row{}, err
		}
	}
	first, err := writer.List(ctx, client.ListOptions{Limit: 1})
	if err != nil {
		return row{}, err
	}
	rv := first.ResourceVersion

	var conns []*client.Resource[*core.Pod]
	var raws []*http.Client
	for range c.watchConns {
		if c.watchRaw {
			hc, err := rawHTTPClient(b.cc)
			if err != nil {
				return row{}, err
			}
			raws = append(raws, hc)
			continue
		}
		cl, err := client.New(b.cc)
		if err != nil {
			return row{}, err
		}
		r, err := client.For[*core.Pod](cl)
		if err != nil {
			return row{}, err
		}
		conns = append(conns, r.Namespace(ns))
	}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watches := make([]sentReader, c.watchers)
	var wg sync.WaitGroup
	var openErr error
	var mu sync.Mutex
	// Open the watches a few at a time, as informers starting up would.
	sem := make(chan struct{}, 32)
	for i := range watches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var w sentReader
			var err error
			if c.watchRaw {
				w, err = openRawWatch(wctx, raws[i%len(raws)], b.cc.Host, ns, rv)
			} else {
				var tw *client.Watch[*core.Pod]
				if tw, err = conns[i%len(conns)].Watch(wctx, client.ListOptions{ResourceVersion: rv}); err == nil {
					w = typedReader{tw}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && openErr == nil {
				openErr = err
			}
			watches[i] = w
		})
	}
	wg.Wait()
	if openErr != nil {
		for _, w := range watches {
			if w != nil {
				w.Close()
			}
		}
		return row{}, fmt.Errorf("open watch: %w", openErr)
	}

	lats := make([][]time.Duration, c.watchers)
	var decodeErrs atomic.Int64
	var rwg sync.WaitGroup
	for i, w := range watches {
		rwg.Go(func() {
			defer w.Close()
			mine := make([]time.Duration, 0, c.watchWrites)
			for len(mine) < c.watchWrites {
				sent, err := w.Next()
				if errors.Is(err, errNoSendTime) {
					decodeErrs.Add(1)
					continue
				}
				if err != nil {
					break
				}
				mine = append(mine, time.Since(time.Unix(0, sent)))
			}
			lats[i] = mine
		})
	}
	// Close every stream when the time limit passes, so readers return.
	go func() {
		<-ctx.Done()
		for _, w := range watches {
			w.Close()
		}
	}()

	interval := time.Second / time.Duration(c.watchRate)
	start := time.Now()
	writeErrs := 0
	for i := 0; i < c.watchWrites && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"%d"}}}`, sentAnnotation, time.Now().UnixNano())
		if _, err := writer.Patch(ctx, podName(i%c.watchPods), client.MergePatch, patch, client.WriteOptions{}); err != nil {
			writeErrs++
		}
	}
	// Give the last events time to arrive, then end the readers.
	done := make(chan struct{})
	go func() { rwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		wcancel()
		for _, w := range watches {
			w.Close()
		}
		<-done
	}
	elapsed := time.Since(start)
	var all []time.Duration
	missing := 0
	for _, l := range lats {
		all = append(all, l...)
		missing += c.watchWrites - len(l)
	}
	kind := "pods"
	if c.watchSmall {
		kind = "small pods"
	}
	reader := "typed decode"
	if c.watchRaw {
		kind += ", raw streams"
		reader = "the line read from the stream"
	}
	r := row{name: fmt.Sprintf("watch delivery (%d watchers, %s)", c.watchers, kind), ops: len(all), errs: writeErrs + int(decodeErrs.Load()), elapsed: elapsed, lat: all,
		goal: 50 * time.Millisecond,
		note: fmt.Sprintf("%d writes at %d/s, %d conns, from before the write to %s; %d events missing", c.watchWrites, c.watchRate, c.watchConns, reader, missing)}
	if ctx.Err() != nil {
		return r, fmt.Errorf("time limit reached: %w", ctx.Err())
	}
	if missing > 0 || writeErrs > 0 {
		return r, fmt.Errorf("%d events not delivered, %d writes failed", missing, writeErrs)
	}
	return r, nil
}

// pct returns the p-th percentile (0 < p <= 100) of sorted.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Kubernetes' published API call latency SLOs (sig-scalability), p99 over
// the call: mutating calls, and lists of one namespace.
const (
	sloMutating = time.Second
	sloList     = 5 * time.Second
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func report(out io.Writer, rows []row) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tops\terrors\tops/s\tp50\tp99\tmax\tgoal p99\tmet\tk8s SLO\tmet\tnotes")
	for _, r := range rows {
		if r.ops == 0 {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t\t\t%s\n", r.name, r.note)
			continue
		}
		slices.Sort(r.lat)
		p99 := pct(r.lat, 99)
		goal, met := verdict(p99, r.goal)
		slo, sloMet := verdict(p99, r.slo)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.ops, r.errs,
			float64(r.ops)/r.elapsed.Seconds(), ms(pct(r.lat, 50)), ms(p99), ms(r.lat[len(r.lat)-1]), goal, met, slo, sloMet, r.note)
	}
	tw.Flush()
	fmt.Fprintln(out, "k8s SLO: Kubernetes' published API call latency SLOs (sig-scalability), p99: mutating calls <= 1s;")
	fmt.Fprintln(out, "get/list of one namespace <= 5s (cluster-wide 30s). Watch latency has no published SLO.")
	fmt.Fprintln(out, "goal p99: this project's goals (paced writes <= 25ms, list of 10,000 <= 150ms, watch delivery <= 50ms).")
}

// verdict formats a limit and whether p99 is within it ("" when there is
// no limit).
func verdict(p99, limit time.Duration) (string, string) {
	switch {
	case limit == 0:
		return "", ""
	case p99 > limit:
		return ms(limit), "NO"
	}
	return ms(limit), "yes"
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// sentReader yields the send time of each watch event.
type sentReader interface {
	// Next returns the next event's send time (errNoSendTime for an event
	// without one), or the stream's error.
	Next() (int64, error)
	Close()
}

var errNoSendTime = errors.New("event without a send time")

// typedReader decodes each event as apiserver/client does.
type typedReader struct{ w *client.Watch[*core.Pod] }

func (r typedReader) Next() (int64, error) {
	ev, err := r.w.Next()
	if err != nil {
		return 0, err
	}
	var sent int64
	if _, err := fmt.Sscan(ev.Object.Annotations[sentAnnotation], &sent); err != nil {
		return 0, errNoSendTime
	}
	return sent, nil
}

func (r typedReader) Close() { r.w.Close() }

// rawReader reads the newline-delimited event stream and scans each line
// for the annotation: it reads every byte but decodes nothing.
type rawReader struct {
	body io.ReadCloser
	sc   *bufio.Scanner
}

var sentKey = []byte(`"` + sentAnnotation + `":"`)

func (r *rawReader) Next() (int64, error) {
	for r.sc.Scan() {
		line := r.sc.Bytes()
		i := bytes.Index(line, sentKey)
		if i < 0 {
			return 0, errNoSendTime
		}
		rest := line[i+len(sentKey):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return 0, errNoSendTime
		}
		sent, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		if err != nil {
			return 0, errNoSendTime
		}
		return sent, nil
	}
	if err := r.sc.Err(); err != nil {
		return 0, err
	}
	return 0, io.EOF
}

func (r *rawReader) Close() { r.body.Close() }

// rawHTTPClient is an HTTP/2 client with cc's TLS credentials.
func rawHTTPClient(cc *client.Config) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cc.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cc.CAData) {
			return nil, errors.New("no CA certificate")
		}
		tc.RootCAs = pool
	}
	if len(cc.CertData) > 0 {
		cert, err := tls.X509KeyPair(cc.CertData, cc.KeyData)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 1}}, nil
}

func openRawWatch(ctx context.Context, hc *http.Client, host, ns, rv string) (sentReader, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, host+"/api/v1/namespaces/"+ns+"/pods?watch=true&resourceVersion="+rv, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("watch: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	return &rawReader{body: resp.Body, sc: sc}, nil
}
