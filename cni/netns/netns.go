package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"golang.org/x/sys/unix"
)

// DefaultDir is where namespaces are pinned when no directory is given; it is
// the directory iproute2 uses, so `ip netns` sees them.
const DefaultDir = "/var/run/netns"

var (
	// ErrInvalidName is returned for a namespace name that is empty, "." or
	// "..", or contains a path separator.
	ErrInvalidName = errors.New("netns: invalid name")
	// ErrExists is returned by Create when the name is already pinned.
	ErrExists = errors.New("netns: already exists")
	// ErrNotFound is returned when a path is not a pinned network namespace.
	ErrNotFound = errors.New("netns: not found")
)

// NetNS is a pinned network namespace. Its methods are safe for concurrent
// use.
type NetNS struct {
	path string
}

// Path returns the file that pins the namespace, e.g. /var/run/netns/pod1.
func (n *NetNS) Path() string { return n.path }

// Name returns the base name of the pin file.
func (n *NetNS) Name() string { return filepath.Base(n.path) }

// String returns the path.
func (n *NetNS) String() string { return n.path }

func validName(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

func dirOrDefault(dir string) string {
	if dir == "" {
		return DefaultDir
	}
	return dir
}

// Create makes a new network namespace and pins it at dir/name (dir "" means
// DefaultDir; it is created if missing). On any error nothing is left
// behind: no pin file, no mount, and the creating thread is back in its
// original namespace (or retired).
func Create(dir, name string) (*NetNS, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	dir = dirOrDefault(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("netns create %s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("netns create %s: %w", path, ErrExists)
		}
		return nil, fmt.Errorf("netns create %s: %w", path, err)
	}
	f.Close()

	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open(threadNS(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		mountErr := unix.Mount(threadNS(), path, "none", unix.MS_BIND, "")
		if mountErr != nil {
			mountErr = fmt.Errorf("bind mount: %w", mountErr)
		}
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: the runtime retires it when this
			// goroutine ends instead of reusing it elsewhere.
			if mountErr == nil {
				unix.Unmount(path, unix.MNT_DETACH)
			}
			errc <- errors.Join(mountErr, fmt.Errorf("restore namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- mountErr
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("netns create %s: %w", path, err)
	}
	return &NetNS{path: path}, nil
}

// Get returns the namespace pinned at dir/name (dir "" means DefaultDir), or
// an error wrapping ErrNotFound.
func Get(dir, name string) (*NetNS, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	return Open(filepath.Join(dirOrDefault(dir), name))
}

// Open returns the namespace at path, which must be an nsfs file such as a
// pin file or /proc/PID/ns/net; otherwise the error wraps ErrNotFound.
func Open(path string) (*NetNS, error) {
	if !isNS(path) {
		return nil, fmt.Errorf("netns open %s: %w", path, ErrNotFound)
	}
	return &NetNS{path: path}, nil
}

// isNS reports whether path is an nsfs file (a live namespace).
func isNS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}

// List returns the sorted names of the namespaces pinned in dir (dir ""
// means DefaultDir). A missing directory yields an empty list; files that
// are not live namespaces are skipped.
func List(dir string) ([]string, error) {
	dir = dirOrDefault(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("netns list %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if isNS(filepath.Join(dir, e.Name())) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Delete unmounts and removes the pin file. The namespace itself disappears
// once no process and no open file refers to it. Delete is idempotent.
func (n *NetNS) Delete() error { return Delete(n.path) }

// Delete unmounts and removes the pin file at path. A path that does not
// exist, or is no longer mounted, is not an error.
func Delete(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil &&
		!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netns delete %s: unmount: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns delete %s: %w", path, err)
	}
	return nil
}

// Do runs fn on an OS thread that has joined the namespace, then returns the
// thread to its original namespace. It returns fn's error (a panic in fn is
// returned as an error), or an error from entering the namespace (fn does
// not run then). See the package Caveats
// for goroutines started by fn.
func (n *NetNS) Do(fn func() error) error { return Do(n.path, fn) }

// Do is NetNS.Do for a namespace given by path (a pin file or
// /proc/PID/ns/net).
func Do(path string, fn func() error) error {
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns do %s: %w", path, err)
	}
	defer unix.Close(target)
	if !isNS(path) {
		return fmt.Errorf("netns do %s: %w", path, ErrNotFound)
	}

	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open(threadNS(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns do %s: current namespace: %w", path, err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns do %s: setns: %w", path, err)
			return
		}
		var fnErr error
		func() {
			// A panic in fn must not skip the restore below; it is
			// reported as an error instead.
			defer func() {
				if r := recover(); r != nil {
					fnErr = fmt.Errorf("netns do %s: panic in fn: %v", path, r)
				}
			}()
			fnErr = fn()
		}()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: the runtime kills it on goroutine exit.
			errc <- errors.Join(fnErr, fmt.Errorf("netns do %s: restore: %w", path, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- fnErr
	}()
	return <-errc
}

// threadNS is the network namespace file of the calling OS thread.
func threadNS() string {
	return fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
}

// SetLoopbackUp brings the namespace's "lo" interface up: a new namespace
// starts with it down, and containers expect 127.0.0.1 to work.
func (n *NetNS) SetLoopbackUp() error {
	err := n.Do(func() error { return setLinkUp("lo") })
	if err != nil {
		return fmt.Errorf("netns %s: loopback up: %w", n.path, err)
	}
	return nil
}

// setLinkUp sets an interface of the calling thread's namespace up.
func setLinkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
