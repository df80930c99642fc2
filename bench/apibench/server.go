package main

import (
	"bufio"
	"context"
	"crypto/tls"
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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/store/bolt"
)

// serverSide is the process the API server runs in: this one, or a child
// of its own (-server-process). The workloads reach the server over the
// network either way; these are the few figures they read from its
// process.
type serverSide interface {
	// commits returns the store's write and group-commit counters.
	commits() (writes, commits uint64, err error)
	// heap returns the heap in use and the live heap after a collection.
	heap() (inUse, live uint64, err error)
	// writeHeapProfile writes the server process's heap profile to path.
	writeHeapProfile(path string) error
	// describe names where the server runs, for the report.
	describe() string
	// stop stops the server.
	stop()
}

// served is a running API server in this process.
type served struct {
	db   *bolt.DB
	host string
	cc   *client.Config // admin credentials
	stop func()
}

// serve starts the API server on store/bolt in dir, on a loopback port.
func serve(ctx context.Context, dir string, plainHTTP bool) (*served, error) {
	db, err := bolt.Open(filepath.Join(dir, "store.db"), nil)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	cfg := apiserver.Config{Store: db, Logger: quiet}
	var srv *apiserver.Server
	var tlsCfg *tls.Config
	var sec *apiserver.Secure
	if plainHTTP {
		srv, err = apiserver.New(cfg)
	} else {
		srv, sec, err = apiserver.NewSecure(cfg, apiserver.SecureOptions{PKIDir: filepath.Join(dir, "pki")})
		if sec != nil {
			tlsCfg = sec.TLS
		}
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	sctx, scancel := context.WithCancel(ctx)
	if err := srv.Start(sctx); err != nil {
		scancel()
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		scancel()
		db.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(sctx, ln, tlsCfg) }()
	s := &served{db: db, stop: func() {
		scancel()
		<-done
		db.Close()
	}}
	if plainHTTP {
		s.host = "http://" + ln.Addr().String()
		s.cc = &client.Config{Host: s.host}
		return s, nil
	}
	s.host = "https://" + ln.Addr().String()
	if s.cc, err = sec.ClientConfig(s.host, "longshore-admin", "system:masters"); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// inProcess is a server in this process, sharing its heap and scheduler
// with the clients.
type inProcess struct{ s *served }

func (p inProcess) commits() (uint64, uint64, error) {
	st := p.s.db.Stats()
	return uint64(st.Writes), uint64(st.Commits), nil
}

func (p inProcess) heap() (uint64, uint64, error) { return heapInUse(), heapAlloc(), nil }

func (p inProcess) writeHeapProfile(path string) error { return heapProfile(path) }

func (p inProcess) describe() string {
	return fmt.Sprintf("in this process with its clients, GOMAXPROCS=%d", runtime.GOMAXPROCS(0))
}

func (p inProcess) stop() { p.s.stop() }

// heapInUse returns the heap's in-use spans after a GC, the figure the
// brief asks for (it includes the free space inside those spans).
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// heapAlloc returns the bytes of live heap objects after a GC.
func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// profile starts a CPU profile or an execution trace (start and end are
// the runtime's functions) written to path; stop ends it.
func profile(path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { end(); f.Close() }, nil
}

func heapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// childEnv, when set, makes this program the server process of a parent
// apibench (-server-process); its value is the childSpec in JSON.
const childEnv = "APIBENCH_SERVER_PROCESS"

// childSpec is what the parent tells its server process.
type childSpec struct {
	Dir        string `json:"dir"`
	PlainHTTP  bool   `json:"plainHTTP"`
	CPUProfile string `json:"cpuProfile,omitempty"`
	Trace      string `json:"trace,omitempty"`
}

// childHello is the line the server process prints once it serves.
type childHello struct {
	Host       string `json:"host"`
	Kubeconfig string `json:"kubeconfig"`
	Control    string `json:"control"` // loopback URL of the figures it reports
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// runChild is the server process: it serves until its standard input
// closes (the parent is gone) or it is told to stop, and answers the
// parent's questions on a second loopback port.
func runChild(spec string, stdin io.Reader, stdout io.Writer) error {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		return fmt.Errorf("%s: %w", childEnv, err)
	}
	if cs.CPUProfile != "" {
		stop, err := profile(cs.CPUProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := serve(ctx, cs.Dir, cs.PlainHTTP)
	if err != nil {
		return err
	}
	defer s.stop()
	if cs.Trace != "" {
		stop, err := profile(cs.Trace, trace.Start, trace.Stop)
		if err != nil {
			return err
		}
		defer stop()
	}
	kubeconfig := filepath.Join(cs.Dir, "admin.kubeconfig")
	if err := client.NewKubeconfig("apibench", s.cc).Write(kubeconfig); err != nil {
		return err
	}
	local := inProcess{s}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /commits", func(w http.ResponseWriter, r *http.Request) {
		writes, commits, _ := local.commits()
		json.NewEncoder(w).Encode([2]uint64{writes, commits})
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		inUse, live, _ := local.heap()
		json.NewEncoder(w).Encode([2]uint64{inUse, live})
	})
	mux.HandleFunc("POST /heapprofile", func(w http.ResponseWriter, r *http.Request) {
		if err := heapProfile(r.URL.Query().Get("path")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	stopped := make(chan struct{})
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stopped:
		default:
			close(stopped)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctl := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go ctl.Serve(ln)
	defer ctl.Close()
	hello, _ := json.Marshal(childHello{Host: s.host, Kubeconfig: kubeconfig, Control: "http://" + ln.Addr().String(), GOMAXPROCS: runtime.GOMAXPROCS(0)})
	if _, err := fmt.Fprintf(stdout, "%s\n", hello); err != nil {
		return err
	}
	gone := make(chan struct{})
	go func() { io.Copy(io.Discard, stdin); close(gone) }()
	select {
	case <-stopped:
	case <-gone:
	}
	return nil
}

// child is a server in a process of its own, started by startChild.
type child struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	control string
	procs   int
	http    *http.Client
	exited  chan error
}

// startChild starts this program again as the server process, with
// profiles of that process if asked, and waits until it serves.
func startChild(ctx context.Context, c config, dir string) (*child, childHello, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, childHello{}, err
	}
	spec, _ := json.Marshal(childSpec{Dir: dir, PlainHTTP: c.plainHTTP, CPUProfile: c.cpuprofile, Trace: c.trace})
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, childHello{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, childHello{}, err
	}
	if err := cmd.Start(); err != nil {
		return nil, childHello{}, err
	}
	ch := &child{cmd: cmd, stdin: stdin, http: &http.Client{Timeout: time.Minute}, exited: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
		ch.exited <- cmd.Wait()
	}()
	var hello childHello
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Host == "" {
			ch.stop()
			return nil, childHello{}, fmt.Errorf("server process: no address (%q)", strings.TrimSpace(line))
		}
	case <-ctx.Done():
		ch.stop()
		return nil, childHello{}, ctx.Err()
	case <-time.After(time.Minute):
		ch.stop()
		return nil, childHello{}, errors.New("server process: not serving after a minute")
	}
	ch.control, ch.procs = hello.Control, hello.GOMAXPROCS
	return ch, hello, nil
}

func (ch *child) get(path string, out any) error {
	resp, err := ch.http.Get(ch.control + path)
	if err != nil {
		return fmt.Errorf("server process: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("server process: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (ch *child) commits() (uint64, uint64, error) {
	var v [2]uint64
	err := ch.get("/commits", &v)
	return v[0], v[1], err
}

func (ch *child) heap() (uint64, uint64, error) {
	var v [2]uint64
	err := ch.get("/heap", &v)
	return v[0], v[1], err
}

func (ch *child) writeHeapProfile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	resp, err := ch.http.Post(ch.control+"/heapprofile?path="+url.QueryEscape(abs), "", nil)
	if err != nil {
		return fmt.Errorf("server process: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("server process: heap profile: %s", strings.TrimSpace(string(body)))
	}
	return nil
}

func (ch *child) describe() string {
	return fmt.Sprintf("in a process of its own (pid %d, GOMAXPROCS=%d), the clients in this one", ch.cmd.Process.Pid, ch.procs)
}

// stop asks the server process to stop, and kills it if it has not
// within ten seconds.
func (ch *child) stop() {
	ch.stdin.Close()
	if ch.control != "" {
		if resp, err := ch.http.Post(ch.control+"/stop", "", nil); err == nil {
			resp.Body.Close()
		}
	}
	select {
	case <-ch.exited:
	case <-time.After(10 * time.Second):
		ch.cmd.Process.Kill()
		<-ch.exited
	}
}
