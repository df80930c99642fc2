package cni

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/internal/testenv"
)

// realNode is a "node" network namespace holding a bridge network made of
// the reference plugins. The Manager runs its plugins in the node namespace
// (Options.HostNetns), so the bridge, veth host ends and portmap's iptables rules live
// there and vanish with it: the test never touches the host's network.
type realNode struct {
	ns      *netns.NetNS
	nsDir   string
	m       *Manager
	subnet  netip.Prefix
	ipamDir string
	network string
}

// newRealNode needs root and the reference plugins; rangeStart/rangeEnd
// limit host-local's pool (0 means the whole /24).
func newRealNode(tb testing.TB, rangeStart, rangeEnd int) *realNode {
	tb.Helper()
	testenv.NeedRoot(tb)
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap"} {
		testenv.NeedFile(tb, filepath.Join("/usr/lib/cni", p))
	}
	testenv.Need(tb, "iptables", "nsenter")

	suffix := randomHex(tb, 4)
	third, err := rand.Int(rand.Reader, big.NewInt(256))
	if err != nil {
		tb.Fatal(err)
	}
	root := tb.TempDir()
	n := &realNode{
		nsDir:   filepath.Join(root, "netns"),
		subnet:  netip.MustParsePrefix(fmt.Sprintf("198.19.%d.0/24", third.Int64())),
		ipamDir: filepath.Join(root, "ipam"),
		network: "lstest-" + suffix,
	}
	n.ns, err = netns.Create(n.nsDir, "node")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.ns.Delete() })
	// The node's own loopback, for portmap's locally originated traffic.
	if out, err := exec.Command("nsenter", "--net="+n.ns.Path(), "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		tb.Fatalf("lo up: %v %s", err, out)
	}

	rng := map[string]any{"subnet": n.subnet.String()}
	base := n.subnet.Addr().As4()
	if rangeStart > 0 {
		rng["rangeStart"] = netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(rangeStart)}).String()
		rng["rangeEnd"] = netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(rangeEnd)}).String()
	}
	conf := filepath.Join(root, "net.d")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		tb.Fatal(err)
	}
	writeJSON(tb, filepath.Join(conf, "10-test.conflist"), map[string]any{
		"cniVersion": "1.0.0",
		"name":       n.network,
		"plugins": []map[string]any{
			{
				"type": "bridge", "bridge": "lsbr" + suffix, "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{"type": "host-local", "ranges": [][]map[string]any{{rng}}, "dataDir": n.ipamDir,
					"routes": []map[string]any{{"dst": "0.0.0.0/0"}}},
			},
			{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			{"type": "loopback"},
		},
	})
	n.m, err = New(Options{ConfDir: conf, CacheDir: filepath.Join(root, "cache"), HostNetns: n.ns.Path()})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)[:n*2]
}

// pod creates a pod namespace and returns its Pod; Cleanup detaches it
// and deletes the namespace.
func (n *realNode) pod(tb testing.TB, id string) Pod {
	tb.Helper()
	ns, err := netns.Create(n.nsDir, id)
	if err != nil {
		tb.Fatal(err)
	}
	pod := Pod{ID: id, Namespace: "default", Name: id, UID: "uid-" + id, NetnsPath: ns.Path()}
	tb.Cleanup(func() {
		n.detach(tb, pod)
		ns.Delete()
	})
	return pod
}

// attach, detach, check and gc go through the Manager, whose plugins run
// in the node namespace (Options.HostNetns).
func (n *realNode) attach(tb testing.TB, pod Pod) (*Result, error) {
	tb.Helper()
	return n.m.Attach(context.Background(), pod)
}

func (n *realNode) detach(tb testing.TB, pod Pod) error {
	tb.Helper()
	return n.m.Detach(context.Background(), pod)
}

func (n *realNode) check(tb testing.TB, pod Pod) error {
	tb.Helper()
	return n.m.Check(context.Background(), pod)
}

func (n *realNode) gc(tb testing.TB, valid ...Attachment) error {
	tb.Helper()
	return n.m.GC(context.Background(), valid)
}

// reserved lists the addresses host-local holds for the network.
func (n *realNode) reserved(tb testing.TB) []string {
	tb.Helper()
	ents, err := os.ReadDir(filepath.Join(n.ipamDir, n.network))
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	var ips []string
	for _, e := range ents {
		if _, err := netip.ParseAddr(e.Name()); err == nil {
			ips = append(ips, e.Name())
		}
	}
	return ips
}

func mustAttach(tb testing.TB, n *realNode, pod Pod) netip.Addr {
	tb.Helper()
	res, err := n.attach(tb, pod)
	if err != nil {
		tb.Fatalf("attach %s: %v", pod.ID, err)
	}
	addrs := res.Addrs()
	if len(addrs) != 1 || !n.subnet.Contains(addrs[0]) {
		tb.Fatalf("attach %s: addresses %v not one in %v", pod.ID, addrs, n.subnet)
	}
	return addrs[0]
}

// listen opens a TCP listener inside pod's namespace that answers each
// connection with the pod ID.
func listen(tb testing.TB, pod Pod, addr string) net.Listener {
	tb.Helper()
	var ln net.Listener
	err := netns.Do(pod.NetnsPath, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, pod.ID)
			c.Close()
		}
	}()
	return ln
}

// dialFrom connects from inside the namespace at nsPath and returns what
// the peer sent.
func dialFrom(nsPath, addr string) (string, error) {
	var got string
	err := netns.Do(nsPath, func() error {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c)
		got = string(b)
		return err
	})
	return got, err
}

func TestE2ETwoPodsOnABridge(t *testing.T) {
	n := newRealNode(t, 0, 0)
	a, b := n.pod(t, "pod-a"), n.pod(t, "pod-b")
	ipA, ipB := mustAttach(t, n, a), mustAttach(t, n, b)
	if ipA == ipB {
		t.Fatalf("both pods got %v", ipA)
	}
	res, err := n.attach(t, a) // cached
	if err != nil || res.IPs[0].Gateway != n.subnet.Addr().Next() || res.IPs[0].Interface != "eth0" {
		t.Fatalf("result = %+v, %v; want gateway %v on eth0", res, err, n.subnet.Addr().Next())
	}

	listen(t, b, netip.AddrPortFrom(ipB, 8080).String())
	got, err := dialFrom(a.NetnsPath, netip.AddrPortFrom(ipB, 8080).String())
	if err != nil || got != "pod-b" {
		t.Fatalf("pod-a -> pod-b: %q, %v", got, err)
	}
	// The loopback plugin brought lo up in the pod.
	listen(t, a, "127.0.0.1:8081")
	if got, err := dialFrom(a.NetnsPath, "127.0.0.1:8081"); err != nil || got != "pod-a" {
		t.Fatalf("pod-a loopback: %q, %v", got, err)
	}
	if err := n.check(t, a); err != nil {
		t.Fatalf("Check = %v", err)
	}

	// Check notices a removed interface.
	if out, err := exec.Command("nsenter", "--net="+a.NetnsPath, "ip", "link", "del", "eth0").CombinedOutput(); err != nil {
		t.Fatalf("ip link del: %v %s", err, out)
	}
	if err := n.check(t, a); err == nil {
		t.Fatal("Check passed after eth0 was removed")
	} else {
		t.Logf("Check after removal: %v", err)
	}
}

func TestE2EPortMapping(t *testing.T) {
	n := newRealNode(t, 0, 0)
	p := n.pod(t, "web")
	p.Capabilities.PortMappings = []PortMapping{{HostPort: 18080, ContainerPort: 8080, Protocol: "tcp"}}
	ip := mustAttach(t, n, p)
	listen(t, p, netip.AddrPortFrom(ip, 8080).String())
	// From the node, the node's bridge address on the host port reaches the
	// pod through portmap's DNAT for locally originated traffic.
	gw := n.subnet.Addr().Next()
	got, err := dialFrom(n.ns.Path(), netip.AddrPortFrom(gw, 18080).String())
	if err != nil || got != "web" {
		t.Fatalf("node -> %v:18080: %q, %v", gw, got, err)
	}
	if err := n.detach(t, p); err != nil {
		t.Fatal(err)
	}
	if _, err := dialFrom(n.ns.Path(), netip.AddrPortFrom(gw, 18080).String()); err == nil {
		t.Fatal("host port still forwarded after Detach")
	}
}

func TestE2EDetachFreesTheAddress(t *testing.T) {
	// A pool of exactly one address.
	n := newRealNode(t, 10, 10)
	first, second := n.pod(t, "first"), n.pod(t, "second")
	ip := mustAttach(t, n, first)
	if _, err := n.attach(t, second); err == nil {
		t.Fatal("second pod got an address from a pool of one")
	}
	if r := n.reserved(t); fmt.Sprint(r) != "["+ip.String()+"]" {
		t.Fatalf("reserved after failed attach = %v, want only %v", r, ip)
	}
	for i := range 2 {
		if err := n.detach(t, first); err != nil {
			t.Fatalf("detach #%d: %v", i, err)
		}
	}
	if r := n.reserved(t); len(r) != 0 {
		t.Fatalf("reserved after detach = %v", r)
	}
	if got := mustAttach(t, n, second); got != ip {
		t.Fatalf("re-attach got %v, want the freed %v", got, ip)
	}
	// Detach with the namespace already gone is still clean.
	if err := netns.Delete(second.NetnsPath); err != nil {
		t.Fatal(err)
	}
	if err := n.detach(t, second); err != nil {
		t.Fatalf("detach with netns gone: %v", err)
	}
	if r := n.reserved(t); len(r) != 0 {
		t.Fatalf("reserved after detach without netns = %v", r)
	}
	if err := n.detach(t, Pod{ID: "never-attached", NetnsPath: "/nonexistent"}); err != nil {
		t.Fatalf("detach never attached: %v", err)
	}
}

func TestE2EGCRemovesLeakedAttachment(t *testing.T) {
	n := newRealNode(t, 0, 0)
	keep, leak := n.pod(t, "keep"), n.pod(t, "leak")
	ipKeep := mustAttach(t, n, keep)
	mustAttach(t, n, leak)
	if err := n.gc(t, Attachment{ID: "keep", IfName: "eth0"}); err != nil {
		t.Fatal(err)
	}
	if r := n.reserved(t); fmt.Sprint(r) != "["+ipKeep.String()+"]" {
		t.Fatalf("reserved after GC = %v, want [%v]", r, ipKeep)
	}
	atts, err := n.m.Attachments()
	if err != nil || len(atts) != 1 || atts[0].ID != "keep" {
		t.Fatalf("attachments after GC = %+v, %v", atts, err)
	}
	// The leaked pod lost its interface; the kept one still checks out.
	out, _ := exec.Command("nsenter", "--net="+leak.NetnsPath, "ip", "-o", "link").CombinedOutput()
	if strings.Contains(string(out), "eth0") {
		t.Fatalf("leaked pod still has eth0: %s", out)
	}
	if err := n.check(t, keep); err != nil {
		t.Fatalf("Check(keep) after GC: %v", err)
	}
}

func TestE2EConcurrentAttach(t *testing.T) {
	n := newRealNode(t, 0, 0)
	const pods = 10
	ps := make([]Pod, pods)
	for i := range ps {
		ps[i] = n.pod(t, fmt.Sprintf("c%02d", i))
	}
	ips := make([]netip.Addr, pods)
	errs := make([]error, pods)
	var wg sync.WaitGroup
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := n.attach(t, ps[i])
			if err != nil {
				errs[i] = err
				return
			}
			ips[i] = res.Addrs()[0]
		}()
	}
	wg.Wait()
	seen := map[netip.Addr]string{}
	for i, ip := range ips {
		if errs[i] != nil {
			t.Fatalf("attach %s: %v", ps[i].ID, errs[i])
		}
		if other, dup := seen[ip]; dup {
			t.Fatalf("%s and %s both got %v", other, ps[i].ID, ip)
		}
		seen[ip] = ps[i].ID
	}
	if r := n.reserved(t); len(r) != pods {
		t.Fatalf("host-local holds %d addresses, want %d", len(r), pods)
	}
	// Everyone reaches the last pod.
	last := ps[pods-1]
	listen(t, last, netip.AddrPortFrom(ips[pods-1], 9000).String())
	for i := range pods - 1 {
		if got, err := dialFrom(ps[i].NetnsPath, netip.AddrPortFrom(ips[pods-1], 9000).String()); err != nil || got != last.ID {
			t.Fatalf("%s -> %s: %q, %v", ps[i].ID, last.ID, got, err)
		}
	}
}

// BenchmarkAttachDetach measures one pod's ADD then DEL through the
// reference plugins (bridge, host-local, portmap, loopback).
func BenchmarkAttachDetach(b *testing.B) {
	n := newRealNode(b, 0, 0)
	p := n.pod(b, "bench")
	b.ResetTimer()
	for b.Loop() {
		if _, err := n.attach(b, p); err != nil {
			b.Fatal(err)
		}
		if err := n.detach(b, p); err != nil {
			b.Fatal(err)
		}
	}
}
