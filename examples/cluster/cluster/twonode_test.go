package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/examples/cluster/cluster"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/internal/testenv"
)

const movingManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: moving
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: moving}
  template:
    metadata:
      labels: {app: moving}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
      containers:
      - name: web
        image: ` + cluster.TestServerImage + `
        imagePullPolicy: Never
`

// TestTwoNodes runs two nodes, each a network namespace with its own
// containerd, joined by a veth so that pods reach each other; when one
// node's kubelet stops heartbeating, its pods are recreated on the other.
func TestTwoNodes(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.Need(t, "containerd", "runc", "ctr", "nft", "kubectl", "ip")
	testenv.NeedFile(t, containerdproc.CNIBinDir+"/bridge")
	testenv.NeedFile(t, containerdproc.CNIBinDir+"/host-local")
	testenv.NeedFile(t, ocibuild.DefaultBusybox)
	begin := time.Now()

	e := newE2E(t)
	e.app = "moving"
	a := e.node
	b := newTestNode(t, a.subnet)
	connectNodes(t, a, b)
	t.Logf("two node namespaces with containerd: %.1fs", time.Since(begin).Seconds())

	e.opts.NodeName = "node-a"
	e.opts.HeartbeatInterval = time.Second
	e.opts.NodeMonitorGracePeriod = 5 * time.Second
	e.startCluster()
	nodeB, err := e.c.AddNode(context.Background(), &cluster.NodeOptions{Name: "node-b", ContainerdSocket: b.ctrd.Address(), NetNS: b.ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nodeB.Stop)
	e.waitFor("both nodes Ready", 60*time.Second, func() bool {
		out, err := e.kubectlErr(nil, "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}`)
		return err == nil && strings.Contains(out, "node-a=True") && strings.Contains(out, "node-b=True")
	})

	// Everything on node-b first: node-a is cordoned while the pods are
	// scheduled.
	e.kubectl("cordon", "node-a")
	e.kubectlIn(movingManifest, "apply", "-f", "-")
	pods := e.waitPods(2, 90*time.Second)
	for _, p := range pods {
		if p.Node != "node-b" {
			t.Fatalf("pod %s on %q, want node-b", p.Name, p.Node)
		}
		// Pod networks are joined: node-a's namespace reaches node-b's pod.
		var resp *http.Response
		var err error
		for try := 0; try < 5; try++ {
			if resp, err = e.http.Get("http://" + netip.AddrPortFrom(netip.MustParseAddr(p.IP), 8080).String() + "/"); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			t.Fatalf("from node-a to pod %s (%s) on node-b: %v", p.Name, p.IP, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		resp.Body.Close()
		if got := strings.TrimSpace(string(body)); got != p.Name {
			t.Errorf("pod %s answered %q", p.Name, got)
		}
	}
	e.kubectl("uncordon", "node-a")
	t.Logf("2 pods on node-b, reached from node-a: %.1fs", time.Since(begin).Seconds())

	stopped := time.Now()
	nodeB.Stop()
	e.waitFor("pods recreated on node-a", 90*time.Second, func() bool {
		ps := e.pods()
		onA := 0
		for _, p := range ps {
			if p.Node == "node-a" && allRunning([]podInfo{p}) {
				onA++
			}
		}
		return onA == 2
	})
	t.Logf("node-b stopped heartbeating; its pods ran again on node-a after %.1fs (grace period %v)", time.Since(stopped).Seconds(), e.opts.NodeMonitorGracePeriod)
	out := e.kubectl("get", "node", "node-b", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].key}`)
	if !strings.Contains(out, "Unknown") || !strings.Contains(out, "node.kubernetes.io/unreachable") {
		t.Errorf("node-b after losing heartbeats: %q, want Ready Unknown and the unreachable taint", out)
	}
	t.Logf("total %.1fs", time.Since(begin).Seconds())
}

// ipNS runs ip inside the namespace at path.
func ipNS(path string, args ...string) (string, error) {
	var out []byte
	err := netns.Do(path, func() error {
		var err error
		out, err = exec.Command("ip", args...).CombinedOutput()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// connectNodes joins two node namespaces with a veth (192.0.2.1/30 in a,
// .2 in b), routes each pod subnet to the other node and turns on
// forwarding in both.
func connectNodes(t *testing.T, a, b *testNode) {
	t.Helper()
	suffix := a.bridge[len(a.bridge)-6:]
	va, vb := "lsva"+suffix, "lsvb"+suffix
	if out, err := exec.Command("ip", "link", "add", va, "type", "veth", "peer", "name", vb).CombinedOutput(); err != nil {
		t.Fatalf("veth: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", va).Run() })
	for _, step := range []struct {
		ns   string
		args []string
	}{
		{"", []string{"link", "set", va, "netns", a.ns.Name}},
		{"", []string{"link", "set", vb, "netns", b.ns.Name}},
		{a.ns.Path, []string{"addr", "add", "192.0.2.1/30", "dev", va}},
		{b.ns.Path, []string{"addr", "add", "192.0.2.2/30", "dev", vb}},
		{a.ns.Path, []string{"link", "set", va, "up"}},
		{b.ns.Path, []string{"link", "set", vb, "up"}},
		{a.ns.Path, []string{"route", "add", b.subnet, "via", "192.0.2.2"}},
		{b.ns.Path, []string{"route", "add", a.subnet, "via", "192.0.2.1"}},
	} {
		var err error
		var out []byte
		if step.ns == "" {
			out, err = exec.Command("ip", step.args...).CombinedOutput()
		} else {
			var s string
			s, err = ipNS(step.ns, step.args...)
			out = []byte(s)
		}
		if err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(step.args, " "), err, out)
		}
	}
	for _, n := range []*testNode{a, b} {
		err := netns.Do(n.ns.Path, func() error {
			return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
		})
		if err != nil {
			t.Fatalf("ip_forward in %s: %v", n.ns.Name, err)
		}
	}
}
