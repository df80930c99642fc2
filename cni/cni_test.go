package cni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeEnv is a configuration directory, a bin dir holding the fake plugin,
// a cache dir, a record of invocations and a state dir for the plugin.
type fakeEnv struct {
	conf, bin, cache, record, state string
}

func newFakeEnv(tb testing.TB) *fakeEnv {
	tb.Helper()
	root := tb.TempDir()
	e := &fakeEnv{
		conf:   filepath.Join(root, "net.d"),
		bin:    filepath.Join(root, "bin"),
		cache:  filepath.Join(root, "cache"),
		record: filepath.Join(root, "record"),
		state:  filepath.Join(root, "state"),
	}
	for _, d := range []string{e.conf, e.bin, e.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(e.bin, fakePluginName)); err != nil {
		tb.Fatal(err)
	}
	return e
}

// plugin returns a fake plugin configuration with the given overrides.
func (e *fakeEnv) plugin(kv ...any) map[string]any {
	p := map[string]any{
		"type": fakePluginName, "ip": "192.0.2.10/24", "gw": "192.0.2.1",
		"nameservers": []string{"192.0.2.53"}, "record": e.record, "stateDir": e.state,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

func (e *fakeEnv) writeList(tb testing.TB, file, name, version string, plugins ...map[string]any) {
	tb.Helper()
	writeJSON(tb, filepath.Join(e.conf, file), map[string]any{"cniVersion": version, "name": name, "plugins": plugins})
}

func writeJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func (e *fakeEnv) manager(tb testing.TB) *Manager {
	tb.Helper()
	m, err := New(Options{ConfDir: e.conf, BinDirs: []string{filepath.Join(filepath.Dir(e.bin), "nothing"), e.bin}, CacheDir: e.cache})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// calls returns the recorded invocations as "network CMD id ifname netns".
func (e *fakeEnv) calls(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(e.record)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		out = append(out, strings.Join(f[:len(f)-1], " "))
	}
	return out
}

func (e *fakeEnv) stateFiles(tb testing.TB) []string {
	tb.Helper()
	ents, err := os.ReadDir(e.state)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, d := range ents {
		names = append(names, d.Name())
	}
	return names
}

// fakeNetns returns an existing file standing in for a netns path: the
// fake plugin only passes it through.
func fakeNetns(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestConfigSelection(t *testing.T) {
	type file struct {
		name string
		body string
	}
	list := func(name string) string {
		return fmt.Sprintf(`{"cniVersion":"1.0.0","name":%q,"plugins":[{"type":"bridge"},{"type":"portmap"}]}`, name)
	}
	tests := []struct {
		name    string
		files   []file
		want    string // network name, "" for ErrNoConfig
		plugins string
	}{
		{"empty dir", nil, "", ""},
		{"first by name wins", []file{{"20-b.conflist", list("b")}, {"10-a.conflist", list("a")}}, "a", "[bridge portmap]"},
		{"single plugin .conf becomes a list", []file{{"05-one.conf", `{"cniVersion":"0.4.0","name":"one","type":"bridge"}`}, {"10-a.conflist", list("a")}}, "one", "[bridge]"},
		{".json counts", []file{{"00-j.json", list("j")}}, "j", "[bridge portmap]"},
		{"other extensions ignored", []file{{"00-x.yaml", list("x")}, {"01-y.conflist.bak", list("y")}, {"99-z.conflist", list("z")}}, "z", "[bridge portmap]"},
		{"broken file skipped", []file{{"00-bad.conflist", `{"name":`}, {"10-a.conflist", list("a")}}, "a", "[bridge portmap]"},
		{"list without plugins skipped", []file{{"00-np.conflist", `{"cniVersion":"1.0.0","name":"np","plugins":[]}`}, {"10-a.conflist", list("a")}}, "a", "[bridge portmap]"},
		{"only broken files", []file{{"00-bad.conflist", `nope`}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := New(Options{ConfDir: dir, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			n, err := m.Network()
			if tt.want == "" {
				if !errors.Is(err, ErrNoConfig) {
					t.Fatalf("Network() = %+v, %v; want ErrNoConfig", n, err)
				}
				if err := m.Status(context.Background()); !errors.Is(err, ErrNoConfig) {
					t.Fatalf("Status() = %v; want ErrNoConfig", err)
				}
				_, err := m.Attach(context.Background(), Pod{ID: "p", NetnsPath: "/proc/self/ns/net"})
				if !errors.Is(err, ErrNoConfig) {
					t.Fatalf("Attach() = %v; want ErrNoConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Name != tt.want || fmt.Sprint(n.Plugins) != tt.plugins || filepath.Dir(n.File) != dir {
				t.Fatalf("Network() = %+v, want name %s plugins %s", n, tt.want, tt.plugins)
			}
		})
	}
}

func TestReload(t *testing.T) {
	e := newFakeEnv(t)
	m := e.manager(t)
	if _, err := m.Network(); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("before any file: %v", err)
	}
	e.writeList(t, "50-b.conflist", "b", "1.0.0", e.plugin())
	if _, err := m.Network(); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("config is read on Reload only, got %v", err)
	}
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	e.writeList(t, "10-a.conflist", "a", "1.0.0", e.plugin())
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Network(); n.Name != "a" {
		t.Fatalf("after adding 10-a: network %q, want a", n.Name)
	}
	if err := m.Status(context.Background()); err != nil {
		t.Fatalf("Status = %v", err)
	}
	os.Remove(filepath.Join(e.conf, "10-a.conflist"))
	os.Remove(filepath.Join(e.conf, "50-b.conflist"))
	if err := m.Reload(); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("Reload of empty dir = %v, want ErrNoConfig", err)
	}
}

func TestPluginNotFound(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "10.conflist", "n", "1.0.0", e.plugin(), map[string]any{"type": "no-such-plugin"})
	m := e.manager(t)
	for name, err := range map[string]error{
		"Status": m.Status(context.Background()),
		"Attach": func() error {
			_, err := m.Attach(context.Background(), Pod{ID: "p", NetnsPath: fakeNetns(t, "ns")})
			return err
		}(),
	} {
		if !errors.Is(err, ErrPluginNotFound) || !strings.Contains(err.Error(), filepath.Join(e.bin, "no-such-plugin")) {
			t.Errorf("%s = %v; want ErrPluginNotFound naming %s", name, err, filepath.Join(e.bin, "no-such-plugin"))
		}
	}
	if calls := e.calls(t); len(calls) != 0 {
		t.Fatalf("no plugin may run when one is missing; ran %v", calls)
	}
}

func TestAttachResult(t *testing.T) {
	for _, version := range []string{"0.3.1", "0.4.0", "1.0.0", "1.1.0"} {
		t.Run(version, func(t *testing.T) {
			e := newFakeEnv(t)
			e.writeList(t, "10.conflist", "fakenet", version, e.plugin("ip", "198.18.0.7/16", "gw", "198.18.0.1"))
			m := e.manager(t)
			ns := fakeNetns(t, "ns")
			res, err := m.Attach(context.Background(), Pod{ID: "pod1", Namespace: "default", Name: "web", UID: "u1", NetnsPath: ns})
			if err != nil {
				t.Fatal(err)
			}
			want := IP{Address: netip.MustParsePrefix("198.18.0.7/16"), Gateway: netip.MustParseAddr("198.18.0.1"), Interface: "eth0"}
			if len(res.IPs) != 1 || res.IPs[0] != want {
				t.Fatalf("IPs = %+v, want [%+v]", res.IPs, want)
			}
			if fmt.Sprint(res.Addrs()) != "[198.18.0.7]" {
				t.Fatalf("Addrs = %v", res.Addrs())
			}
			if len(res.Routes) != 1 || res.Routes[0].Dst != netip.MustParsePrefix("0.0.0.0/0") || res.Routes[0].GW != want.Gateway {
				t.Fatalf("Routes = %+v", res.Routes)
			}
			if fmt.Sprint(res.DNS.Nameservers) != "[192.0.2.53]" || fmt.Sprint(res.DNS.Search) != "[svc.example]" {
				t.Fatalf("DNS = %+v", res.DNS)
			}
			if len(res.Interfaces) != 2 || res.Interfaces[1] != (Interface{Name: "eth0", Mac: "02:00:00:00:00:02", Sandbox: ns}) {
				t.Fatalf("Interfaces = %+v", res.Interfaces)
			}
			// A second Attach of the same pod returns the cached result
			// without running the plugin again.
			again, err := m.Attach(context.Background(), Pod{ID: "pod1", NetnsPath: ns})
			if err != nil || fmt.Sprint(again.IPs) != fmt.Sprint(res.IPs) {
				t.Fatalf("second Attach = %+v, %v", again, err)
			}
			if calls := e.calls(t); len(calls) != 1 || calls[0] != "fakenet ADD pod1 eth0 "+ns {
				t.Fatalf("calls = %q", calls)
			}
			atts, err := m.Attachments()
			if err != nil || len(atts) != 1 || atts[0] != (Attachment{ID: "pod1", IfName: "eth0", Network: "fakenet", NetnsPath: ns}) {
				t.Fatalf("Attachments = %+v, %v", atts, err)
			}
		})
	}
}

func TestChainPassesPrevResultAndCapabilities(t *testing.T) {
	e := newFakeEnv(t)
	second := e.plugin("ip", "203.0.113.9/24", "stateDir", "", "capabilities", map[string]bool{"portMappings": true})
	e.writeList(t, "10.conflist", "chain", "1.0.0", e.plugin(), second)
	m := e.manager(t)
	res, err := m.Attach(context.Background(), Pod{
		ID: "c1", NetnsPath: fakeNetns(t, "ns"), IfName: "net1",
		Capabilities: Capabilities{
			PortMappings: []PortMapping{{HostPort: 8080, ContainerPort: 80}},
			Bandwidth:    &Bandwidth{IngressRate: 1000},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The last plugin returned its prevResult: the first plugin's address.
	if got := res.IPs[0].Address.String(); got != "192.0.2.10/24" || res.IPs[0].Interface != "net1" {
		t.Fatalf("result = %+v, want the first plugin's 192.0.2.10/24 on net1", res.IPs)
	}
	b, _ := os.ReadFile(e.record)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("record = %q", lines)
	}
	// Only the plugin declaring portMappings gets them; nobody declared
	// bandwidth.
	if strings.Contains(lines[0], "portMappings") || !strings.Contains(lines[1], `"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]`) || strings.Contains(lines[1], "bandwidth") {
		t.Fatalf("runtimeConfig per plugin: %q", lines)
	}
}

func TestPluginErrors(t *testing.T) {
	tests := []struct {
		op       string
		code     uint
		run      func(m *Manager, pod Pod) error
		wantCall string // a call that must have happened
	}{
		{"ADD", 11, func(m *Manager, pod Pod) error { _, err := m.Attach(context.Background(), pod); return err }, "DEL"},
		{"DEL", 7, func(m *Manager, pod Pod) error { return m.Detach(context.Background(), pod) }, "DEL"},
		{"STATUS", 50, func(m *Manager, pod Pod) error { return m.Status(context.Background()) }, "STATUS"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			e := newFakeEnv(t)
			e.writeList(t, "10.conflist", "failing", "1.1.0", e.plugin("failOn", tt.op, "failCode", tt.code))
			m := e.manager(t)
			err := tt.run(m, Pod{ID: "p1", NetnsPath: fakeNetns(t, "ns")})
			var pe *PluginError
			if !errors.Is(err, ErrPlugin) || !errors.As(err, &pe) {
				t.Fatalf("err = %v; want a PluginError", err)
			}
			if pe.Code != tt.code || pe.Op != tt.op || pe.Network != "failing" || pe.Message != "fake "+tt.op+" failure" || pe.Details != "asked to fail" {
				t.Fatalf("PluginError = %+v", pe)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("code %d", tt.code)) {
				t.Fatalf("message lacks the code: %v", err)
			}
			found := false
			for _, c := range e.calls(t) {
				found = found || strings.Fields(c)[1] == tt.wantCall
			}
			if !found {
				t.Fatalf("calls %q lack %s", e.calls(t), tt.wantCall)
			}
		})
	}
	t.Run("failed ADD leaves nothing behind", func(t *testing.T) {
		e := newFakeEnv(t)
		e.writeList(t, "10.conflist", "half", "1.0.0", e.plugin(), e.plugin("stateDir", "", "failOn", "ADD", "failCode", 5))
		m := e.manager(t)
		if _, err := m.Attach(context.Background(), Pod{ID: "p2", NetnsPath: fakeNetns(t, "ns")}); err == nil {
			t.Fatal("Attach succeeded")
		}
		if s := e.stateFiles(t); len(s) != 0 {
			t.Fatalf("first plugin's state left after a failed chain: %v", s)
		}
		if a, _ := m.Attachments(); len(a) != 0 {
			t.Fatalf("attachments after failure: %v", a)
		}
	})
}

func TestDetachIdempotent(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "10.conflist", "net", "1.0.0", e.plugin())
	m := e.manager(t)
	ctx := context.Background()
	ns := fakeNetns(t, "ns")
	pod := Pod{ID: "p1", NetnsPath: ns}

	// Never attached: DEL still runs with the current config.
	if err := m.Detach(ctx, Pod{ID: "never", NetnsPath: filepath.Join(t.TempDir(), "gone")}); err != nil {
		t.Fatalf("Detach(never attached) = %v", err)
	}
	if _, err := m.Attach(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if got := e.stateFiles(t); fmt.Sprint(got) != "[p1-eth0]" {
		t.Fatalf("state = %v", got)
	}
	// The namespace disappears before Detach: DEL runs without one.
	os.Remove(ns)
	for i := range 2 {
		if err := m.Detach(ctx, pod); err != nil {
			t.Fatalf("Detach #%d = %v", i, err)
		}
	}
	if got := e.stateFiles(t); len(got) != 0 {
		t.Fatalf("state after Detach = %v", got)
	}
	want := []string{"net DEL never eth0 -", "net ADD p1 eth0 " + ns, "net DEL p1 eth0 -", "net DEL p1 eth0 -"}
	if got := e.calls(t); !slices.Equal(got, want) {
		t.Fatalf("calls = %q\nwant %q", got, want)
	}
	if err := m.Detach(ctx, Pod{}); !errors.Is(err, ErrInvalidPod) {
		t.Fatalf("Detach(empty pod) = %v", err)
	}
	// With no configuration and no record there is nothing to do.
	os.Remove(filepath.Join(e.conf, "10.conflist"))
	m.Reload()
	if err := m.Detach(ctx, pod); err != nil {
		t.Fatalf("Detach without config = %v", err)
	}
}

func TestDetachUsesTheAttachmentsConfig(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "50-old.conflist", "old", "1.0.0", e.plugin())
	m := e.manager(t)
	ctx := context.Background()
	pod := Pod{ID: "p1", NetnsPath: fakeNetns(t, "ns")}
	if _, err := m.Attach(ctx, pod); err != nil {
		t.Fatal(err)
	}
	e.writeList(t, "10-new.conflist", "new", "1.0.0", e.plugin())
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(ctx, pod); err != nil {
		t.Fatalf("Check after config change = %v", err)
	}
	if err := m.Detach(ctx, pod); err != nil {
		t.Fatal(err)
	}
	calls := e.calls(t)
	if last := calls[len(calls)-1]; !strings.HasPrefix(last, "old DEL p1") {
		t.Fatalf("DEL went to %q, want the old network", last)
	}
}

func TestCheck(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "10.conflist", "net", "1.0.0", e.plugin())
	m := e.manager(t)
	ctx := context.Background()
	pod := Pod{ID: "p1", NetnsPath: fakeNetns(t, "ns")}
	if err := m.Check(ctx, pod); !errors.Is(err, ErrInvalidPod) {
		t.Fatalf("Check(not attached) = %v, want ErrInvalidPod", err)
	}
	if _, err := m.Attach(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(ctx, pod); err != nil {
		t.Fatalf("Check = %v", err)
	}
	// The plugin loses the attachment: CHECK reports it with code 3.
	os.Remove(filepath.Join(e.state, "p1-eth0"))
	var pe *PluginError
	if err := m.Check(ctx, pod); !errors.As(err, &pe) || pe.Code != 3 || pe.Op != "CHECK" {
		t.Fatalf("Check after loss = %v, want plugin error code 3", err)
	}
}

func TestGC(t *testing.T) {
	for _, version := range []string{"1.0.0", "1.1.0"} {
		t.Run(version, func(t *testing.T) {
			e := newFakeEnv(t)
			e.writeList(t, "10.conflist", "net", version, e.plugin())
			m := e.manager(t)
			ctx := context.Background()
			for _, id := range []string{"a", "b", "c"} {
				if _, err := m.Attach(ctx, Pod{ID: id, NetnsPath: fakeNetns(t, id)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.GC(ctx, []Attachment{{ID: "b"}}); err != nil {
				t.Fatal(err)
			}
			atts, _ := m.Attachments()
			if len(atts) != 1 || atts[0].ID != "b" {
				t.Fatalf("attachments after GC = %+v", atts)
			}
			if got := e.stateFiles(t); fmt.Sprint(got) != "[b-eth0]" {
				t.Fatalf("plugin state after GC = %v", got)
			}
			gcCalled := slices.ContainsFunc(e.calls(t), func(c string) bool { return strings.HasPrefix(c, "net GC - - -") })
			if gcCalled != (version == "1.1.0") {
				t.Fatalf("CNI GC called = %v for version %s; calls %q", gcCalled, version, e.calls(t))
			}
		})
	}
}

func TestConcurrentPods(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "10.conflist", "net", "1.0.0", e.plugin())
	m := e.manager(t)
	ctx := context.Background()
	const pods = 16
	var wg sync.WaitGroup
	errs := make(chan error, pods*3)
	for i := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := Pod{ID: fmt.Sprintf("pod%02d", i), NetnsPath: fakeNetns(t, "ns")}
			if _, err := m.Attach(ctx, pod); err != nil {
				errs <- err
				return
			}
			if i%4 == 0 {
				errs <- m.Reload()
			}
			if i%2 == 0 {
				errs <- m.Detach(ctx, pod)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := m.Attachments()
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	atts, _ := m.Attachments()
	if len(atts) != pods/2 {
		t.Fatalf("%d attachments left, want %d", len(atts), pods/2)
	}
}

func TestInvalidPod(t *testing.T) {
	e := newFakeEnv(t)
	e.writeList(t, "10.conflist", "net", "1.0.0", e.plugin())
	m := e.manager(t)
	for name, pod := range map[string]Pod{"no id": {NetnsPath: "/x"}, "no netns": {ID: "p"}} {
		if _, err := m.Attach(context.Background(), pod); !errors.Is(err, ErrInvalidPod) {
			t.Errorf("%s: Attach = %v, want ErrInvalidPod", name, err)
		}
	}
}
