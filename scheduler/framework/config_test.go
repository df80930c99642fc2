package framework

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if len(c.Profiles) != 1 || c.Profiles[0].SchedulerName != DefaultSchedulerName {
		t.Fatalf("profiles = %+v", c.Profiles)
	}
	if *c.Parallelism != 16 || *c.PercentageOfNodesToScore != 0 || *c.PodInitialBackoffSeconds != 1 || *c.PodMaxBackoffSeconds != 10 {
		t.Errorf("defaults wrong: %+v", c)
	}
	weights := map[string]int32{}
	for _, e := range c.Profiles[0].Plugins.MultiPoint.Enabled {
		weights[e.Name] = e.Weight
	}
	want := map[string]int32{TaintTolerationName: 3, NodeAffinityName: 2, PodTopologySpreadName: 2, InterPodAffinityName: 2, NodeResourcesFitName: 1, NodeResourcesBalancedAllocationName: 1, ImageLocalityName: 1}
	for n, w := range want {
		if weights[n] != w {
			t.Errorf("weight of %s = %d, want %d", n, weights[n], w)
		}
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseConfig(t *testing.T) {
	const head = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, c *Configuration)
	}{
		{name: "minimal", yaml: head, check: func(t *testing.T, c *Configuration) {
			if c.Profiles[0].SchedulerName != DefaultSchedulerName {
				t.Errorf("profile %q", c.Profiles[0].SchedulerName)
			}
		}},
		{name: "two profiles and args", yaml: head + `percentageOfNodesToScore: 30
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
      enabled:
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
`, check: func(t *testing.T, c *Configuration) {
			p := c.Profiles[1]
			if p.SchedulerName != "bin-packer" || *c.PercentageOfNodesToScore != 30 {
				t.Fatalf("got %+v", c)
			}
			if len(p.Plugins.Score.Enabled) != 1 || p.Plugins.Score.Enabled[0].Weight != 5 || p.Plugins.Score.Disabled[0].Name != NodeResourcesBalancedAllocationName {
				t.Errorf("score set %+v", p.Plugins.Score)
			}
			if !strings.Contains(string(p.Args(NodeResourcesFitName)), "MostAllocated") || p.Args("nope") != nil {
				t.Errorf("args = %s", p.Args(NodeResourcesFitName))
			}
		}},
		{name: "disable all defaults", yaml: head + "profiles:\n- schedulerName: x\n  plugins:\n    multiPoint:\n      disabled:\n      - name: '*'\n      enabled:\n      - name: Mine\n", check: func(t *testing.T, c *Configuration) {
			e := c.Profiles[0].Plugins.MultiPoint.Enabled
			if len(e) != 1 || e[0].Name != "Mine" {
				t.Errorf("multiPoint = %+v", e)
			}
		}},
		{name: "override default weight in place", yaml: head + "profiles:\n- plugins:\n    multiPoint:\n      enabled:\n      - name: ImageLocality\n        weight: 7\n", check: func(t *testing.T, c *Configuration) {
			e := c.Profiles[0].Plugins.MultiPoint.Enabled
			if e[len(e)-2].Name != ImageLocalityName || e[len(e)-2].Weight != 7 || len(e) != len(DefaultPlugins().MultiPoint.Enabled) {
				t.Errorf("multiPoint = %+v", e)
			}
		}},
		{name: "wrong kind", yaml: "apiVersion: v1\nkind: Pod\n", wantErr: "apiVersion/kind"},
		{name: "unknown field", yaml: head + "leaderElectionx: {}\n", wantErr: "unknown field"},
		{name: "bad percentage", yaml: head + "percentageOfNodesToScore: 101\n", wantErr: "percentageOfNodesToScore: must be in [0, 100]"},
		{name: "bad parallelism", yaml: head + "parallelism: 0\n", wantErr: "parallelism: must be greater than 0"},
		{name: "duplicate profile", yaml: head + "profiles:\n- schedulerName: a\n- schedulerName: a\n", wantErr: `profiles[1].schedulerName: duplicate "a"`},
		{name: "missing name", yaml: head + "profiles:\n- schedulerName: a\n- {}\n", wantErr: "profiles[1].schedulerName: required"},
		{name: "duplicate plugin config", yaml: head + "profiles:\n- pluginConfig:\n  - name: A\n  - name: A\n", wantErr: `pluginConfig[1].name: duplicate "A"`},
		{name: "negative weight", yaml: head + "profiles:\n- plugins:\n    score:\n      enabled:\n      - name: A\n        weight: -1\n", wantErr: "score.enabled[0].weight: must not be negative"},
		{name: "backoff order", yaml: head + "podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 2\n", wantErr: "podMaxBackoffSeconds"},
		{name: "different queue sort", yaml: head + "profiles:\n- schedulerName: a\n- schedulerName: b\n  plugins:\n    queueSort:\n      enabled:\n      - name: Other\n", wantErr: "same queue sort plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidConfig) {
					t.Fatalf("err = %v, want one containing %q wrapping ErrInvalidConfig", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nparallelism: 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil || *c.Parallelism != 4 {
		t.Fatalf("LoadConfig = %+v, %v", c, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file gave no error")
	}
}

func TestDecodeArgs(t *testing.T) {
	type args struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	def := args{A: 1, B: "x"}
	tests := []struct {
		name    string
		in      any
		want    args
		wantErr bool
	}{
		{"nil", nil, def, false},
		{"typed", args{A: 5}, args{A: 5}, false},
		{"pointer", &args{B: "p"}, args{B: "p"}, false},
		{"raw over defaults", RawArgs(`{"a": 7}`), args{A: 7, B: "x"}, false},
		{"raw null", RawArgs(`null`), def, false},
		{"map", map[string]any{"b": "m"}, args{A: 1, B: "m"}, false},
		{"unknown field", RawArgs(`{"c": 1}`), def, true},
		{"wrong type", 42, def, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeArgs(tt.in, def)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("DecodeArgs = %+v, %v; want %+v, err %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidArgs) {
				t.Errorf("error does not wrap ErrInvalidArgs: %v", err)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	r := Registry{}
	noop := PluginFactory(nil)
	if err := r.Register("a", noop); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("a", noop); !errors.Is(err, ErrDuplicatePlugin) {
		t.Errorf("duplicate Register: %v", err)
	}
	if err := r.Merge(Registry{"b": noop, "a": noop}); !errors.Is(err, ErrDuplicatePlugin) || len(r) != 1 {
		t.Errorf("Merge with a duplicate: %v, %d entries", err, len(r))
	}
	if err := r.Merge(Registry{"b": noop}); err != nil || len(r) != 2 {
		t.Errorf("Merge: %v", err)
	}
}
