package containerdproc

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longshore/longshore/internal/testenv"
)

// Bridge is a CNI network for one test: a bridge conflist (bridge plugin
// with host-local IPAM, gateway on the bridge, no masquerade) in a conf dir
// of its own. containerd adds the loopback plugin for lo by itself.
type Bridge struct {
	// ConfDir holds the conflist; pass it as Options.CNIConfDir.
	ConfDir string
	// Name is the Linux bridge, "lsbr" and 8 hex digits.
	Name string
	// Network is the CNI network name.
	Network string
	// Subnet is a random /24 inside 198.19.128.0/17 (in 198.18.0.0/15).
	Subnet string
	// DataDir is host-local's allocation dir.
	DataDir string
}

// NewBridgeForTest writes a bridge conflist under a temp dir of t and, in
// t.Cleanup, deletes the bridge the plugin creates. It is gated on root and
// the bridge, host-local and loopback plugins.
func NewBridgeForTest(t testing.TB) *Bridge {
	t.Helper()
	testenv.NeedRoot(t)
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		testenv.NeedFile(t, filepath.Join(CNIBinDir, p))
	}
	testenv.Need(t, "ip")
	var r [5]byte
	_, _ = rand.Read(r[:])
	dir := t.TempDir()
	b := &Bridge{
		ConfDir: filepath.Join(dir, "net.d"),
		Name:    fmt.Sprintf("lsbr%x", r[:4]),
		Network: fmt.Sprintf("lsnet-%x", r[:4]),
		Subnet:  fmt.Sprintf("198.19.%d.0/24", 128+int(r[4]&0x7f)),
		DataDir: filepath.Join(dir, "ipam"),
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       b.Network,
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      b.Name,
			"isGateway":   true,
			"ipMasq":      false,
			"hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": b.Subnet}}},
				"dataDir": b.DataDir,
			},
		}},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(b.ConfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.ConfDir, "10-"+b.Network+".conflist"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "link", "del", b.Name).CombinedOutput(); err != nil && !strings.Contains(string(out), "Cannot find device") {
			t.Errorf("delete bridge %s: %v: %s", b.Name, err, out)
		}
	})
	return b
}

// Allocations returns the IPs host-local still holds for the network.
func (b *Bridge) Allocations() []string {
	entries, _ := os.ReadDir(filepath.Join(b.DataDir, b.Network))
	var ips []string
	for _, e := range entries {
		if n := e.Name(); n != "lock" && !strings.HasPrefix(n, "last_reserved_ip") {
			ips = append(ips, n)
		}
	}
	return ips
}
