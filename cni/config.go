package cni

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// configExtensions are the file name endings loaded from the conf dir, as
// the kubelet and containerd do.
var configExtensions = []string{".conflist", ".conf", ".json"}

// Network describes the loaded network configuration list.
type Network struct {
	// Name is the network name from the configuration.
	Name string
	// CNIVersion is the spec version the configuration asks for.
	CNIVersion string
	// File is the configuration file it came from.
	File string
	// Plugins are the plugin types in invocation order.
	Plugins []string
}

// loadDir returns the first loadable network configuration of dir, ordered
// by file name. Files that fail to parse are skipped (and reported through
// skipped) so that a stray file does not take a node's network down, the
// kubelet's rule; if nothing loads the error wraps ErrNoConfig.
func loadDir(dir string, skipped func(file string, err error)) (*libcni.NetworkConfigList, string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, "", fmt.Errorf("%w: read %s: %v", ErrNoConfig, dir, err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !slices.Contains(configExtensions, filepath.Ext(e.Name())) {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	slices.Sort(files)
	for _, f := range files {
		list, err := loadFile(f)
		if err != nil {
			skipped(f, err)
			continue
		}
		return list, f, nil
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%w in %s", ErrNoConfig, dir)
	}
	return nil, "", fmt.Errorf("%w in %s: none of %d files loads", ErrNoConfig, dir, len(files))
}

// loadFile parses one configuration file: a list (with "plugins") or a
// single plugin configuration, which becomes a list of one. Plugins are
// never read from side files; the file alone defines the network.
func loadFile(path string) (*libcni.NetworkConfigList, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return parseConfig(data)
}

// parseConfig parses configuration bytes, see loadFile.
func parseConfig(data []byte) (*libcni.NetworkConfigList, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	var list *libcni.NetworkConfigList
	if _, ok := probe["plugins"]; ok {
		l, err := libcni.NetworkConfFromBytes(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		list = l
	} else {
		one, err := libcni.NetworkPluginConfFromBytes(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		l, err := libcni.ConfListFromConf(one)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		list = l
	}
	if len(list.Plugins) == 0 {
		return nil, fmt.Errorf("%w: network %q has no plugins", ErrInvalidConfig, list.Name)
	}
	if strings.TrimSpace(list.Name) == "" {
		return nil, fmt.Errorf("%w: network has no name", ErrInvalidConfig)
	}
	return list, nil
}

func describe(list *libcni.NetworkConfigList, file string) Network {
	n := Network{Name: list.Name, CNIVersion: list.CNIVersion, File: file}
	for _, p := range list.Plugins {
		n.Plugins = append(n.Plugins, p.Network.Type)
	}
	return n
}

// findPlugin returns the path of plugin in dirs, or an error wrapping
// ErrPluginNotFound naming the places looked at.
func findPlugin(plugin string, dirs []string) (string, error) {
	if plugin == "" || strings.ContainsRune(plugin, os.PathSeparator) {
		return "", fmt.Errorf("%w: invalid plugin type %q", ErrInvalidConfig, plugin)
	}
	for _, d := range dirs {
		p := filepath.Join(d, plugin)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	tried := make([]string, len(dirs))
	for i, d := range dirs {
		tried[i] = filepath.Join(d, plugin)
	}
	return "", fmt.Errorf("%w: %q (looked for %s)", ErrPluginNotFound, plugin, strings.Join(tried, ", "))
}
