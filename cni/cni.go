package cni

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/longshore/longshore/cni/netns"
)

// Defaults for Options fields left empty.
const (
	DefaultConfDir  = "/etc/cni/net.d"
	DefaultCacheDir = "/var/lib/cni"
)

// DefaultBinDirs are searched for plugins when Options.BinDirs is empty:
// Debian's package location first, then the upstream one.
var DefaultBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Options configures a Manager. The zero value works: it reads
// DefaultConfDir, runs plugins from DefaultBinDirs and caches results in
// DefaultCacheDir.
type Options struct {
	// ConfDir holds the network configuration files.
	ConfDir string
	// BinDirs are searched in order for plugin binaries.
	BinDirs []string
	// CacheDir is where libcni keeps the result and config of each
	// attachment, needed for DEL, CHECK and GC. Give each Manager its own
	// directory in tests.
	CacheDir string
	// HostNetns, if set, is the network namespace (a path, see package
	// netns) the plugins run in and treat as the host: the bridge, the host
	// ends of veths and portmap's rules go there instead of into the
	// caller's namespace. Use it to build "nodes" out of namespaces.
	HostNetns string
	// Logger receives debug records of attachments and warnings about
	// configuration files that do not load; nil discards them.
	Logger *slog.Logger
}

// Attachment identifies an existing attachment, as kept in the cache.
type Attachment struct {
	// ID is the Pod.ID the attachment was made for.
	ID string
	// IfName is the interface name in the pod.
	IfName string
	// Network is the name of the network list.
	Network string
	// NetnsPath is the namespace the attachment was made in.
	NetnsPath string
}

// Manager attaches pods to the first network configuration of a directory.
// It is safe for concurrent use: operations on different pods run in
// parallel, operations on the same Pod.ID are serialized, and GC excludes
// all of them while it runs.
type Manager struct {
	confDir   string
	binDirs   []string
	hostNetns string
	log       *slog.Logger
	cni       *libcni.CNIConfig

	mu      sync.RWMutex // guards list, file and loadErr
	list    *libcni.NetworkConfigList
	file    string
	loadErr error

	gcMu  sync.RWMutex // read-held by pod operations, write-held by GC
	locks keyedMutex
}

// New returns a Manager and loads the configuration directory. A directory
// without a usable configuration is not an error here (a node's network
// plugin is often installed after the node agent starts): Status and Attach
// report ErrNoConfig until Reload finds one.
func New(opts Options) (*Manager, error) {
	if opts.ConfDir == "" {
		opts.ConfDir = DefaultConfDir
	}
	if len(opts.BinDirs) == 0 {
		opts.BinDirs = DefaultBinDirs
	}
	if opts.CacheDir == "" {
		opts.CacheDir = DefaultCacheDir
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{
		confDir:   opts.ConfDir,
		binDirs:   slices.Clone(opts.BinDirs),
		hostNetns: opts.HostNetns,
		log:       opts.Logger,
	}
	// An explicit Exec: libcni fills a nil one lazily, which is a data
	// race between concurrent first calls.
	exec := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: logWriter{m.log}}, PluginDecoder: version.PluginDecoder{}}
	m.cni = libcni.NewCNIConfigWithCacheDir(slices.Clone(opts.BinDirs), opts.CacheDir, exec)
	if err := m.Reload(); err != nil && !errors.Is(err, ErrNoConfig) {
		return nil, err
	}
	return m, nil
}

// Reload reads the configuration directory again: the first file by name
// (.conflist, .conf or .json) that parses becomes the network for later
// attachments. Existing attachments keep the configuration they were made
// with (from the cache) for Detach and Check. The error wraps ErrNoConfig
// if nothing loads.
func (m *Manager) Reload() error {
	list, file, err := loadDir(m.confDir, func(f string, err error) {
		m.log.Warn("cni: skipping network config", "file", f, "err", err)
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list, m.file, m.loadErr = list, file, err
	if err != nil {
		return err
	}
	m.log.Debug("cni: loaded network config", "file", file, "network", list.Name, "cniVersion", list.CNIVersion)
	return nil
}

// Network describes the current configuration, or returns an error
// wrapping ErrNoConfig.
func (m *Manager) Network() (Network, error) {
	list, file, err := m.current()
	if err != nil {
		return Network{}, err
	}
	return describe(list, file), nil
}

func (m *Manager) current() (*libcni.NetworkConfigList, string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.list, m.file, m.loadErr
}

// checkPlugins verifies that every plugin of list is installed.
func (m *Manager) checkPlugins(list *libcni.NetworkConfigList) error {
	for _, p := range list.Plugins {
		if _, err := findPlugin(p.Network.Type, m.binDirs); err != nil {
			return fmt.Errorf("network %q: %w", list.Name, err)
		}
	}
	return nil
}

// Attach adds the pod to the network and returns what the plugins gave it.
// If the plugins fail, Attach runs DEL so that no partial attachment (an
// allocated address, a veth) is left behind. Attaching a pod that is
// already attached to the current network returns the cached result.
func (m *Manager) Attach(ctx context.Context, pod Pod) (*Result, error) {
	if err := pod.validate(); err != nil {
		return nil, err
	}
	if pod.NetnsPath == "" {
		return nil, fmt.Errorf("%w: empty NetnsPath", ErrInvalidPod)
	}
	list, _, err := m.current()
	if err != nil {
		return nil, err
	}
	if err := m.checkPlugins(list); err != nil {
		return nil, err
	}
	m.gcMu.RLock()
	defer m.gcMu.RUnlock()
	unlock := m.locks.lock(pod.ID)
	defer unlock()

	rt := pod.runtimeConf(pod.NetnsPath)
	if cached, err := m.cni.GetNetworkListCachedResult(list, rt); err == nil && cached != nil {
		return convertResult(cached)
	}
	var res cnitypes.Result
	err = m.inHost(func() error {
		var err error
		res, err = m.cni.AddNetworkList(ctx, list, rt)
		return err
	})
	if err != nil {
		addErr := mapError("ADD", list.Name, err)
		// Use a fresh context: the caller's may be what ended the ADD.
		delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if delErr := m.inHost(func() error { return m.cni.DelNetworkList(delCtx, list, rt) }); delErr != nil {
			m.log.Warn("cni: cleanup after failed ADD", "pod", pod.ID, "err", delErr)
		}
		return nil, addErr
	}
	out, err := convertResult(res)
	if err != nil {
		return nil, err
	}
	m.log.Debug("cni: attached", "pod", pod.ID, "network", list.Name, "ips", out.Addrs())
	return out, nil
}

// Detach removes the pod from every network it is attached to (as the cache
// records), with the configuration each attachment was made with. It is
// idempotent: a pod never attached, already detached, or whose namespace is
// gone is detached without error. When the cache has no record (an ADD that
// crashed before it finished), DEL runs with the current configuration so
// that plugins release what they may hold.
func (m *Manager) Detach(ctx context.Context, pod Pod) error {
	if err := pod.validate(); err != nil {
		return err
	}
	m.gcMu.RLock()
	defer m.gcMu.RUnlock()
	unlock := m.locks.lock(pod.ID)
	defer unlock()

	atts, err := m.cni.GetCachedAttachments(pod.ID)
	if err != nil {
		return fmt.Errorf("cni: read cache: %w", err)
	}
	var errs []error
	for _, a := range atts {
		if a.IfName != pod.ifName() {
			continue
		}
		errs = append(errs, m.delCached(ctx, a, pod.NetnsPath))
	}
	if len(atts) > 0 {
		return errors.Join(errs...)
	}
	list, _, err := m.current()
	if err != nil {
		if errors.Is(err, ErrNoConfig) {
			return nil
		}
		return err
	}
	rt := pod.runtimeConf(existingPath(pod.NetnsPath))
	return mapError("DEL", list.Name, m.inHost(func() error { return m.cni.DelNetworkList(ctx, list, rt) }))
}

// delCached runs DEL for a cached attachment with its own configuration.
func (m *Manager) delCached(ctx context.Context, a *libcni.NetworkAttachment, netns string) error {
	list, err := parseConfig(a.Config)
	if err != nil {
		return fmt.Errorf("cni: cached config of %s/%s: %w", a.ContainerID, a.Network, err)
	}
	if netns == "" {
		netns = a.NetNS
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    a.ContainerID,
		NetNS:          existingPath(netns),
		IfName:         a.IfName,
		Args:           a.CniArgs,
		CapabilityArgs: a.CapabilityArgs,
	}
	if err := m.inHost(func() error { return m.cni.DelNetworkList(ctx, list, rt) }); err != nil {
		return mapError("DEL", list.Name, err)
	}
	m.log.Debug("cni: detached", "pod", a.ContainerID, "network", list.Name)
	return nil
}

// existingPath returns path if it exists, else "": the CNI spec lets DEL
// run without a namespace, and plugins then release what they can.
func existingPath(path string) string {
	if path == "" {
		return ""
	}
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// Check asks the plugins to verify the pod's attachment (CNI CHECK, spec
// 0.4.0 and later), with the configuration it was made with. A pod that is
// not attached, or whose interface was removed, gives an error.
func (m *Manager) Check(ctx context.Context, pod Pod) error {
	if err := pod.validate(); err != nil {
		return err
	}
	m.gcMu.RLock()
	defer m.gcMu.RUnlock()
	unlock := m.locks.lock(pod.ID)
	defer unlock()

	atts, err := m.cni.GetCachedAttachments(pod.ID)
	if err != nil {
		return fmt.Errorf("cni: read cache: %w", err)
	}
	for _, a := range atts {
		if a.IfName != pod.ifName() {
			continue
		}
		list, err := parseConfig(a.Config)
		if err != nil {
			return fmt.Errorf("cni: cached config of %s: %w", pod.ID, err)
		}
		netns := pod.NetnsPath
		if netns == "" {
			netns = a.NetNS
		}
		rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: netns, IfName: a.IfName, Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs}
		if err := m.inHost(func() error { return m.cni.CheckNetworkList(ctx, list, rt) }); err != nil {
			return mapError("CHECK", list.Name, err)
		}
		return nil
	}
	return fmt.Errorf("%w: pod %s has no attachment on %s", ErrInvalidPod, pod.ID, pod.ifName())
}

// Attachments lists the attachments recorded in the cache, sorted by ID.
func (m *Manager) Attachments() ([]Attachment, error) {
	atts, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("cni: read cache: %w", err)
	}
	out := make([]Attachment, 0, len(atts))
	for _, a := range atts {
		out = append(out, Attachment{ID: a.ContainerID, IfName: a.IfName, Network: a.Network, NetnsPath: a.NetNS})
	}
	slices.SortFunc(out, func(a, b Attachment) int {
		if a.ID != b.ID {
			if a.ID < b.ID {
				return -1
			}
			return 1
		}
		if a.IfName < b.IfName {
			return -1
		}
		if a.IfName > b.IfName {
			return 1
		}
		return 0
	})
	return out, nil
}

// GC removes every cached attachment that is not in valid (matched on ID
// and IfName; an empty IfName in valid means DefaultIfName) with a DEL, on
// whatever network it was made, then, for configurations of spec 1.1.0 or
// later, sends the plugins a CNI GC with the valid list so they can drop
// state the cache does not know about. Pod operations wait while GC runs,
// so valid must name every pod that should survive.
func (m *Manager) GC(ctx context.Context, valid []Attachment) error {
	m.gcMu.Lock()
	defer m.gcMu.Unlock()

	keep := make(map[cnitypes.GCAttachment]bool, len(valid))
	gcValid := make([]cnitypes.GCAttachment, 0, len(valid))
	for _, v := range valid {
		ifName := v.IfName
		if ifName == "" {
			ifName = DefaultIfName
		}
		a := cnitypes.GCAttachment{ContainerID: v.ID, IfName: ifName}
		keep[a] = true
		gcValid = append(gcValid, a)
	}
	atts, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return fmt.Errorf("cni: read cache: %w", err)
	}
	var errs []error
	for _, a := range atts {
		if keep[cnitypes.GCAttachment{ContainerID: a.ContainerID, IfName: a.IfName}] {
			continue
		}
		m.log.Debug("cni: gc stale attachment", "pod", a.ContainerID, "ifname", a.IfName, "network", a.Network)
		if err := m.delCached(ctx, a, ""); err != nil {
			errs = append(errs, err)
		}
	}
	list, _, err := m.current()
	if err == nil && !list.DisableGC {
		if ok, _ := version.GreaterThanOrEqualTo(list.CNIVersion, "1.1.0"); ok {
			err := m.inHost(func() error {
				return m.cni.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: gcValid})
			})
			if err != nil {
				errs = append(errs, mapError("GC", list.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Status reports whether the network is ready: a configuration is loaded,
// its plugins are installed, and (for spec 1.1.0 or later) every plugin
// answers CNI STATUS without error.
func (m *Manager) Status(ctx context.Context) error {
	list, _, err := m.current()
	if err != nil {
		return err
	}
	if err := m.checkPlugins(list); err != nil {
		return err
	}
	return mapError("STATUS", list.Name, m.inHost(func() error { return m.cni.GetStatusNetworkList(ctx, list) }))
}

// inHost runs fn, which starts plugin processes, in Options.HostNetns if
// set: a child process starts in the namespace of the thread that forks it.
func (m *Manager) inHost(fn func() error) error {
	if m.hostNetns == "" {
		return fn()
	}
	return netns.Do(m.hostNetns, fn)
}

// keyedMutex serializes operations per key without holding memory for
// keys nobody uses.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// logWriter passes what plugins print on stderr to the logger.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Debug("cni: plugin stderr", "text", string(p))
	return len(p), nil
}
