package proxytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/internal/testenv"
)

// NetNS is a named network namespace created with `ip netns add`.
type NetNS struct {
	Name string
	// Path is the namespace's file, /run/netns/Name.
	Path string
}

// Do runs fn on an OS thread switched into the namespace; sockets fn
// creates belong to the namespace and keep working from any goroutine.
func (n *NetNS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(n.Path)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		ferr := fn()
		// A thread that cannot return to its namespace stays locked and
		// dies with this goroutine.
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// Dial connects from inside the namespace.
func (n *NetNS) Dial(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
	var c net.Conn
	err := n.Do(func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr.String())
		return err
	})
	return c, err
}

// Topology is a "node" network namespace with "pod" namespaces attached by
// veth pairs: pod i has the address 198.18.(i+1).2/24 behind the node's
// 198.18.(i+1).1, and the node routes the service range over the first
// veth (the kernel may lack dummy links).
type Topology struct {
	Node *NetNS
	// NodeIP is the node's address on the first veth.
	NodeIP netip.Addr
	Pods   []*Pod
}

// Pod is one pod namespace.
type Pod struct {
	Name string
	NS   *NetNS
	IP   netip.Addr
}

// ServiceCIDR is the range Topology routes as service VIPs.
var ServiceCIDR = netip.MustParsePrefix("198.19.0.0/16")

// NewTopology creates a node and pods namespaces, gated on root and the ip
// command; everything is deleted in t.Cleanup, also when the test fails.
func NewTopology(t testing.TB, pods int) *Topology {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.Need(t, "ip")
	id := randomID()
	topo := &Topology{Node: addNetNS(t, "ls-node-"+id), NodeIP: netip.MustParseAddr("198.18.1.1")}
	ip(t, "-n", topo.Node.Name, "link", "set", "lo", "up")
	for i := range pods {
		p := &Pod{Name: fmt.Sprintf("pod%d", i), NS: addNetNS(t, fmt.Sprintf("ls-pod%d-%s", i, id)),
			IP: netip.AddrFrom4([4]byte{198, 18, byte(i + 1), 2})}
		gw := netip.AddrFrom4([4]byte{198, 18, byte(i + 1), 1})
		nodeSide := fmt.Sprintf("vpod%d", i)
		ip(t, "link", "add", nodeSide, "netns", topo.Node.Name, "type", "veth", "peer", "name", "eth0", "netns", p.NS.Name)
		ip(t, "-n", topo.Node.Name, "addr", "add", gw.String()+"/24", "dev", nodeSide)
		ip(t, "-n", topo.Node.Name, "link", "set", nodeSide, "up")
		ip(t, "-n", p.NS.Name, "addr", "add", p.IP.String()+"/24", "dev", "eth0")
		ip(t, "-n", p.NS.Name, "link", "set", "eth0", "up")
		ip(t, "-n", p.NS.Name, "link", "set", "lo", "up")
		ip(t, "-n", p.NS.Name, "route", "add", "default", "via", gw.String())
		topo.Pods = append(topo.Pods, p)
	}
	if pods > 0 {
		ip(t, "-n", topo.Node.Name, "route", "add", ServiceCIDR.String(), "dev", "vpod0")
	}
	ip(t, "netns", "exec", topo.Node.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	return topo
}

// NewNodeNS creates a lone network namespace for a test, deleted in
// t.Cleanup; gated on root and the ip command.
func NewNodeNS(t testing.TB) *NetNS {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.Need(t, "ip")
	return addNetNS(t, "ls-ns-"+randomID())
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func addNetNS(t testing.TB, name string) *NetNS {
	t.Helper()
	t.Cleanup(func() {
		// Deleting a namespace deletes the veth ends inside it.
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
			t.Logf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	ip(t, "netns", "add", name)
	return &NetNS{Name: name, Path: "/run/netns/" + name}
}

func ip(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
