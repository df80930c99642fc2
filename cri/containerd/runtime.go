package containerd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cni"
	"github.com/longshore/longshore/cri"
)

// Defaults for Options fields left empty.
const (
	DefaultNamespace    = "longshore"
	DefaultRuntime      = "io.containerd.runc.v2"
	DefaultStateDir     = "/run/longshore/cri"
	DefaultSnapshotter  = "overlayfs"
	DefaultSandboxImage = "localhost/longshore/pause:1"
	// RuntimeName is what Version reports as the runtime name.
	RuntimeName = "longshore-containerd"
	// RuntimeVersion is what Version reports as the runtime version.
	RuntimeVersion = "0.1.0"
)

// Options configures a Runtime. The zero value works with defaults, with
// pods that get a network namespace holding only a loopback interface.
type Options struct {
	// Namespace is the containerd namespace everything lives in.
	Namespace string
	// CNI attaches sandboxes to the pod network; nil gives pods a private
	// namespace with loopback only.
	CNI *cni.Manager
	// NetnsDir is where pod network namespaces are pinned (netns.DefaultDir
	// when empty).
	NetnsDir string
	// StateDir holds per-sandbox files (hosts, resolv.conf, hostname) and
	// the FIFOs of container output.
	StateDir string
	// SandboxImage is the pause image; it must be present (ImportArchive or
	// PullImage it).
	SandboxImage string
	// Runtime is the containerd runtime (shim) name.
	Runtime string
	// Snapshotter unpacks images and makes container root filesystems.
	Snapshotter string
	// Logger receives debug records of lifecycle operations; nil discards.
	Logger *slog.Logger
}

// Runtime is a CRI RuntimeService and ImageService over containerd's
// client. It is safe for concurrent use.
type Runtime struct {
	client *containerd.Client
	opts   Options
	log    *slog.Logger

	mu         sync.RWMutex
	sandboxes  map[string]*sandbox
	containers map[string]*container
	names      map[string]string // reserved sandbox and container names -> ID
	podCIDR    string
	events     cri.EventBroadcaster
	closed     chan struct{} // closed by Close

	imgMu     sync.Mutex
	imgCache  map[string]*imageInfo
	closeOnce sync.Once
}

var (
	_ cri.RuntimeService = (*Runtime)(nil)
	_ cri.ImageService   = (*Runtime)(nil)
)

// New connects to containerd at address (a unix socket path) and rebuilds
// its table of sandboxes and containers from the containerd containers of
// opts.Namespace, so a Runtime restarted over the same containerd sees the
// pods of its predecessor. Running containers get their logs re-attached.
func New(ctx context.Context, address string, opts *Options) (*Runtime, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Runtime == "" {
		o.Runtime = DefaultRuntime
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.SandboxImage == "" {
		o.SandboxImage = DefaultSandboxImage
	}
	if o.Snapshotter == "" {
		o.Snapshotter = DefaultSnapshotter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := os.Stat(strings.TrimPrefix(address, "unix://")); err != nil {
		return nil, fmt.Errorf("containerd: socket %s: %w: %v", address, cri.ErrUnavailable, err)
	}
	if err := os.MkdirAll(o.StateDir, 0o711); err != nil {
		return nil, fmt.Errorf("containerd: state dir: %w", err)
	}
	client, err := containerd.New(address, containerd.WithDefaultNamespace(o.Namespace), containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("containerd: connect %s: %w: %v", address, cri.ErrUnavailable, err)
	}
	r := &Runtime{
		client:     client,
		opts:       o,
		log:        o.Logger,
		sandboxes:  map[string]*sandbox{},
		containers: map[string]*container{},
		names:      map[string]string{},
		closed:     make(chan struct{}),
		imgCache:   map[string]*imageInfo{},
	}
	if err := r.rebuild(r.ns(ctx)); err != nil {
		client.Close()
		return nil, err
	}
	return r, nil
}

// Close disconnects from containerd and closes the logs. Containers keep
// running; their output FIFOs have no reader until a new Runtime attaches
// to them.
func (r *Runtime) Close() error {
	r.closeOnce.Do(func() { close(r.closed) })
	r.mu.Lock()
	for _, c := range r.containers {
		c.detachIO()
		if c.log != nil {
			c.log.Close()
		}
	}
	r.mu.Unlock()
	return r.client.Close()
}

// waitExit returns the task's exit once it ends. A broken wait (containerd
// restarting) is retried; ok is false when the Runtime is closed first.
func (r *Runtime) waitExit(task containerd.Task, exitCh <-chan containerd.ExitStatus) (code uint32, at time.Time, ok bool) {
	for {
		var st containerd.ExitStatus
		select {
		case st = <-exitCh:
		case <-r.closed:
			return 0, time.Time{}, false
		}
		code, at, err := st.Result()
		if err == nil {
			return code, at, true
		}
		select {
		case <-r.closed:
			return 0, time.Time{}, false
		case <-time.After(time.Second):
		}
		ctx := r.ns(context.Background())
		if s, err := task.Status(ctx); err == nil && s.Status == containerd.Stopped {
			return s.ExitStatus, s.ExitTime, true
		} else if errdefs.IsNotFound(err) {
			return 255, time.Now(), true
		}
		if ch, err := task.Wait(ctx); err == nil {
			exitCh = ch
		}
	}
}

// Client returns the containerd client, for callers that need more than CRI.
func (r *Runtime) Client() *containerd.Client { return r.client }

// ns puts the Runtime's containerd namespace into ctx.
func (r *Runtime) ns(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.opts.Namespace)
}

// Version reports the runtime name and versions.
func (r *Runtime) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       RuntimeName,
		RuntimeVersion:    RuntimeVersion,
		RuntimeApiVersion: cri.APIVersion,
	}, nil
}

// Status reports RuntimeReady (containerd answers) and NetworkReady (the
// CNI manager's Status, or true without CNI).
func (r *Runtime) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	runtimeCond := &runtimeapi.RuntimeCondition{Type: runtimeapi.RuntimeReady, Status: true}
	if ok, err := r.client.IsServing(r.ns(ctx)); err != nil || !ok {
		runtimeCond.Status = false
		runtimeCond.Reason = "ContainerdNotServing"
		runtimeCond.Message = fmt.Sprint(err)
	}
	netCond := &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}
	if r.opts.CNI != nil {
		if err := r.opts.CNI.Status(ctx); err != nil {
			netCond.Status = false
			netCond.Reason = "NetworkPluginNotReady"
			netCond.Message = err.Error()
		}
	}
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{runtimeCond, netCond}}}, nil
}

// UpdateRuntimeConfig records the pod CIDR (reported back by nothing today:
// the CNI configuration decides addresses) and reloads the CNI
// configuration, which is when a node's network usually appears.
func (r *Runtime) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	r.mu.Lock()
	r.podCIDR = req.GetRuntimeConfig().GetNetworkConfig().GetPodCidr()
	r.mu.Unlock()
	if r.opts.CNI != nil {
		if err := r.opts.CNI.Reload(); err != nil && !errors.Is(err, cni.ErrNoConfig) {
			return nil, fmt.Errorf("containerd: reload CNI: %w", err)
		}
	}
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

// PodCIDR returns the pod CIDR last given to UpdateRuntimeConfig.
func (r *Runtime) PodCIDR() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.podCIDR
}

// newID returns a random 64-hex-digit ID, like containerd's CRI.
func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// reserve claims a sandbox or container name; the error wraps
// cri.ErrAlreadyExists if another object holds it.
func (r *Runtime) reserve(name, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if other, ok := r.names[name]; ok && other != id {
		return fmt.Errorf("name %q is used by %s: %w", name, other, cri.ErrAlreadyExists)
	}
	r.names[name] = id
	return nil
}

func (r *Runtime) release(name, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[name] == id {
		delete(r.names, name)
	}
}

// mapErr turns containerd errors into cri sentinels.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errdefs.IsNotFound(err):
		return fmt.Errorf("%w: %v", cri.ErrNotFound, err)
	case errdefs.IsAlreadyExists(err):
		return fmt.Errorf("%w: %v", cri.ErrAlreadyExists, err)
	case errdefs.IsInvalidArgument(err):
		return fmt.Errorf("%w: %v", cri.ErrInvalidArgument, err)
	case errdefs.IsFailedPrecondition(err):
		return fmt.Errorf("%w: %v", cri.ErrFailedPrecondition, err)
	case errdefs.IsUnavailable(err):
		return fmt.Errorf("%w: %v", cri.ErrUnavailable, err)
	}
	return err
}

// Labels that record CRI state on containerd containers.
const (
	labelPrefix      = "io.longshore.cri."
	labelKind        = labelPrefix + "kind"
	labelName        = labelPrefix + "name"
	labelNamespace   = labelPrefix + "namespace"
	labelUID         = labelPrefix + "uid"
	labelAttempt     = labelPrefix + "attempt"
	labelCreated     = labelPrefix + "created"
	labelStarted     = labelPrefix + "started"
	labelStopped     = labelPrefix + "stopped"
	labelNetns       = labelPrefix + "netns"
	labelIPs         = labelPrefix + "ips"
	labelHostNetwork = labelPrefix + "host-network"
	labelLogDir      = labelPrefix + "log-dir"
	labelHandler     = labelPrefix + "runtime-handler"
	labelSandbox     = labelPrefix + "sandbox"
	labelImage       = labelPrefix + "image"
	labelImageRef    = labelPrefix + "image-ref"
	labelLogPath     = labelPrefix + "log-path"
	labelMounts      = labelPrefix + "mounts"
	labelStopSig     = labelPrefix + "stop-signal"
	userLabelPrefix  = labelPrefix + "label/"
	annotationPrefix = labelPrefix + "annotation/"
	kindSandbox      = "sandbox"
	kindContainer    = "container"
)

// putMap stores a CRI label or annotation map under prefix.
func putMap(dst map[string]string, prefix string, m map[string]string) {
	for k, v := range m {
		dst[prefix+k] = v
	}
}

// getMap reads back what putMap stored.
func getMap(src map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range src {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// sandboxDir holds a sandbox's hosts, resolv.conf and hostname files.
func (r *Runtime) sandboxDir(id string) string {
	return filepath.Join(r.opts.StateDir, "sandboxes", id)
}

// fifoDir holds a container's output FIFOs.
func (r *Runtime) fifoDir(id string) string {
	return filepath.Join(r.opts.StateDir, "fifo", id)
}

// labelSelected reports whether labels hold every pair of sel.
func labelSelected(labels, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// cleanupCtx returns a context for cleanup that must run even when the
// caller's context is done.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
}
