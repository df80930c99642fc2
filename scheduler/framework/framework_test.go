package framework

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
)

// fakePlugin implements every extension point with canned answers.
type fakePlugin struct {
	name        string
	filter      map[string]*Status // by node
	preFilter   *Status
	preScore    *Status
	score       map[string]int64
	normalize   bool
	permit      *Status
	permitAfter time.Duration
	bind        *Status
	bound       *[]string
}

func (p *fakePlugin) Name() string                             { return p.name }
func (p *fakePlugin) Less(a, b *QueuedPodInfo) bool            { return a.Timestamp.Before(b.Timestamp) }
func (p *fakePlugin) PreFilterExtensions() PreFilterExtensions { return nil }
func (p *fakePlugin) ScoreExtensions() ScoreExtensions {
	if p.normalize {
		return p
	}
	return nil
}
func (p *fakePlugin) PreFilter(context.Context, *CycleState, *core.Pod) (*PreFilterResult, *Status) {
	return nil, p.preFilter
}
func (p *fakePlugin) Filter(_ context.Context, _ *CycleState, _ *core.Pod, ni *NodeInfo) *Status {
	return p.filter[ni.NodeName()]
}
func (p *fakePlugin) PreScore(context.Context, *CycleState, *core.Pod, []*NodeInfo) *Status {
	return p.preScore
}
func (p *fakePlugin) Score(_ context.Context, _ *CycleState, _ *core.Pod, node string) (int64, *Status) {
	return p.score[node], nil
}
func (p *fakePlugin) NormalizeScore(_ context.Context, _ *CycleState, _ *core.Pod, s NodeScoreList) *Status {
	for i := range s {
		s[i].Score *= 10
	}
	return nil
}
func (p *fakePlugin) Permit(context.Context, *CycleState, *core.Pod, string) (*Status, time.Duration) {
	return p.permit, p.permitAfter
}
func (p *fakePlugin) Bind(_ context.Context, _ *CycleState, _ *core.Pod, node string) *Status {
	if p.bound != nil && p.bind.IsSuccess() {
		*p.bound = append(*p.bound, p.name+"->"+node)
	}
	return p.bind
}

// filterOnly implements Filter only.
type filterOnly struct{ name string }

func (p filterOnly) Name() string { return p.name }
func (p filterOnly) Filter(context.Context, *CycleState, *core.Pod, *NodeInfo) *Status {
	return nil
}

func registryOf(ps ...Plugin) Registry {
	r := Registry{}
	for _, p := range ps {
		r[p.Name()] = func(context.Context, any, Handle) (Plugin, error) { return p, nil }
	}
	return r
}

func refs(names ...string) []PluginRef {
	out := make([]PluginRef, len(names))
	for i, n := range names {
		out[i] = PluginRef{Name: n}
	}
	return out
}

func newTestFramework(t testing.TB, profile *Profile, opts *Options, ps ...Plugin) *Framework {
	t.Helper()
	fw, err := New(context.Background(), registryOf(ps...), profile, opts)
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

func TestFrameworkOrdering(t *testing.T) {
	a, b, c, d := &fakePlugin{name: "A"}, &fakePlugin{name: "B"}, &fakePlugin{name: "C"}, filterOnly{name: "D"}
	profile := &Profile{SchedulerName: "s", Plugins: &Plugins{
		MultiPoint: PluginSet{Enabled: []PluginRef{{Name: "A", Weight: 2}, {Name: "B"}, {Name: "C"}, {Name: "D"}}},
		// D is configured at filter (and in multiPoint): it comes first
		// there; E is only at filter: it comes last; B is disabled there.
		Filter: PluginSet{Enabled: refs("D", "E"), Disabled: refs("B")},
		Score:  PluginSet{Enabled: []PluginRef{{Name: "C", Weight: 5}}},
		// every fake implements QueueSort: keep only A there.
		QueueSort: PluginSet{Enabled: refs("A"), Disabled: refs("*")},
	}}
	fw := newTestFramework(t, profile, nil, a, b, c, d, filterOnly{name: "E"})
	got := fw.ListPlugins()
	if want := []string{"D", "A", "C", "E"}; !slices.Equal(got["filter"], want) {
		t.Errorf("filter order = %v, want %v", got["filter"], want)
	}
	if want := []string{"C", "A", "B"}; !slices.Equal(got["score"], want) {
		t.Errorf("score order = %v, want %v", got["score"], want)
	}
	if fw.ScoreWeight("A") != 2 || fw.ScoreWeight("B") != 1 || fw.ScoreWeight("C") != 5 {
		t.Errorf("weights A=%d B=%d C=%d", fw.ScoreWeight("A"), fw.ScoreWeight("B"), fw.ScoreWeight("C"))
	}
}

func TestFrameworkNewErrors(t *testing.T) {
	qs := &fakePlugin{name: "Q"}
	tests := []struct {
		name    string
		plugins *Plugins
		is      error
		msg     string
	}{
		{"unknown plugin", &Plugins{MultiPoint: PluginSet{Enabled: refs("Q", "Nope")}}, ErrUnknownPlugin, "Nope"},
		{"wrong extension point", &Plugins{MultiPoint: PluginSet{Enabled: refs("Q")}, Score: PluginSet{Enabled: refs("F")}}, ErrInvalidConfig, `"F" does not extend score`},
		{"no bind", &Plugins{QueueSort: PluginSet{Enabled: refs("Q")}}, ErrInvalidConfig, "bind plugin"},
		{"no queue sort", &Plugins{Bind: PluginSet{Enabled: refs("Q")}}, ErrInvalidConfig, "queueSort"},
		{"twice", &Plugins{MultiPoint: PluginSet{Enabled: refs("Q")}, Filter: PluginSet{Enabled: refs("F", "F")}}, ErrInvalidConfig, "enabled twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), registryOf(qs, filterOnly{name: "F"}), &Profile{SchedulerName: "s", Plugins: tt.plugins}, nil)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want %v containing %q", err, tt.is, tt.msg)
			}
		})
	}
	failing := func(context.Context, any, Handle) (Plugin, error) { return nil, ErrInvalidArgs }
	_, err := New(context.Background(), Registry{"X": failing}, &Profile{Plugins: &Plugins{Filter: PluginSet{Enabled: refs("X")}}}, nil)
	if !errors.Is(err, ErrInvalidArgs) {
		t.Errorf("factory error lost: %v", err)
	}
}

func basicProfile(extra ...string) *Profile {
	return &Profile{SchedulerName: "s", Plugins: &Plugins{
		QueueSort: PluginSet{Enabled: refs("Q")},
		Bind:      PluginSet{Enabled: refs("Q")},
		Filter:    PluginSet{Enabled: refs(extra...)},
	}}
}

func TestRunFilterAndPreFilter(t *testing.T) {
	q := &fakePlugin{name: "Q"}
	f1 := &fakePlugin{name: "F1", filter: map[string]*Status{"n2": NewStatus(Unschedulable, "no")}}
	f2 := &fakePlugin{name: "F2", filter: map[string]*Status{"n1": NewStatus(Error, "boom")}, preFilter: NewStatus(Skip)}
	p := basicProfile("F1", "F2")
	p.Plugins.PreFilter = PluginSet{Enabled: refs("F1", "F2")}
	snap := NewSnapshot(nil, []*core.Node{testNode("n1", nil), testNode("n2", nil)})
	fw := newTestFramework(t, p, &Options{Snapshot: snap}, q, f1, f2)
	state := NewCycleState()
	pod := testPod("p", "", container(nil))
	if _, st := fw.RunPreFilterPlugins(context.Background(), state, pod); !st.IsSuccess() {
		t.Fatal(st)
	}
	n1, _ := snap.NodeInfos().Get("n1")
	n2, _ := snap.NodeInfos().Get("n2")
	// F2 skipped at PreFilter: its Filter error on n1 must not show.
	if st := fw.RunFilterPlugins(context.Background(), state, pod, n1); !st.IsSuccess() {
		t.Errorf("n1: %v", st)
	}
	if st := fw.RunFilterPlugins(context.Background(), state, pod, n2); st.Code() != Unschedulable || st.Plugin() != "F1" {
		t.Errorf("n2: %v from %q", st, st.Plugin())
	}
	f2.preFilter = nil
	state = NewCycleState()
	fw.RunPreFilterPlugins(context.Background(), state, pod)
	if st := fw.RunFilterPlugins(context.Background(), state, pod, n1); st.Code() != Error || st.Plugin() != "F2" {
		t.Errorf("n1 without skip: %v", st)
	}
	// A state whose skip set changes after PreFilter (or that did not go
	// through it) is read from the set.
	state.SkipFilterPlugins["F2"] = struct{}{}
	if st := fw.RunFilterPlugins(context.Background(), state, pod, n1); !st.IsSuccess() {
		t.Errorf("n1 with F2 skipped afterwards: %v", st)
	}
	if st := fw.RunFilterPlugins(context.Background(), &CycleState{SkipFilterPlugins: map[string]struct{}{"F1": {}}}, pod, n2); !st.IsSuccess() {
		t.Errorf("n2 with F1 skipped, no PreFilter: %v", st)
	}
	// A clone keeps the skipped plugins.
	f2.preFilter = NewStatus(Skip)
	state = NewCycleState()
	fw.RunPreFilterPlugins(context.Background(), state, pod)
	if st := fw.RunFilterPlugins(context.Background(), state.Clone(), pod, n1); !st.IsSuccess() {
		t.Errorf("n1 on a clone: %v", st)
	}
	f1.preFilter = NewStatus(UnschedulableAndUnresolvable, "never")
	if _, st := fw.RunPreFilterPlugins(context.Background(), NewCycleState(), pod); st.Code() != UnschedulableAndUnresolvable || st.Plugin() != "F1" {
		t.Errorf("PreFilter rejection: %v", st)
	}
}

// infoScorer scores NodeInfos: 1 for n1, 2 for n2; Score must not be
// called.
type infoScorer struct{ fakePlugin }

func (p *infoScorer) Score(context.Context, *CycleState, *core.Pod, string) (int64, *Status) {
	return 0, NewStatus(Error, "Score called")
}

func (p *infoScorer) ScoreNodeInfo(_ context.Context, _ *CycleState, _ *core.Pod, ni *NodeInfo) (int64, *Status) {
	return map[string]int64{"n1": 1, "n2": 2}[ni.NodeName()], nil
}

func TestRunScorePlugins(t *testing.T) {
	q := &fakePlugin{name: "Q"}
	s1 := &fakePlugin{name: "S1", score: map[string]int64{"n1": 1, "n2": 5}, normalize: true}
	s2 := &fakePlugin{name: "S2", score: map[string]int64{"n1": 50, "n2": 0}}
	s3 := &fakePlugin{name: "S3", score: map[string]int64{"n1": 1000}, preScore: NewStatus(Skip)}
	p := basicProfile()
	p.Plugins.Score = PluginSet{Enabled: []PluginRef{{Name: "S1", Weight: 2}, {Name: "S2"}, {Name: "S3"}}}
	p.Plugins.PreScore = PluginSet{Enabled: refs("S3")}
	snap := NewSnapshot(nil, []*core.Node{testNode("n1", nil), testNode("n2", nil)})
	fw := newTestFramework(t, p, &Options{Snapshot: snap, Parallelism: 2}, q, s1, s2, s3)
	nodes, _ := snap.NodeInfos().List()
	state := NewCycleState()
	pod := testPod("p", "", container(nil))
	if st := fw.RunPreScorePlugins(context.Background(), state, pod, nodes); !st.IsSuccess() {
		t.Fatal(st)
	}
	got, st := fw.RunScorePlugins(context.Background(), state, pod, nodes)
	if !st.IsSuccess() {
		t.Fatal(st)
	}
	// n1: S1 1*10*2 + S2 50 = 70; n2: 5*10*2 + 0 = 100. S3 skipped.
	if got[0].TotalScore != 70 || got[1].TotalScore != 100 || len(got[0].Scores) != 2 {
		t.Errorf("scores = %+v", got)
	}
	totals, st := fw.RunScorePluginsTotals(context.Background(), state, pod, nodes, make(NodeScoreList, 5))
	if !st.IsSuccess() || len(totals) != 2 || totals[0] != (NodeScore{"n1", 70}) || totals[1] != (NodeScore{"n2", 100}) {
		t.Errorf("totals = %+v, %v", totals, st)
	}
	// A plugin scoring NodeInfos is called with the node given.
	s4 := &infoScorer{fakePlugin{name: "S4"}}
	p.Plugins.Score.Enabled = append(p.Plugins.Score.Enabled, PluginRef{Name: "S4"})
	fw4 := newTestFramework(t, p, &Options{Snapshot: snap, Parallelism: 2}, q, s1, s2, s3, s4)
	got, st = fw4.RunScorePlugins(context.Background(), state, pod, nodes)
	if !st.IsSuccess() || got[0].TotalScore != 70+1 || got[1].TotalScore != 100+2 {
		t.Errorf("scores with a NodeInfo scorer = %+v, %v", got, st)
	}
	s2.score["n2"] = 101
	if _, st := fw.RunScorePlugins(context.Background(), state, pod, nodes); st.Code() != Error || !strings.Contains(st.Message(), "invalid score 101") {
		t.Errorf("out-of-range score: %v", st)
	}
	if totals, st := fw.RunScorePluginsTotals(context.Background(), state, pod, nodes, nil); st.Code() != Error || len(totals) != 0 {
		t.Errorf("out-of-range score, totals: %v, %v", totals, st)
	}
}

func TestPermitAndBind(t *testing.T) {
	var bound []string
	q := &fakePlugin{name: "Q", bind: NewStatus(Skip), bound: &bound}
	b2 := &fakePlugin{name: "B2", bound: &bound}
	w := &fakePlugin{name: "W", permit: NewStatus(Wait), permitAfter: time.Hour}
	p := basicProfile()
	p.Plugins.Bind = PluginSet{Enabled: refs("Q", "B2")}
	p.Plugins.Permit = PluginSet{Enabled: refs("W")}
	fw := newTestFramework(t, p, nil, q, b2, w)
	ctx := context.Background()
	pod := testPod("p", "", container(nil))

	if st := fw.RunPermitPlugins(ctx, NewCycleState(), pod, "n1"); !st.IsWait() {
		t.Fatalf("permit = %v", st)
	}
	wp := fw.GetWaitingPod(string(pod.UID))
	if wp == nil || !slices.Equal(wp.PendingPlugins(), []string{"W"}) {
		t.Fatalf("waiting pod = %v", wp)
	}
	n := 0
	fw.IterateOverWaitingPods(func(WaitingPod) { n++ })
	go wp.Allow("W")
	if st := fw.WaitOnPermit(ctx, pod); !st.IsSuccess() {
		t.Errorf("allowed pod: %v", st)
	}
	if n != 1 || fw.GetWaitingPod(string(pod.UID)) != nil {
		t.Errorf("waiting pods not tracked: %d", n)
	}

	fw.RunPermitPlugins(ctx, NewCycleState(), pod, "n1")
	fw.GetWaitingPod(string(pod.UID)).Reject("W", "no way")
	if st := fw.WaitOnPermit(ctx, pod); st.Code() != Unschedulable || st.Message() != "no way" || st.Plugin() != "W" {
		t.Errorf("rejected pod: %v", st)
	}

	w.permitAfter = 10 * time.Millisecond
	fw.RunPermitPlugins(ctx, NewCycleState(), pod, "n1")
	if st := fw.WaitOnPermit(ctx, pod); st.Code() != Unschedulable || !strings.Contains(st.Message(), "timeout") {
		t.Errorf("timed out pod: %v", st)
	}

	w.permit = NewStatus(Unschedulable, "denied")
	if st := fw.RunPermitPlugins(ctx, NewCycleState(), pod, "n1"); st.Code() != Unschedulable || st.Plugin() != "W" {
		t.Errorf("permit rejection: %v", st)
	}

	if st := fw.RunBindPlugins(ctx, NewCycleState(), pod, "n1"); !st.IsSuccess() || !slices.Equal(bound, []string{"B2->n1"}) {
		t.Errorf("bind = %v, bound %v", st, bound)
	}
	b2.bind = NewStatus(Skip)
	if st := fw.RunBindPlugins(ctx, NewCycleState(), pod, "n1"); !st.IsSkip() {
		t.Errorf("all skipped: %v", st)
	}
}

func TestClientPodWriterWithoutClient(t *testing.T) {
	w := &ClientPodWriter{}
	pod := testPod("p", "", container(nil))
	if err := w.DeletePod(context.Background(), pod); !errors.Is(err, ErrNoClient) {
		t.Error(err)
	}
	if err := w.SetNominatedNodeName(context.Background(), pod, "n"); !errors.Is(err, ErrNoClient) {
		t.Error(err)
	}
}

func TestPreFilterResultMerge(t *testing.T) {
	set := func(names ...string) *PreFilterResult {
		r := &PreFilterResult{NodeNames: map[string]struct{}{}}
		for _, n := range names {
			r.NodeNames[n] = struct{}{}
		}
		return r
	}
	tests := []struct {
		name string
		a, b *PreFilterResult
		all  bool
		want []string
	}{
		{"both all", nil, nil, true, nil},
		{"left all", nil, set("a"), false, []string{"a"}},
		{"right all", set("b"), &PreFilterResult{}, false, []string{"b"}},
		{"intersection", set("a", "b"), set("b", "c"), false, []string{"b"}},
		{"disjoint", set("a"), set("c"), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Merge(tt.b)
			if got.AllNodes() != tt.all {
				t.Fatalf("AllNodes = %v", got.AllNodes())
			}
			if !tt.all {
				if len(got.NodeNames) != len(tt.want) {
					t.Fatalf("got %v, want %v", got.NodeNames, tt.want)
				}
				for _, n := range tt.want {
					if _, ok := got.NodeNames[n]; !ok {
						t.Errorf("missing %s", n)
					}
				}
			}
		})
	}
}

// narrowing narrows PreFilter to fixed nodes, and rejects at PostFilter.
type narrowing struct {
	name  string
	nodes []string
}

func (p narrowing) Name() string { return p.name }
func (p narrowing) PreFilter(context.Context, *CycleState, *core.Pod) (*PreFilterResult, *Status) {
	r := &PreFilterResult{NodeNames: map[string]struct{}{}}
	for _, n := range p.nodes {
		r.NodeNames[n] = struct{}{}
	}
	return r, nil
}
func (p narrowing) PreFilterExtensions() PreFilterExtensions { return nil }
func (p narrowing) PostFilter(context.Context, *CycleState, *core.Pod, NodeToStatusMap) (*PostFilterResult, *Status) {
	return nil, NewStatus(Unschedulable, p.name+" cannot help")
}

func TestPreFilterNarrowingAndPostFilter(t *testing.T) {
	q := &fakePlugin{name: "Q"}
	p := basicProfile()
	p.Plugins.PreFilter = PluginSet{Enabled: refs("A", "B")}
	p.Plugins.PostFilter = PluginSet{Enabled: refs("A", "B")}
	fw := newTestFramework(t, p, nil, q, narrowing{"A", []string{"n1", "n2"}}, narrowing{"B", []string{"n3"}})
	_, st := fw.RunPreFilterPlugins(context.Background(), NewCycleState(), testPod("p", "", container(nil)))
	if st.Code() != UnschedulableAndUnresolvable || !strings.Contains(st.Message(), "[A B] simultaneously") {
		t.Errorf("disjoint PreFilter results: %v", st)
	}
	_, st = fw.RunPostFilterPlugins(context.Background(), NewCycleState(), testPod("p", "", container(nil)), nil)
	if st.Code() != Unschedulable || st.Message() != "A cannot help, B cannot help" || st.Plugin() != "A" {
		t.Errorf("PostFilter: %v from %q", st, st.Plugin())
	}
	if !fw.HasPostFilterPlugins() || fw.HasScorePlugins() {
		t.Error("Has* wrong")
	}
}

// reserver records Reserve and Unreserve calls.
type reserver struct {
	name string
	fail bool
	log  *[]string
}

func (r reserver) Name() string { return r.name }
func (r reserver) Reserve(context.Context, *CycleState, *core.Pod, string) *Status {
	*r.log = append(*r.log, "reserve "+r.name)
	if r.fail {
		return NewStatus(Unschedulable, "no")
	}
	return nil
}
func (r reserver) Unreserve(context.Context, *CycleState, *core.Pod, string) {
	*r.log = append(*r.log, "unreserve "+r.name)
}

func TestReserveUnreserveOrder(t *testing.T) {
	var log []string
	p := basicProfile()
	p.Plugins.Reserve = PluginSet{Enabled: refs("R1", "R2", "R3")}
	fw := newTestFramework(t, p, nil, &fakePlugin{name: "Q"}, reserver{"R1", false, &log}, reserver{"R2", true, &log}, reserver{"R3", false, &log})
	pod := testPod("p", "", container(nil))
	st := fw.RunReservePluginsReserve(context.Background(), NewCycleState(), pod, "n")
	if st.Code() != Unschedulable || st.Plugin() != "R2" {
		t.Errorf("reserve: %v", st)
	}
	fw.RunReservePluginsUnreserve(context.Background(), NewCycleState(), pod, "n")
	want := []string{"reserve R1", "reserve R2", "unreserve R3", "unreserve R2", "unreserve R1"}
	if !slices.Equal(log, want) {
		t.Errorf("calls %v, want %v", log, want)
	}
}
