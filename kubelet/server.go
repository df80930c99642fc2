package kubelet

import (
	"bufio"
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ServerOptions configure the kubelet API's authentication. A request is
// let in if its TLS client certificate verifies against ClientCAs (the API
// server's kubelet client certificate), or if it carries one of Tokens as
// a bearer token. With neither set, every request is refused.
type ServerOptions struct {
	// ClientCAs verifies client certificates. The http.Server's TLS config
	// should ask for them (tls.VerifyClientCertIfGiven with the same pool).
	ClientCAs *x509.CertPool
	// Tokens are static bearer tokens accepted as well.
	Tokens []string
}

// Handler serves the kubelet API: /healthz, /pods,
// /containerLogs/{namespace}/{pod}/{container}, /exec/{namespace}/{pod}/{container}
// (non-interactive, see the package doc), /metrics and /stats/summary.
// Serve it over HTTPS on Options.KubeletPort.
func (k *Kubelet) Handler(opts ServerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /pods", k.servePods)
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.serveLogs)
	mux.HandleFunc("/exec/{namespace}/{pod}/{container}", k.serveExec)
	mux.HandleFunc("GET /metrics", k.serveMetrics)
	mux.HandleFunc("GET /stats/summary", k.serveStats)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authenticated(r, opts) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func authenticated(r *http.Request, opts ServerOptions) bool {
	if r.TLS != nil && opts.ClientCAs != nil && len(r.TLS.PeerCertificates) > 0 {
		vo := x509.VerifyOptions{Roots: opts.ClientCAs, Intermediates: x509.NewCertPool(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		for _, c := range r.TLS.PeerCertificates[1:] {
			vo.Intermediates.AddCert(c)
		}
		if _, err := r.TLS.PeerCertificates[0].Verify(vo); err == nil {
			return true
		}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
		for _, t := range opts.Tokens {
			if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
				return true
			}
		}
	}
	return false
}

// Pods returns the pods the kubelet runs, as it last saw them.
func (k *Kubelet) Pods() []*core.Pod {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]*core.Pod, 0, len(k.workers))
	for _, w := range k.workers {
		if p, gone := w.snapshot(); !gone {
			out = append(out, p)
		}
	}
	return out
}

func (k *Kubelet) servePods(w http.ResponseWriter, r *http.Request) {
	list := core.PodList{TypeMeta: meta.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	for _, p := range k.Pods() {
		list.Items = append(list.Items, *p)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

// findContainer returns the pod and the newest (or, with previous, the
// one before) instance of its container.
func (k *Kubelet) findContainer(ctx context.Context, ns, name, container string, previous bool) (*core.Pod, *runtimeContainer, error) {
	var pod *core.Pod
	for _, p := range k.Pods() {
		if p.Namespace == ns && p.Name == name {
			pod = p
		}
	}
	if pod == nil {
		return nil, nil, fmt.Errorf("pod %s/%s: %w", ns, name, ErrNotRunning)
	}
	rp, err := k.runtimePod(ctx, pod.UID)
	if err != nil {
		return nil, nil, err
	}
	cur, prev := rp.latest(container)
	if previous {
		cur = prev
	}
	if cur == nil {
		return nil, nil, fmt.Errorf("container %q in pod %s/%s: %w", container, ns, name, ErrNotRunning)
	}
	return pod, cur, nil
}

// serveLogs reads a container's CRI log file: follow, tailLines,
// timestamps, previous and limitBytes as in Kubernetes.
func (k *Kubelet) serveLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	boolQ := func(n string) bool { v, _ := strconv.ParseBool(q.Get(n)); return v }
	_, c, err := k.findContainer(r.Context(), r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"), boolQ("previous"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	tail := -1
	if v := q.Get("tailLines"); v != "" {
		if tail, err = strconv.Atoi(v); err != nil || tail < 0 {
			http.Error(w, "invalid tailLines", http.StatusBadRequest)
			return
		}
	}
	limit := int64(-1)
	if v := q.Get("limitBytes"); v != "" {
		if limit, err = strconv.ParseInt(v, 10, 64); err != nil || limit <= 0 {
			http.Error(w, "invalid limitBytes", http.StatusBadRequest)
			return
		}
	}
	f, err := os.Open(c.logPath)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	lw := &limitedWriter{w: w, left: limit}
	rd := bufio.NewReader(f)
	lines, partial := readLogLines(rd, boolQ("timestamps"), "")
	if tail >= 0 && len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	for _, l := range lines {
		if _, err := io.WriteString(lw, l); err != nil {
			return
		}
	}
	if !boolQ("follow") {
		return
	}
	fl, _ := w.(http.Flusher)
	for {
		if fl != nil {
			fl.Flush()
		}
		if !sleepFor(r.Context(), 100*time.Millisecond) {
			return
		}
		more, p := readLogLines(rd, boolQ("timestamps"), partial)
		for _, l := range more {
			if _, err := io.WriteString(lw, l); err != nil {
				return
			}
		}
		partial = p
		if len(more) == 0 {
			// Stop following once the container is gone or has exited.
			st, err := k.rt.ContainerStatus(r.Context(), &runtimeapi.ContainerStatusRequest{ContainerId: c.id})
			if err != nil || st.GetStatus().GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
				return
			}
		}
	}
}

// readLogLines decodes CRI log lines ("<RFC3339Nano> <stream> <P|F> <text>")
// up to the end of what is written, joining partial (P) lines. carry is
// an incomplete line left by the previous call; the new one is returned.
func readLogLines(rd *bufio.Reader, timestamps bool, carry string) ([]string, string) {
	var out []string
	var pending strings.Builder
	var pendingTS string
	for {
		line, err := rd.ReadString('\n')
		line, carry = carry+line, ""
		if err != nil {
			return out, line // an incomplete line (or ""): kept for the next read
		}
		ts, rest, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok {
			continue
		}
		_, rest, ok = strings.Cut(rest, " ") // stream
		if !ok {
			continue
		}
		tag, text, _ := strings.Cut(rest, " ")
		if pendingTS == "" {
			pendingTS = ts
		}
		pending.WriteString(text)
		if strings.HasPrefix(tag, "P") {
			continue
		}
		s := pending.String() + "\n"
		if timestamps {
			s = pendingTS + " " + s
		}
		out = append(out, s)
		pending.Reset()
		pendingTS = ""
	}
}

type limitedWriter struct {
	w    io.Writer
	left int64 // < 0: unlimited
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	if l.left > 0 && int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.w.Write(p)
	if l.left > 0 {
		l.left -= int64(n)
	}
	return n, err
}

// serveExec runs a command: an upgraded request (kubectl exec) is proxied
// to the runtime's streaming server; a plain one runs through ExecSync and
// gets stdout then stderr, with the exit code in X-Exit-Code.
func (k *Kubelet) serveExec(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "missing command", http.StatusBadRequest)
		return
	}
	_, c, err := k.findContainer(r.Context(), r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"), false)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if r.Header.Get("Upgrade") != "" {
		k.proxyExec(w, r, c.id, cmd)
		return
	}
	resp, err := k.rt.ExecSync(r.Context(), &runtimeapi.ExecSyncRequest{ContainerId: c.id, Cmd: cmd, Timeout: 60})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Exit-Code", strconv.Itoa(int(resp.ExitCode)))
	_, _ = w.Write(resp.Stdout)
	_, _ = w.Write(resp.Stderr)
}

// proxyExec serves an interactive exec (kubectl exec: SPDY or WebSocket
// upgrade) by asking the runtime for its streaming URL and proxying the
// upgraded connection there, as Kubernetes' kubelet does.
func (k *Kubelet) proxyExec(w http.ResponseWriter, r *http.Request, id string, cmd []string) {
	q := r.URL.Query()
	flag := func(n string) bool { v, _ := strconv.ParseBool(q.Get(n)); return v }
	resp, err := k.rt.Exec(r.Context(), &runtimeapi.ExecRequest{ContainerId: id, Cmd: cmd,
		Tty: flag("tty"), Stdin: flag("stdin"), Stdout: flag("stdout"), Stderr: flag("stderr")})
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, cri.ErrUnimplemented) {
			code = http.StatusNotImplemented
		}
		http.Error(w, err.Error(), code)
		return
	}
	target, err := url.Parse(resp.Url)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Authorization")
		},
		FlushInterval: -1,
	}
	proxy.ServeHTTP(w, r)
}

// serveMetrics writes a few gauges in the Prometheus text format.
func (k *Kubelet) serveMetrics(w http.ResponseWriter, r *http.Request) {
	pods := k.Pods()
	running := 0
	if cs, err := k.rt.ListContainers(r.Context(), &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}}); err == nil {
		running = len(cs.GetContainers())
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP kubelet_running_pods Number of pods the kubelet runs.\n# TYPE kubelet_running_pods gauge\nkubelet_running_pods %d\n", len(pods))
	fmt.Fprintf(w, "# HELP kubelet_running_containers Number of running containers.\n# TYPE kubelet_running_containers gauge\nkubelet_running_containers %d\n", running)
}

// Summary is the subset of Kubernetes' /stats/summary the kubelet serves.
type Summary struct {
	Node SummaryNode  `json:"node"`
	Pods []PodSummary `json:"pods"`
}

// SummaryNode names the node of a Summary.
type SummaryNode struct {
	NodeName string `json:"nodeName"`
}

// PodSummary is the usage of one pod's containers.
type PodSummary struct {
	PodRef     PodReference       `json:"podRef"`
	Containers []ContainerSummary `json:"containers"`
}

// PodReference names a pod in a Summary.
type PodReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

// ContainerSummary is one container's CPU and memory usage.
type ContainerSummary struct {
	Name string `json:"name"`
	CPU  struct {
		UsageNanoCores       uint64 `json:"usageNanoCores"`
		UsageCoreNanoSeconds uint64 `json:"usageCoreNanoSeconds"`
	} `json:"cpu"`
	Memory struct {
		WorkingSetBytes uint64 `json:"workingSetBytes"`
		UsageBytes      uint64 `json:"usageBytes"`
	} `json:"memory"`
}

// StatsSummary gathers the containers' usage from the runtime's stats.
func (k *Kubelet) StatsSummary(ctx context.Context) (*Summary, error) {
	resp, err := k.rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
	if err != nil {
		return nil, err
	}
	s := &Summary{Node: SummaryNode{NodeName: k.opts.NodeName}}
	byUID := map[string]int{}
	for _, st := range resp.GetStats() {
		l := st.GetAttributes().GetLabels()
		uid := l[LabelPodUID]
		if uid == "" {
			continue
		}
		i, ok := byUID[uid]
		if !ok {
			i = len(s.Pods)
			byUID[uid] = i
			s.Pods = append(s.Pods, PodSummary{PodRef: PodReference{Name: l[LabelPodName], Namespace: l[LabelPodNamespace], UID: uid}})
		}
		var cs ContainerSummary
		cs.Name = st.GetAttributes().GetMetadata().GetName()
		cs.CPU.UsageNanoCores = st.GetCpu().GetUsageNanoCores().GetValue()
		cs.CPU.UsageCoreNanoSeconds = st.GetCpu().GetUsageCoreNanoSeconds().GetValue()
		cs.Memory.WorkingSetBytes = st.GetMemory().GetWorkingSetBytes().GetValue()
		cs.Memory.UsageBytes = st.GetMemory().GetUsageBytes().GetValue()
		s.Pods[i].Containers = append(s.Pods[i].Containers, cs)
	}
	return s, nil
}

func (k *Kubelet) serveStats(w http.ResponseWriter, r *http.Request) {
	s, err := k.StatsSummary(r.Context())
	if err != nil && !errors.Is(err, context.Canceled) {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}
