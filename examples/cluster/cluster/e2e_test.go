package cluster_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/examples/cluster/cluster"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/internal/testenv"
	"github.com/longshore/longshore/proxy/proxytest"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
)

const webManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ` + cluster.TestServerImage + `
        imagePullPolicy: Never
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
        livenessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

// e2e is the state of one end-to-end run: the node namespace, its
// containerd, and the cluster's options.
type e2e struct {
	t    *testing.T
	node *testNode
	ns   *proxytest.NetNS
	ctrd *containerdproc.Instance
	opts cluster.Options
	kc   string
	c    *cluster.Cluster
	stop context.CancelFunc
	// http dials from inside the node namespace.
	http *http.Client
	// app is the label value of the pods the test watches (app=...).
	app string
}

// podInfo is what the test reads from `kubectl get pods -o json`.
type podInfo struct {
	Name, Node, Phase, IP, ContainerID string
	Restarts                           int
	Ready, Deleting                    bool
}

// TestEndToEnd runs the whole system on real containerd, CNI and nftables in
// a node network namespace the test creates, driven by the machine's
// kubectl.
func TestEndToEnd(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.Need(t, "containerd", "runc", "ctr", "nft", "kubectl", "ip")
	testenv.NeedFile(t, containerdproc.CNIBinDir+"/bridge")
	testenv.NeedFile(t, containerdproc.CNIBinDir+"/host-local")
	testenv.NeedFile(t, ocibuild.DefaultBusybox)
	begin := time.Now()
	phase := func(name string, since time.Time) {
		t.Logf("%-28s %6.1fs (total %.1fs)", name, time.Since(since).Seconds(), time.Since(begin).Seconds())
	}

	e := newE2E(t)
	phase("node + containerd ready", begin)

	s := time.Now()
	e.startCluster()
	e.kubectlIn(webManifest, "apply", "-f", "-")
	pods := e.waitPods(3, 90*time.Second)
	phase("3 pods running", s)
	for _, p := range pods {
		if !netip.MustParseAddr(p.IP).IsValid() || !strings.HasPrefix(p.ContainerID, "containerd://") {
			t.Fatalf("pod %s: ip %q container %q", p.Name, p.IP, p.ContainerID)
		}
	}
	e.waitEndpoints(pods, 30*time.Second)
	vip := e.clusterIP()
	s = time.Now()
	e.checkSpread(vip, pods, 30)
	phase("VIP spreads over 3 pods", s)

	s = time.Now()
	e.kubectl("scale", "deployment/web", "--replicas=5")
	pods = e.waitPods(5, 60*time.Second)
	e.waitEndpoints(pods, 30*time.Second)
	e.checkSpread(vip, pods, 60)
	phase("scaled to 5, VIP reaches 5", s)

	s = time.Now()
	e.kubectl("set", "env", "deployment/web", "VERSION=2")
	e.kubectl("rollout", "status", "deployment/web", "--timeout=120s")
	pods = e.waitPods(5, 60*time.Second)
	for _, p := range pods {
		out := e.kubectl("get", "pod", p.Name, "-o", "jsonpath={.spec.containers[0].env}")
		if !strings.Contains(out, "VERSION") {
			t.Errorf("after the rollout, pod %s has env %s", p.Name, out)
		}
	}
	e.waitEndpoints(pods, 30*time.Second)
	e.checkSpread(vip, pods, 60)
	phase("rolled out VERSION=2", s)

	s = time.Now()
	victim := pods[0]
	pid := e.initPID(strings.TrimPrefix(victim.ContainerID, "containerd://"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	e.waitFor(fmt.Sprintf("pod %s restarted after its process was killed", victim.Name), 60*time.Second, func() bool {
		for _, p := range e.pods() {
			if p.Name == victim.Name && p.Restarts > victim.Restarts && p.Ready && p.ContainerID != victim.ContainerID {
				return true
			}
		}
		return false
	})
	phase("killed process restarted", s)

	s = time.Now()
	pods = e.waitPods(5, 30*time.Second)
	gone := pods[1].Name
	e.kubectl("delete", "pod", gone, "--wait=false")
	e.waitFor("deleted pod replaced", 60*time.Second, func() bool {
		ps := e.pods()
		return len(ps) == 5 && !slices.ContainsFunc(ps, func(p podInfo) bool { return p.Name == gone }) && allRunning(ps)
	})
	pods = e.waitPods(5, 30*time.Second)
	phase("deleted pod replaced", s)

	s = time.Now()
	logs := e.kubectl("logs", pods[0].Name)
	if !strings.Contains(logs, "testserver: serving on :8080 as "+pods[0].Name) {
		t.Errorf("kubectl logs %s = %q", pods[0].Name, logs)
	}
	e.kubectl("exec", pods[0].Name, "--", "/testserver", "sleep", "0")
	if out, err := e.kubectlErr(nil, "exec", pods[0].Name, "--", "/testserver", "nosuchmode"); err == nil || !strings.Contains(out, `unknown mode "nosuchmode"`) {
		t.Errorf("kubectl exec of a failing command: err %v, output %q", err, out)
	}
	phase("logs and exec", s)

	s = time.Now()
	e.stopCluster()
	// The controller manager released its leader lease on the way out:
	// the API server outlives the components at shutdown.
	if holder := e.leaseHolder("longshore-controller-manager"); holder != "" {
		t.Errorf("lease kube-system/longshore-controller-manager still held by %q after shutdown", holder)
	}
	e.startCluster()
	e.waitFor("deployment and service after restart", 30*time.Second, func() bool {
		_, err1 := e.kubectlErr(nil, "get", "deployment/web")
		_, err2 := e.kubectlErr(nil, "get", "service/web")
		return err1 == nil && err2 == nil
	})
	if got := e.clusterIP(); got != vip {
		t.Errorf("ClusterIP after restart = %s, want %s", got, vip)
	}
	// The kubelet adopts the running containers: same pods, same
	// container IDs, no restarts, for a while.
	time.Sleep(5 * time.Second)
	after := e.waitPods(5, 60*time.Second)
	for _, p := range pods {
		i := slices.IndexFunc(after, func(q podInfo) bool { return q.Name == p.Name })
		if i < 0 {
			t.Errorf("pod %s gone after the restart", p.Name)
			continue
		}
		if q := after[i]; q.ContainerID != p.ContainerID || q.Restarts != p.Restarts || q.IP != p.IP {
			t.Errorf("pod %s after the restart: container %s restarts %d ip %s, was %s %d %s", p.Name, q.ContainerID, q.Restarts, q.IP, p.ContainerID, p.Restarts, p.IP)
		}
	}
	e.waitEndpoints(after, 30*time.Second)
	e.checkSpread(vip, after, 60)
	phase("restart adopted the pods", s)
}

// testNode is a node's network namespace with a containerd running in it
// on a CNI bridge, and the test server image imported.
type testNode struct {
	ns     *proxytest.NetNS
	bridge string // the pod bridge's name
	subnet string // the pod subnet
	ctrd   *containerdproc.Instance
}

// newTestNode creates a node namespace (loopback up, a pod bridge over a
// random /24 of 198.19.128.0/17 that avoids the subnets given, the service
// range routed over the bridge) and starts containerd inside it;
// everything is stopped and deleted in t.Cleanup.
func newTestNode(t *testing.T, avoid ...string) *testNode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := &testNode{ns: proxytest.NewNodeNS(t)}
	var r [5]byte
	for {
		rand.Read(r[:])
		n.bridge = fmt.Sprintf("lsbr%x", r[:4])
		n.subnet = fmt.Sprintf("198.19.%d.0/24", 128+int(r[4]&0x7f))
		if !slices.Contains(avoid, n.subnet) {
			break
		}
	}
	dir := t.TempDir()
	confDir := filepath.Join(dir, "net.d")
	if err := cluster.WriteBridgeConflist(confDir, n.bridge, n.subnet, filepath.Join(dir, "ipam")); err != nil {
		t.Fatal(err)
	}
	if err := cluster.RouteServices(ctx, n.ns.Path, n.bridge, cluster.DefaultServiceCIDR); err != nil {
		t.Fatal(err)
	}
	// containerd starts on a thread locked into the node namespace, so it,
	// its shims, the CNI plugins and the pods' veths live there.
	err := netns.Do(n.ns.Path, func() error {
		var err error
		n.ctrd, err = containerdproc.Start(ctx, &containerdproc.Options{CNIConfDir: confDir})
		return err
	})
	if err != nil {
		t.Fatalf("start containerd in %s: %v", n.ns.Path, err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.ctrd.Stop(sctx); err != nil {
			t.Errorf("stop containerd: %v", err)
		}
	})
	img, err := ocibuild.TestServer(ctx, cluster.TestServerImage, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ctrd.ImportImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	return n
}

// newE2E prepares a node and the options of a cluster whose first node it
// is (the cluster is started with startCluster).
func newE2E(t *testing.T) *e2e {
	t.Helper()
	n := newTestNode(t)
	e := &e2e{t: t, node: n, ns: n.ns, ctrd: n.ctrd, app: "web"}
	e.http = &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				ap, err := netip.ParseAddrPort(addr)
				if err != nil {
					return nil, err
				}
				return e.ns.Dial(ctx, network, ap)
			}},
	}
	dir := t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "cluster.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				if len(b) > 20000 {
					b = b[len(b)-20000:]
				}
				t.Logf("cluster log (tail):\n%s", b)
			}
		}
	})
	e.opts = cluster.Options{
		DataDir:          filepath.Join(dir, "data"),
		Listen:           "127.0.0.1:0",
		ContainerdSocket: e.ctrd.Address(),
		NodeName:         "node-e2e",
		KubeletPort:      freePort(t),
		NodeNetNS:        e.ns.Path,
		Logger:           slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	e.kc = filepath.Join(e.opts.DataDir, "admin.kubeconfig")
	return e
}

// startCluster starts the cluster; t.Cleanup stops it.
func (e *e2e) startCluster() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := cluster.Start(ctx, &e.opts)
	if err != nil {
		cancel()
		e.t.Fatalf("start cluster: %v", err)
	}
	e.c, e.stop = c, cancel
	e.t.Cleanup(e.stopCluster)
}

// leaseHolder reads the holder of the lease kube-system/name from the
// store of a stopped cluster ("" when nobody holds it).
func (e *e2e) leaseHolder(name string) string {
	e.t.Helper()
	db, err := bolt.Open(filepath.Join(e.opts.DataDir, "state.db"), nil)
	if err != nil {
		e.t.Fatalf("open the stopped cluster's store: %v", err)
	}
	defer db.Close()
	kv, err := db.Get(context.Background(), "/registry/coordination.k8s.io/leases/kube-system/"+name, store.GetOptions{})
	if err != nil {
		e.t.Fatalf("lease %s: %v", name, err)
	}
	var l struct {
		Spec struct {
			HolderIdentity string `json:"holderIdentity"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(kv.Value, &l); err != nil {
		e.t.Fatalf("lease %s: %v", name, err)
	}
	return l.Spec.HolderIdentity
}

// stopCluster stops the cluster and waits (bounded) until it has.
func (e *e2e) stopCluster() {
	if e.c == nil {
		return
	}
	e.stop()
	select {
	case <-e.c.Done():
		if err := e.c.Wait(); err != nil {
			e.t.Errorf("cluster: %v", err)
		}
	case <-time.After(45 * time.Second):
		e.t.Errorf("cluster did not stop within 45s")
	}
	e.c = nil
}

func (e *e2e) kubectlErr(stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", e.kc, "--request-timeout=30s"}, args...)...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *e2e) kubectl(args ...string) string {
	e.t.Helper()
	out, err := e.kubectlErr(nil, args...)
	if err != nil {
		e.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *e2e) kubectlIn(stdin string, args ...string) string {
	e.t.Helper()
	out, err := e.kubectlErr(strings.NewReader(stdin), args...)
	if err != nil {
		e.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// pods lists the web pods; errors count as none (the caller waits).
func (e *e2e) pods() []podInfo {
	out, err := e.kubectlErr(nil, "get", "pods", "-l", "app="+e.app, "-o", "json")
	if err != nil {
		return nil
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
			Spec struct {
				NodeName string `json:"nodeName"`
			} `json:"spec"`
			Status struct {
				Phase             string `json:"phase"`
				PodIP             string `json:"podIP"`
				ContainerStatuses []struct {
					Ready        bool   `json:"ready"`
					RestartCount int    `json:"restartCount"`
					ContainerID  string `json:"containerID"`
				} `json:"containerStatuses"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		e.t.Logf("pods: %v", err)
		return nil
	}
	var ps []podInfo
	for _, it := range list.Items {
		p := podInfo{Name: it.Metadata.Name, Node: it.Spec.NodeName, Phase: it.Status.Phase, IP: it.Status.PodIP, Deleting: it.Metadata.DeletionTimestamp != nil}
		if cs := it.Status.ContainerStatuses; len(cs) > 0 {
			p.Ready, p.Restarts, p.ContainerID = cs[0].Ready, cs[0].RestartCount, cs[0].ContainerID
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b podInfo) int { return strings.Compare(a.Name, b.Name) })
	return ps
}

func allRunning(ps []podInfo) bool {
	for _, p := range ps {
		if p.Phase != "Running" || p.IP == "" || !p.Ready || p.Deleting || p.ContainerID == "" {
			return false
		}
	}
	return true
}

// waitPods waits until exactly n web pods exist, all Running and ready
// with IPs, and returns them.
func (e *e2e) waitPods(n int, d time.Duration) []podInfo {
	e.t.Helper()
	var ps []podInfo
	e.waitFor(fmt.Sprintf("%d pods running", n), d, func() bool {
		ps = e.pods()
		return len(ps) == n && allRunning(ps)
	})
	return ps
}

func (e *e2e) waitFor(what string, d time.Duration, ok func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %v waiting for %s; pods: %+v", d, what, e.pods())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitEndpoints waits until the web Endpoints list exactly the pods' IPs.
func (e *e2e) waitEndpoints(pods []podInfo, d time.Duration) {
	e.t.Helper()
	var want []string
	for _, p := range pods {
		want = append(want, p.IP)
	}
	slices.Sort(want)
	var got []string
	e.waitFor(fmt.Sprintf("endpoints %v", want), d, func() bool {
		out, err := e.kubectlErr(nil, "get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
		if err != nil {
			return false
		}
		got = strings.Fields(out)
		slices.Sort(got)
		return slices.Equal(got, want)
	})
}

func (e *e2e) clusterIP() netip.Addr {
	e.t.Helper()
	out := e.kubectl("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")
	ip, err := netip.ParseAddr(strings.TrimSpace(out))
	if err != nil || !netip.MustParsePrefix(cluster.DefaultServiceCIDR).Contains(ip) {
		e.t.Fatalf("ClusterIP %q not in %s (%v)", out, cluster.DefaultServiceCIDR, err)
	}
	return ip
}

// checkSpread sends up to max requests to the VIP from inside the node
// namespace and fails unless every pod answered (each answers its name).
func (e *e2e) checkSpread(vip netip.Addr, pods []podInfo, max int) {
	e.t.Helper()
	want := map[string]bool{}
	for _, p := range pods {
		want[p.Name] = true
	}
	seen := map[string]int{}
	var errs []string
	deadline := time.Now().Add(45 * time.Second)
	for i := 0; i < max && time.Now().Before(deadline) && len(seen) < len(want); i++ {
		resp, err := e.http.Get("http://" + netip.AddrPortFrom(vip, 80).String() + "/")
		if err != nil {
			errs = append(errs, err.Error())
			time.Sleep(200 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		resp.Body.Close()
		name := string(bytes.TrimSpace(b))
		if !want[name] {
			e.t.Errorf("VIP answered %q, not one of the pods %v", name, pods)
		}
		seen[name]++
	}
	if len(seen) < len(want) {
		e.t.Fatalf("VIP %s reached %d of %d pods: %v (errors: %v)", vip, len(seen), len(want), seen, errs)
	}
	e.t.Logf("VIP %s answered by %d pods: %v", vip, len(seen), seen)
}

// initPID returns the pid of a container's init process, from runc's state
// in the containerd instance's runc root.
func (e *e2e) initPID(id string) int {
	e.t.Helper()
	root := e.ctrd.RuncRoot()
	out, err := exec.Command("runc", "--root", root, "state", id).Output()
	if err != nil {
		e.t.Fatalf("runc state %s: %v", id, err)
	}
	var st struct {
		Pid    int    `json:"pid"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &st); err != nil || st.Pid <= 1 || st.Status != "running" {
		e.t.Fatalf("runc state %s: %s (%v)", id, out, err)
	}
	return st.Pid
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
