package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// The configuration file's type.
const (
	ConfigAPIVersion = "kubescheduler.config.k8s.io/v1"
	ConfigKind       = "KubeSchedulerConfiguration"
	// DefaultSchedulerName is the profile a pod with no spec.schedulerName
	// goes to.
	DefaultSchedulerName = "default-scheduler"
	// DefaultPercentageOfNodesToScore of 0 means adaptive (50% - nodes/125,
	// at least 5%).
	DefaultPercentageOfNodesToScore int32 = 0
)

// ErrInvalidConfig is wrapped by every configuration validation error.
var ErrInvalidConfig = errors.New("invalid scheduler configuration")

// Configuration is a scheduler configuration in the shape of Kubernetes'
// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1); the fields
// the runtime does not use (leader election, client connection) are not
// part of it and are rejected when present.
type Configuration struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	// Parallelism bounds the goroutines of Filter and Score (default 16).
	Parallelism *int32 `json:"parallelism,omitempty"`
	// PercentageOfNodesToScore stops the search once that share of nodes
	// fit; 0 is adaptive, 100 searches all.
	PercentageOfNodesToScore *int32 `json:"percentageOfNodesToScore,omitempty"`
	// PodInitialBackoffSeconds and PodMaxBackoffSeconds bound the queue's
	// back-off (defaults 1 and 10).
	PodInitialBackoffSeconds *int64 `json:"podInitialBackoffSeconds,omitempty"`
	PodMaxBackoffSeconds     *int64 `json:"podMaxBackoffSeconds,omitempty"`
	// Profiles are the schedulers this one process serves, selected by
	// spec.schedulerName.
	Profiles []Profile `json:"profiles,omitempty"`
}

// Profile is one scheduler: a name and its plugins.
type Profile struct {
	SchedulerName            string         `json:"schedulerName,omitempty"`
	PercentageOfNodesToScore *int32         `json:"percentageOfNodesToScore,omitempty"`
	Plugins                  *Plugins       `json:"plugins,omitempty"`
	PluginConfig             []PluginConfig `json:"pluginConfig,omitempty"`
}

// Plugins lists the enabled and disabled plugins per extension point.
// MultiPoint enables a plugin at every extension point it implements.
type Plugins struct {
	PreEnqueue PluginSet `json:"preEnqueue,omitempty"`
	QueueSort  PluginSet `json:"queueSort,omitempty"`
	PreFilter  PluginSet `json:"preFilter,omitempty"`
	Filter     PluginSet `json:"filter,omitempty"`
	PostFilter PluginSet `json:"postFilter,omitempty"`
	PreScore   PluginSet `json:"preScore,omitempty"`
	Score      PluginSet `json:"score,omitempty"`
	Reserve    PluginSet `json:"reserve,omitempty"`
	Permit     PluginSet `json:"permit,omitempty"`
	PreBind    PluginSet `json:"preBind,omitempty"`
	Bind       PluginSet `json:"bind,omitempty"`
	PostBind   PluginSet `json:"postBind,omitempty"`
	MultiPoint PluginSet `json:"multiPoint,omitempty"`
}

// PluginSet is the plugins enabled and disabled at one extension point.
// Disabling "*" disables every default plugin there.
type PluginSet struct {
	Enabled  []PluginRef `json:"enabled,omitempty"`
	Disabled []PluginRef `json:"disabled,omitempty"`
}

// PluginRef names a plugin; Weight only matters for Score (0 means 1).
type PluginRef struct {
	Name   string `json:"name"`
	Weight int32  `json:"weight,omitempty"`
}

// PluginConfig holds one plugin's arguments.
type PluginConfig struct {
	Name string  `json:"name"`
	Args RawArgs `json:"args,omitempty"`
}

// The names of the default plugins, as Kubernetes names them.
const (
	PrioritySortName                    = "PrioritySort"
	SchedulingGatesName                 = "SchedulingGates"
	NodeUnschedulableName               = "NodeUnschedulable"
	NodeNameName                        = "NodeName"
	TaintTolerationName                 = "TaintToleration"
	NodeAffinityName                    = "NodeAffinity"
	NodePortsName                       = "NodePorts"
	NodeResourcesFitName                = "NodeResourcesFit"
	NodeResourcesBalancedAllocationName = "NodeResourcesBalancedAllocation"
	ImageLocalityName                   = "ImageLocality"
	InterPodAffinityName                = "InterPodAffinity"
	PodTopologySpreadName               = "PodTopologySpread"
	VolumeBindingName                   = "VolumeBinding"
	DefaultPreemptionName               = "DefaultPreemption"
	DefaultBinderName                   = "DefaultBinder"
)

// DefaultPlugins returns the default plugin set: Kubernetes' defaults for
// the plugins Longshore ships, in Kubernetes' order and with its score
// weights, all enabled through MultiPoint.
func DefaultPlugins() *Plugins {
	return &Plugins{MultiPoint: PluginSet{Enabled: []PluginRef{
		{Name: SchedulingGatesName},
		{Name: PrioritySortName},
		{Name: NodeUnschedulableName},
		{Name: NodeNameName},
		{Name: TaintTolerationName, Weight: 3},
		{Name: NodeAffinityName, Weight: 2},
		{Name: NodePortsName},
		{Name: NodeResourcesFitName, Weight: 1},
		{Name: VolumeBindingName},
		{Name: PodTopologySpreadName, Weight: 2},
		{Name: InterPodAffinityName, Weight: 2},
		{Name: DefaultPreemptionName},
		{Name: NodeResourcesBalancedAllocationName, Weight: 1},
		{Name: ImageLocalityName, Weight: 1},
		{Name: DefaultBinderName},
	}}}
}

// LoadConfig reads, defaults and validates a configuration file.
func LoadConfig(path string) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scheduler configuration: %w", err)
	}
	return ParseConfig(data)
}

// ParseConfig decodes YAML or JSON, rejecting unknown fields, then
// applies defaults and validates. Errors wrap ErrInvalidConfig.
func ParseConfig(data []byte) (*Configuration, error) {
	var c Configuration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if c.APIVersion != ConfigAPIVersion || c.Kind != ConfigKind {
		return nil, fmt.Errorf("%w: apiVersion/kind is %q/%q, want %q/%q", ErrInvalidConfig, c.APIVersion, c.Kind, ConfigAPIVersion, ConfigKind)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DefaultConfig returns the defaulted configuration with one profile,
// default-scheduler, using the default plugins.
func DefaultConfig() *Configuration {
	c := &Configuration{APIVersion: ConfigAPIVersion, Kind: ConfigKind}
	c.SetDefaults()
	return c
}

func ptr[T any](v T) *T { return &v }

// SetDefaults fills unset fields the way Kubernetes defaults them: one
// default-scheduler profile when there is none, parallelism 16, adaptive
// percentage, back-off 1 s to 10 s, and every profile's plugins merged
// with the default plugin set.
func (c *Configuration) SetDefaults() {
	if c.Parallelism == nil {
		c.Parallelism = ptr(int32(DefaultParallelism))
	}
	if c.PercentageOfNodesToScore == nil {
		c.PercentageOfNodesToScore = ptr(DefaultPercentageOfNodesToScore)
	}
	if c.PodInitialBackoffSeconds == nil {
		c.PodInitialBackoffSeconds = ptr(int64(1))
	}
	if c.PodMaxBackoffSeconds == nil {
		c.PodMaxBackoffSeconds = ptr(int64(10))
	}
	if len(c.Profiles) == 0 {
		c.Profiles = []Profile{{}}
	}
	for i := range c.Profiles {
		p := &c.Profiles[i]
		if p.SchedulerName == "" && len(c.Profiles) == 1 {
			p.SchedulerName = DefaultSchedulerName
		}
		p.Plugins = MergePlugins(DefaultPlugins(), p.Plugins)
	}
}

// MergePlugins applies custom over defaults at each extension point:
// defaults disabled by name (or all, with "*") are dropped; a custom
// enabled plugin with a default's name replaces it in place; other custom
// plugins are appended.
func MergePlugins(defaults, custom *Plugins) *Plugins {
	if custom == nil {
		return defaults
	}
	out := &Plugins{}
	for i, pt := range out.sets() {
		*pt = mergeSet(*defaults.sets()[i], *custom.sets()[i])
	}
	return out
}

func (p *Plugins) sets() []*PluginSet {
	return []*PluginSet{&p.PreEnqueue, &p.QueueSort, &p.PreFilter, &p.Filter, &p.PostFilter, &p.PreScore, &p.Score, &p.Reserve, &p.Permit, &p.PreBind, &p.Bind, &p.PostBind, &p.MultiPoint}
}

var setNames = []string{"preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore", "score", "reserve", "permit", "preBind", "bind", "postBind", "multiPoint"}

func mergeSet(def, custom PluginSet) PluginSet {
	disabled := map[string]bool{}
	for _, d := range custom.Disabled {
		disabled[d.Name] = true
	}
	customIdx := map[string]int{}
	for i, e := range custom.Enabled {
		customIdx[e.Name] = i
	}
	var out PluginSet
	out.Disabled = slices.Clone(custom.Disabled)
	used := map[int]bool{}
	for _, d := range def.Enabled {
		if disabled["*"] || disabled[d.Name] {
			continue
		}
		if i, ok := customIdx[d.Name]; ok {
			out.Enabled = append(out.Enabled, custom.Enabled[i])
			used[i] = true
			continue
		}
		out.Enabled = append(out.Enabled, d)
	}
	for i, e := range custom.Enabled {
		if !used[i] {
			out.Enabled = append(out.Enabled, e)
		}
	}
	return out
}

// Validate checks ranges, names and uniqueness, and returns every
// problem found, each naming its field path, joined in one error that
// wraps ErrInvalidConfig.
func (c *Configuration) Validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Parallelism != nil && *c.Parallelism <= 0 {
		add("parallelism: must be greater than 0, got %d", *c.Parallelism)
	}
	checkPct := func(path string, v *int32) {
		if v != nil && (*v < 0 || *v > 100) {
			add("%s: must be in [0, 100], got %d", path, *v)
		}
	}
	checkPct("percentageOfNodesToScore", c.PercentageOfNodesToScore)
	if c.PodInitialBackoffSeconds != nil && *c.PodInitialBackoffSeconds <= 0 {
		add("podInitialBackoffSeconds: must be greater than 0, got %d", *c.PodInitialBackoffSeconds)
	}
	if c.PodMaxBackoffSeconds != nil && c.PodInitialBackoffSeconds != nil && *c.PodMaxBackoffSeconds < *c.PodInitialBackoffSeconds {
		add("podMaxBackoffSeconds: must be at least podInitialBackoffSeconds (%d), got %d", *c.PodInitialBackoffSeconds, *c.PodMaxBackoffSeconds)
	}
	if len(c.Profiles) == 0 {
		add("profiles: at least one profile is required")
	}
	names := map[string]bool{}
	var queueSort string
	for i := range c.Profiles {
		p := &c.Profiles[i]
		path := fmt.Sprintf("profiles[%d]", i)
		if p.SchedulerName == "" {
			add("%s.schedulerName: required", path)
		} else if names[p.SchedulerName] {
			add("%s.schedulerName: duplicate %q", path, p.SchedulerName)
		}
		names[p.SchedulerName] = true
		checkPct(path+".percentageOfNodesToScore", p.PercentageOfNodesToScore)
		if p.Plugins != nil {
			for j, set := range p.Plugins.sets() {
				for k, e := range set.Enabled {
					if e.Name == "" {
						add("%s.plugins.%s.enabled[%d].name: required", path, setNames[j], k)
					}
					if e.Weight < 0 {
						add("%s.plugins.%s.enabled[%d].weight: must not be negative, got %d", path, setNames[j], k, e.Weight)
					}
				}
			}
			qs := p.queueSortName()
			if i == 0 {
				queueSort = qs
			} else if qs != queueSort {
				add("%s.plugins.queueSort: every profile must use the same queue sort plugin (%q, got %q)", path, queueSort, qs)
			}
		}
		seen := map[string]bool{}
		for j, pc := range p.PluginConfig {
			if pc.Name == "" {
				add("%s.pluginConfig[%d].name: required", path, j)
			} else if seen[pc.Name] {
				add("%s.pluginConfig[%d].name: duplicate %q", path, j, pc.Name)
			}
			seen[pc.Name] = true
			if len(pc.Args) > 0 && !json.Valid(pc.Args) {
				add("%s.pluginConfig[%d].args: not valid JSON", path, j)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(errs, "; "))
	}
	return nil
}

// queueSortName returns the queue sort plugin the profile ends up with,
// as far as the configuration alone tells (explicit first, then the first
// multi-point plugin named like the default one).
func (p *Profile) queueSortName() string {
	if len(p.Plugins.QueueSort.Enabled) > 0 {
		return p.Plugins.QueueSort.Enabled[0].Name
	}
	for _, e := range p.Plugins.MultiPoint.Enabled {
		if e.Name == PrioritySortName {
			return e.Name
		}
	}
	return ""
}

// Args returns the raw arguments configured for a plugin, or nil.
func (p *Profile) Args(name string) RawArgs {
	for _, pc := range p.PluginConfig {
		if pc.Name == name {
			return pc.Args
		}
	}
	return nil
}
