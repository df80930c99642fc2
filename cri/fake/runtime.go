package fake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// Default values of Options.
const (
	DefaultPodCIDR        = "198.18.0.0/16"
	DefaultRuntimeName    = "longshore-fake"
	DefaultRuntimeVersion = "0.1.0"
	DefaultHostIP         = "127.0.0.1"
)

// ExecFunc answers ExecSync for a running container instead of the built-in
// simulation. A non-zero exit code goes in the response, not in the error.
type ExecFunc func(ctx context.Context, containerID string, cmd []string) (*runtimeapi.ExecSyncResponse, error)

// Options configure a Runtime. The zero value (or nil) gives the defaults.
type Options struct {
	// PodCIDR is the range sandboxes get their IPs from; it must lie inside
	// 198.18.0.0/15. Default DefaultPodCIDR. Hollow nodes give each fake a
	// range of its own (e.g. 198.18.N.0/24).
	PodCIDR string
	// HostIP is what host-network sandboxes report as their IP. Default
	// DefaultHostIP.
	HostIP string
	// Clock drives simulated sleeps and timeouts. Default RealClock; use a
	// ManualClock to step time in tests.
	Clock Clock
	// Images are present from the start (references like
	// "example.com/app:1").
	Images []string
	// PullRefusal, when set, lists references PullImage fails on with
	// ErrNotFound, as if the registry lacked them. Any other reference pulls.
	PullRefusal []string
	// ExecSync replaces the built-in simulation of ExecSync.
	ExecSync ExecFunc
	// RecordCalls keeps every call (method and request) for Calls. Off by
	// default to keep thousands of fakes cheap; CallCount always works.
	RecordCalls bool
	// StreamingURL, when set, is the base of the URLs Exec, Attach and
	// PortForward return; without it they fail with ErrUnimplemented.
	StreamingURL string
	// RuntimeName and RuntimeVersion are reported by Version. Defaults
	// DefaultRuntimeName and DefaultRuntimeVersion.
	RuntimeName, RuntimeVersion string
	// Logger receives debug records of lifecycle changes. Default discards.
	Logger *slog.Logger
}

// Call is one recorded call.
type Call struct {
	// Method is the CRI method name, e.g. "RunPodSandbox".
	Method string
	// Request is the request message as received.
	Request any
}

// Runtime is an in-memory cri.RuntimeService and cri.ImageService. It is safe
// for concurrent use. Sandboxes and containers are plain records; a running
// container costs no goroutine (its simulated sleeps are clock timers).
type Runtime struct {
	clock        Clock
	log          *slog.Logger
	name, ver    string
	hostIP       string
	streamingURL string
	refusals     map[string]bool
	record       bool

	mu         sync.Mutex
	exec       ExecFunc
	ipam       *ipam
	podCIDR    string
	sandboxes  map[string]*sandbox
	containers map[string]*container
	names      map[string]string // sandbox or container name key -> id
	images     map[string]*image // by ID
	refs       map[string]string // normalized reference -> image ID
	events     cri.EventBroadcaster
	failures   map[string]*failure
	counts     map[string]int
	calls      []Call
}

var (
	_ cri.RuntimeService = (*Runtime)(nil)
	_ cri.ImageService   = (*Runtime)(nil)
)

// methods is the set of method names FailNext and CallCount accept.
var methods = map[string]bool{}

func init() {
	for _, m := range []string{"Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
		"PodSandboxStatus", "ListPodSandbox", "CreateContainer", "StartContainer", "StopContainer",
		"RemoveContainer", "ListContainers", "ContainerStatus", "UpdateContainerResources",
		"ReopenContainerLog", "ExecSync", "Exec", "Attach", "PortForward", "ContainerStats",
		"ListContainerStats", "PodSandboxStats", "ListPodSandboxStats", "UpdateRuntimeConfig",
		"Status", "GetContainerEvents", "ListImages", "ImageStatus", "PullImage", "RemoveImage",
		"ImageFsInfo"} {
		methods[m] = true
	}
}

// New returns a Runtime configured by opts (nil means defaults). It fails on
// a PodCIDR that does not parse or lies outside 198.18.0.0/15.
func New(opts *Options) (*Runtime, error) {
	if opts == nil {
		opts = &Options{}
	}
	cidr := opts.PodCIDR
	if cidr == "" {
		cidr = DefaultPodCIDR
	}
	pool, err := newIPAM(cidr)
	if err != nil {
		return nil, err
	}
	r := &Runtime{
		clock:        opts.Clock,
		log:          opts.Logger,
		name:         opts.RuntimeName,
		ver:          opts.RuntimeVersion,
		hostIP:       opts.HostIP,
		streamingURL: strings.TrimSuffix(opts.StreamingURL, "/"),
		refusals:     map[string]bool{},
		record:       opts.RecordCalls,
		exec:         opts.ExecSync,
		ipam:         pool,
		podCIDR:      cidr,
		sandboxes:    map[string]*sandbox{},
		containers:   map[string]*container{},
		names:        map[string]string{},
		images:       map[string]*image{},
		refs:         map[string]string{},
		failures:     map[string]*failure{},
		counts:       map[string]int{},
	}
	if r.clock == nil {
		r.clock = RealClock{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.name == "" {
		r.name = DefaultRuntimeName
	}
	if r.ver == "" {
		r.ver = DefaultRuntimeVersion
	}
	if r.hostIP == "" {
		r.hostIP = DefaultHostIP
	}
	if _, err := netip.ParseAddr(r.hostIP); err != nil {
		return nil, fmt.Errorf("fake: HostIP %q: %w", r.hostIP, cri.ErrInvalidArgument)
	}
	for _, ref := range opts.PullRefusal {
		n, err := normalizeRef(ref)
		if err != nil {
			return nil, err
		}
		r.refusals[n] = true
	}
	for _, ref := range opts.Images {
		if _, err := r.addImage(ref); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// failure is a pending injected failure of one method.
type failure struct {
	n   int
	err error
}

// FailNext makes the next n calls of method (a CRI method name such as
// "RunPodSandbox") fail with err, or with an error wrapping
// cri.ErrUnavailable when err is nil. n = 0 clears it.
func (r *Runtime) FailNext(method string, n int, err error) error {
	if !methods[method] {
		return fmt.Errorf("fake: FailNext: unknown CRI method %q: %w", method, cri.ErrInvalidArgument)
	}
	if n < 0 {
		return fmt.Errorf("fake: FailNext: negative count %d: %w", n, cri.ErrInvalidArgument)
	}
	if err == nil {
		err = fmt.Errorf("fake: injected failure of %s: %w", method, cri.ErrUnavailable)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n == 0 {
		delete(r.failures, method)
		return nil
	}
	r.failures[method] = &failure{n: n, err: err}
	return nil
}

// SetExecSync replaces the ExecSync simulation (nil restores the built-in
// one).
func (r *Runtime) SetExecSync(fn ExecFunc) {
	r.mu.Lock()
	r.exec = fn
	r.mu.Unlock()
}

// CallCount returns how many times method was called (failed calls
// included).
func (r *Runtime) CallCount(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[method]
}

// Calls returns the recorded calls in order; empty unless
// Options.RecordCalls is set.
func (r *Runtime) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// enter counts and records a call and returns its injected failure, if any.
// It also fails calls whose context is already done.
func (r *Runtime) enter(ctx context.Context, method string, req any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[method]++
	if r.record {
		r.calls = append(r.calls, Call{Method: method, Request: req})
	}
	if f := r.failures[method]; f != nil {
		f.n--
		if f.n <= 0 {
			delete(r.failures, method)
		}
		return f.err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fake: %s: %w", method, err)
	}
	return nil
}

// newID returns a random 64-hex-digit ID like real runtimes use.
func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails on Linux (documented by crypto/rand)
	return hex.EncodeToString(b[:])
}

// matchID reports whether id matches a filter ID: equal, or the filter is a
// prefix of id (runtimes accept truncated IDs).
func matchID(filter, id string) bool {
	return filter == "" || strings.HasPrefix(id, filter)
}

func matchLabels(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Version reports the fake's name and version and CRI v1.
func (r *Runtime) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	if err := r.enter(ctx, "Version", req); err != nil {
		return nil, err
	}
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       r.name,
		RuntimeVersion:    r.ver,
		RuntimeApiVersion: cri.APIVersion,
	}, nil
}

// UpdateRuntimeConfig records the pod CIDR; Status reports it in its info
// when verbose. The fake keeps allocating from Options.PodCIDR.
func (r *Runtime) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	if err := r.enter(ctx, "UpdateRuntimeConfig", req); err != nil {
		return nil, err
	}
	if cidr := req.GetRuntimeConfig().GetNetworkConfig().GetPodCidr(); cidr != "" {
		r.mu.Lock()
		r.podCIDR = cidr
		r.mu.Unlock()
	}
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

// Status reports RuntimeReady and NetworkReady, both true.
func (r *Runtime) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	if err := r.enter(ctx, "Status", req); err != nil {
		return nil, err
	}
	resp := &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: true},
	}}}
	if req.GetVerbose() {
		r.mu.Lock()
		resp.Info = map[string]string{"podCIDR": r.podCIDR}
		r.mu.Unlock()
	}
	return resp, nil
}

// streamURL builds a streaming URL or reports that streaming is off.
func (r *Runtime) streamURL(kind string) (string, error) {
	if r.streamingURL == "" {
		return "", fmt.Errorf("fake: %s streaming needs Options.StreamingURL: %w", kind, cri.ErrUnimplemented)
	}
	return r.streamingURL + "/" + kind + "/" + newID()[:16], nil
}

// sortedKeys returns a map's keys in order, for deterministic listings.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nanos returns t as CRI Unix nanoseconds (0 for the zero time).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
