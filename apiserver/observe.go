package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/store"
)

// metrics are the server's Prometheus metrics, named as kube-apiserver
// names them where there is an equivalent.
type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	watchers  *prometheus.GaugeVec
	storeTime *prometheus.HistogramVec
	handler   http.Handler
}

func newMetrics(reg prometheus.Registerer, gather prometheus.Gatherer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "apiserver_request_total",
			Help: "Requests by verb, group, resource, subresource and HTTP code."}, []string{"verb", "group", "resource", "subresource", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "apiserver_request_duration_seconds",
			Help:    "Request latency by verb and resource (watches excluded).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}}, []string{"verb", "group", "resource"}),
		watchers: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "apiserver_longrunning_requests",
			Help: "Open watches by group and resource."}, []string{"group", "resource"}),
		storeTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "apiserver_storage_request_duration_seconds",
			Help:    "Store call latency by operation.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.latency, m.watchers, m.storeTime)
	m.handler = promhttp.HandlerFor(gather, promhttp.HandlerOpts{})
	return m
}

// statusRecorder remembers the status code written, and passes through
// flushing (watches) and hijacking (exec upgrades).
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := r.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe records metrics and the audit event of one request.
func (s *Server) observe(r *http.Request, info *RequestInfo, code int, start time.Time) {
	if info == nil {
		return
	}
	if s.metrics != nil {
		s.metrics.requests.WithLabelValues(info.Verb, info.APIGroup, info.Resource, info.Subresource, strconv.Itoa(code)).Inc()
		if info.Verb != "watch" {
			s.metrics.latency.WithLabelValues(info.Verb, info.APIGroup, info.Resource).Observe(time.Since(start).Seconds())
		}
	}
	if s.audit != nil {
		s.audit.log(r, info, code, start)
	}
}

// auditLog writes one audit.k8s.io/v1 Event per request at Metadata level
// (who did what to which object, and the answer; no bodies).
type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

type auditEvent struct {
	Kind                     string         `json:"kind"`
	APIVersion               string         `json:"apiVersion"`
	Level                    string         `json:"level"`
	AuditID                  string         `json:"auditID"`
	Stage                    string         `json:"stage"`
	RequestURI               string         `json:"requestURI"`
	Verb                     string         `json:"verb"`
	User                     auditUser      `json:"user"`
	SourceIPs                []string       `json:"sourceIPs,omitempty"`
	UserAgent                string         `json:"userAgent,omitempty"`
	ObjectRef                *auditObject   `json:"objectRef,omitempty"`
	ResponseStatus           map[string]int `json:"responseStatus"`
	RequestReceivedTimestamp string         `json:"requestReceivedTimestamp"`
	StageTimestamp           string         `json:"stageTimestamp"`
}

type auditUser struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

type auditObject struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

func (a *auditLog) log(r *http.Request, info *RequestInfo, code int, start time.Time) {
	ev := auditEvent{
		Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: "Metadata", AuditID: newUID(), Stage: "ResponseComplete",
		RequestURI: r.URL.RequestURI(), Verb: info.Verb, UserAgent: r.UserAgent(),
		ResponseStatus:           map[string]int{"code": code},
		RequestReceivedTimestamp: start.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		StageTimestamp:           time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
	}
	if u, ok := authn.UserFrom(r.Context()); ok {
		ev.User = auditUser{Username: u.Name, UID: u.UID, Groups: u.Groups}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ev.SourceIPs = []string{host}
	}
	if info.IsResourceRequest {
		ev.ObjectRef = &auditObject{Resource: info.Resource, Namespace: info.Namespace, Name: info.Name,
			APIGroup: info.APIGroup, APIVersion: info.APIVersion, Subresource: info.Subresource}
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return
	}
	a.mu.Lock()
	a.w.Write(append(line, '\n'))
	a.mu.Unlock()
}

// timedStore measures every store call for the storage latency histogram.
type timedStore struct {
	store.Store
	h *prometheus.HistogramVec
}

func (t timedStore) since(op string, start time.Time) {
	t.h.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (t timedStore) Get(ctx context.Context, key string, o store.GetOptions) (*store.KeyValue, error) {
	defer t.since("get", time.Now())
	return t.Store.Get(ctx, key, o)
}

func (t timedStore) List(ctx context.Context, prefix string, o store.ListOptions) (*store.ListResult, error) {
	defer t.since("list", time.Now())
	return t.Store.List(ctx, prefix, o)
}

func (t timedStore) Create(ctx context.Context, key string, v []byte, l store.LeaseID) (*store.KeyValue, error) {
	defer t.since("create", time.Now())
	return t.Store.Create(ctx, key, v, l)
}

func (t timedStore) Update(ctx context.Context, key string, v []byte, rev int64) (*store.KeyValue, error) {
	defer t.since("update", time.Now())
	return t.Store.Update(ctx, key, v, rev)
}

func (t timedStore) Delete(ctx context.Context, key string, rev int64) (*store.KeyValue, int64, error) {
	defer t.since("delete", time.Now())
	return t.Store.Delete(ctx, key, rev)
}
