package cni_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/longshore/longshore/cni"
)

// A Manager picks the first configuration by file name and reports a
// missing plugin with the places it looked.
func Example() {
	dir, err := os.MkdirTemp("", "cni-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	confs := map[string]string{
		"20-other.conflist": `{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge"}]}`,
		"10-pods.conflist":  `{"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"},{"type":"portmap"}]}`,
	}
	for name, body := range confs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	m, err := cni.New(cni.Options{
		ConfDir:  dir,
		BinDirs:  []string{filepath.Join(dir, "bin")},
		CacheDir: filepath.Join(dir, "cache"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _ := m.Network()
	fmt.Println(n.Name, n.Plugins)

	err = m.Status(context.Background())
	fmt.Println(errors.Is(err, cni.ErrPluginNotFound))
	// Output:
	// pods [bridge portmap]
	// true
}

// Attach a pod's namespace and print its addresses; Detach is safe to
// repeat.
func ExampleManager_Attach() {
	ctx := context.Background()
	m, err := cni.New(cni.Options{}) // /etc/cni/net.d, /usr/lib/cni, /var/lib/cni
	if err != nil {
		fmt.Println(err)
		return
	}
	pod := cni.Pod{ID: "sandbox-1", Namespace: "default", Name: "web", UID: "1234", NetnsPath: "/var/run/netns/sandbox-1"}
	res, err := m.Attach(ctx, pod)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ip := range res.IPs {
		fmt.Println(ip.Address, "via", ip.Gateway, "on", ip.Interface)
	}
	if err := m.Detach(ctx, pod); err != nil {
		fmt.Println(err)
	}
}
