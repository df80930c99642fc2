package cni

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary doubles as a CNI plugin: linked into a bin dir under the
// name fakePluginName, it runs fakePlugin instead of the tests. Its
// behaviour comes from extra keys of its network configuration.
const fakePluginName = "longshore-fake"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == fakePluginName {
		os.Exit(fakePlugin())
	}
	// Under -race every process sleeps 1s at exit by default; plugins
	// inherit this environment, so make their exits immediate.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}

// fakeConf is the configuration the fake plugin understands.
type fakeConf struct {
	CNIVersion    string          `json:"cniVersion"`
	Name          string          `json:"name"`
	IP            string          `json:"ip"`
	Gateway       string          `json:"gw"`
	Nameservers   []string        `json:"nameservers"`
	FailOn        string          `json:"failOn"`
	FailCode      uint            `json:"failCode"`
	Record        string          `json:"record"`
	StateDir      string          `json:"stateDir"`
	PrevResult    json.RawMessage `json:"prevResult"`
	RuntimeConfig json.RawMessage `json:"runtimeConfig"`
}

func fakePlugin() int {
	cmd := os.Getenv("CNI_COMMAND")
	if cmd == "VERSION" {
		fmt.Print(`{"cniVersion":"1.1.0","supportedVersions":["0.3.1","0.4.0","1.0.0","1.1.0"]}`)
		return 0
	}
	in, _ := io.ReadAll(os.Stdin)
	var c fakeConf
	if err := json.Unmarshal(in, &c); err != nil {
		fmt.Printf(`{"cniVersion":"1.0.0","code":6,"msg":"decode: %v"}`, err)
		return 1
	}
	id, ifName, netns := os.Getenv("CNI_CONTAINERID"), os.Getenv("CNI_IFNAME"), os.Getenv("CNI_NETNS")
	if c.Record != "" {
		f, err := os.OpenFile(c.Record, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			rc := string(c.RuntimeConfig)
			if rc == "" {
				rc = "{}"
			}
			fmt.Fprintf(f, "%s %s %s %s %s %s\n", c.Name, cmd, dash(id), dash(ifName), dash(netns), rc)
			f.Close()
		}
	}
	if c.FailOn == cmd {
		fmt.Printf(`{"cniVersion":%q,"code":%d,"msg":"fake %s failure","details":"asked to fail"}`, c.CNIVersion, c.FailCode, cmd)
		return 1
	}
	state := filepath.Join(c.StateDir, id+"-"+ifName)
	switch cmd {
	case "ADD":
		if c.StateDir != "" {
			os.WriteFile(state, []byte(c.IP), 0o644)
		}
		if len(c.PrevResult) > 0 {
			os.Stdout.Write(c.PrevResult)
			return 0
		}
		res := map[string]any{
			"cniVersion": c.CNIVersion,
			"interfaces": []map[string]any{
				{"name": "fakebr0", "mac": "02:00:00:00:00:01"},
				{"name": ifName, "mac": "02:00:00:00:00:02", "sandbox": netns},
			},
			"ips":    []map[string]any{{"address": c.IP, "gateway": c.Gateway, "interface": 1}},
			"routes": []map[string]any{{"dst": "0.0.0.0/0", "gw": c.Gateway}},
			"dns":    map[string]any{"nameservers": c.Nameservers, "search": []string{"svc.example"}},
		}
		if c.CNIVersion == "0.3.1" {
			res["ips"].([]map[string]any)[0]["version"] = "4"
		}
		json.NewEncoder(os.Stdout).Encode(res)
	case "DEL":
		if c.StateDir != "" {
			os.Remove(state)
		}
	case "CHECK":
		if c.StateDir != "" {
			if _, err := os.Stat(state); err != nil {
				fmt.Printf(`{"cniVersion":%q,"code":3,"msg":"no attachment for %s"}`, c.CNIVersion, id)
				return 1
			}
		}
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
