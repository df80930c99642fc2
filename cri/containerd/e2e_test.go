package containerd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/cni"
	"github.com/longshore/longshore/cni/netns"
	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/ocibuild"
	"github.com/longshore/longshore/cri/remote"
	"github.com/longshore/longshore/cri/runtimetest"
	"github.com/longshore/longshore/cri/server"
	"github.com/longshore/longshore/internal/containerdproc"
	"github.com/longshore/longshore/internal/testenv"
)

const (
	testPause   = "localhost/longshore/pause:1"
	testBusybox = "localhost/longshore/busybox:1"
)

// env is a containerd started for the test, a "node" network namespace
// holding a CNI bridge, and images imported into the shim's namespace.
type env struct {
	inst     *containerdproc.Instance
	node     *netns.NetNS
	nsDir    string
	stateDir string
	cni      *cni.Manager
	subnet   string
	ipamDir  string
	network  string
	busybox  *ocibuild.Image
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with options for the containerd instance (for its
// own CRI plugin).
func newEnvWith(t testing.TB, ctrdOpts *containerdproc.Options) *env {
	t.Helper()
	testenv.NeedRoot(t)
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		testenv.NeedFile(t, filepath.Join("/usr/lib/cni", p))
	}
	testenv.Need(t, "busybox")
	inst := containerdproc.StartForTest(t, ctrdOpts)
	root := t.TempDir()
	var b [3]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	e := &env{
		inst:     inst,
		nsDir:    filepath.Join(root, "netns"),
		stateDir: filepath.Join(root, "state"),
		subnet:   fmt.Sprintf("198.18.%d.0/24", b[2]),
		ipamDir:  filepath.Join(root, "ipam"),
		network:  "lscri-" + suffix,
	}
	var err error
	e.node, err = netns.Create(e.nsDir, "node-"+suffix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.node.Delete() })
	conf := filepath.Join(root, "net.d")
	os.MkdirAll(conf, 0o755)
	list := map[string]any{
		"cniVersion": "1.0.0", "name": e.network,
		"plugins": []map[string]any{
			{"type": "bridge", "bridge": "lsbr" + suffix, "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{"type": "host-local", "ranges": [][]map[string]any{{{"subnet": e.subnet}}}, "dataDir": e.ipamDir}},
			{"type": "loopback"},
		},
	}
	data, _ := json.Marshal(list)
	if err := os.WriteFile(filepath.Join(conf, "10-test.conflist"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	e.cni, err = cni.New(cni.Options{ConfDir: conf, CacheDir: filepath.Join(root, "cnicache"), HostNetns: e.node.Path()})
	if err != nil {
		t.Fatal(err)
	}
	// Import the images once through a first runtime.
	rt := e.runtime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pause, err := ocibuild.Pause(ctx, testPause, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bb, err := ocibuild.Busybox(ctx, testBusybox, "")
	if err != nil {
		t.Fatal(err)
	}
	e.busybox = bb
	for _, img := range []*ocibuild.Image{pause, bb} {
		var buf bytes.Buffer
		if _, err := ocibuild.Write(&buf, img); err != nil {
			t.Fatal(err)
		}
		names, err := rt.ImportArchive(ctx, &buf)
		if err != nil || len(names) == 0 {
			t.Fatalf("import %s: %v %v", img.Ref, names, err)
		}
	}
	return e
}

// runtime returns a new Runtime over the env's containerd; Cleanup closes
// it.
func (e *env) runtime(t testing.TB) *Runtime {
	t.Helper()
	rt, err := New(context.Background(), e.inst.Address(), &Options{
		CNI:          e.cni,
		NetnsDir:     e.nsDir,
		StateDir:     e.stateDir,
		SandboxImage: testPause,
		Snapshotter:  e.inst.Snapshotter(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

// leaks lists pod namespaces, host-local allocations and sandbox state
// left behind.
func (e *env) leaks(t testing.TB) []string {
	var out []string
	names, _ := netns.List(e.nsDir)
	for _, n := range names {
		if strings.HasPrefix(n, "cri-") {
			out = append(out, "netns "+n)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(e.ipamDir, e.network))
	for _, d := range ents {
		if net.ParseIP(d.Name()) != nil {
			out = append(out, "ip "+d.Name())
		}
	}
	sbs, _ := os.ReadDir(filepath.Join(e.stateDir, "sandboxes"))
	for _, d := range sbs {
		out = append(out, "sandbox dir "+d.Name())
	}
	return out
}

// pushToRegistry starts a loopback registry, pushes the busybox image to it
// under another name and returns the pullable reference.
func (e *env) pushToRegistry(t testing.TB) string {
	t.Helper()
	reg := containerdproc.StartRegistryForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref, err := reg.PushImage(ctx, e.busybox, t.TempDir(), "longshore/pulled:1")
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func (e *env) suiteOptions() *runtimetest.Options {
	return &runtimetest.Options{
		Image:         testBusybox,
		Networking:    true,
		PodCIDR:       e.subnet,
		RealProcesses: true,
		Events:        true,
		Timeout:       30 * time.Second,
	}
}

func TestConformance(t *testing.T) {
	e := newEnv(t)
	rt := e.runtime(t)
	opts := e.suiteOptions()
	opts.Leaks = e.leaks
	opts.PullImage = e.pushToRegistry(t)
	runtimetest.Run(t, func(testing.TB) (cri.RuntimeService, cri.ImageService) { return rt, rt }, opts)
}

func TestConformanceOverGRPC(t *testing.T) {
	e := newEnv(t)
	rt := e.runtime(t)
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ctx, cancel := context.WithCancel(context.Background())
	srvDone := make(chan error, 1)
	go func() { srvDone <- server.New(rt, rt, nil).ListenAndServe(ctx, sock) }()
	t.Cleanup(func() {
		cancel()
		<-srvDone
	})
	var client *remote.Client
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := remote.New(ctx, "unix://"+sock, nil)
		if err == nil {
			client = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to the served shim: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { client.Close() })
	opts := e.suiteOptions()
	opts.Leaks = e.leaks
	opts.PullImage = e.pushToRegistry(t)
	runtimetest.Run(t, func(testing.TB) (cri.RuntimeService, cri.ImageService) { return client, client }, opts)
}
