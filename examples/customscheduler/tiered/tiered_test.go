package tiered_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/examples/customscheduler/tiered"
	"github.com/longshore/longshore/scheduler/framework"
)

func TestNewArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    any
		wantErr error
	}{
		{name: "nil means defaults", args: nil},
		{name: "typed", args: tiered.Args{TierKey: "k", SpreadLabel: "l"}},
		{name: "raw JSON over defaults", args: framework.RawArgs(`{"tierKey":"team"}`)},
		{name: "unknown field", args: framework.RawArgs(`{"tier":"x"}`), wantErr: framework.ErrInvalidArgs},
		{name: "empty key", args: framework.RawArgs(`{"tierKey":""}`), wantErr: tiered.ErrInvalidArgs},
		{name: "wrong type", args: 42, wantErr: framework.ErrInvalidArgs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw, _ := newFramework(t, nil, nil, nil) // any handle will do
			p, err := tiered.New(context.Background(), tt.args, fw)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("New() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && p.Name() != tiered.Name {
				t.Errorf("Name() = %q", p.Name())
			}
		})
	}
	if _, err := tiered.New(context.Background(), nil, nil); !errors.Is(err, tiered.ErrInvalidArgs) {
		t.Errorf("New without a handle: error = %v, want ErrInvalidArgs", err)
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name               string
		nodeTier, podTier  string
		args               framework.RawArgs
		wantOK             bool
		wantReasonContains string
	}{
		{name: "same tier", nodeTier: "gold", podTier: "gold", wantOK: true},
		{name: "other tier", nodeTier: "silver", podTier: "gold", wantReasonContains: `tier "gold"`},
		{name: "untiered node, tiered pod", nodeTier: "", podTier: "gold", wantReasonContains: `tier "gold"`},
		{name: "tiered node, untiered pod", nodeTier: "gold", podTier: "", wantReasonContains: `tier ""`},
		{name: "both untiered", wantOK: true},
		{name: "another key ignores the default one", nodeTier: "silver", podTier: "gold", args: framework.RawArgs(`{"tierKey":"team"}`), wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := node("n", tt.nodeTier)
			fw, snap := newFramework(t, tt.args, nil, []*core.Node{n})
			ni, err := snap.NodeInfos().Get("n")
			if err != nil {
				t.Fatal(err)
			}
			st := fw.RunFilterPlugins(context.Background(), framework.NewCycleState(), pod("default", "p", tt.podTier, "web", ""), ni)
			if st.IsSuccess() != tt.wantOK {
				t.Fatalf("Filter = %v, want success %v", st, tt.wantOK)
			}
			if tt.wantOK {
				return
			}
			if st.Code() != framework.UnschedulableAndUnresolvable {
				t.Errorf("code = %v, want UnschedulableAndUnresolvable (preemption cannot change a tier)", st.Code())
			}
			if st.Plugin() != tiered.Name {
				t.Errorf("plugin = %q, want %q", st.Plugin(), tiered.Name)
			}
			if !strings.Contains(st.Message(), tt.wantReasonContains) || !strings.Contains(st.Message(), "didn't match the pod's tier") {
				t.Errorf("message = %q, want it to contain %q", st.Message(), tt.wantReasonContains)
			}
		})
	}
}

func TestScore(t *testing.T) {
	nodes := []*core.Node{node("full", "gold"), node("half", "gold"), node("empty", "gold"), node("elsewhere", "gold")}
	existing := []*core.Pod{
		pod("default", "w1", "gold", "web", "full"),
		pod("default", "w2", "gold", "web", "full"),
		pod("default", "w3", "gold", "web", "half"),
		pod("default", "d1", "gold", "db", "half"),
		pod("default", "d2", "gold", "db", "empty"),
		pod("other", "w4", "gold", "web", "elsewhere"), // same app label, other namespace
	}
	tests := []struct {
		name string
		pod  *core.Pod
		want map[string]int64 // weighted totals; nil means the plugin skipped
	}{
		{name: "web prefers nodes without web pods", pod: pod("default", "new", "gold", "web", ""),
			want: map[string]int64{"full": 0, "half": 50, "empty": 100, "elsewhere": 100}},
		{name: "db", pod: pod("default", "new", "gold", "db", ""),
			want: map[string]int64{"full": 100, "half": 0, "empty": 0, "elsewhere": 100}},
		{name: "a new app scores every node alike", pod: pod("default", "new", "gold", "cache", ""),
			want: map[string]int64{"full": 100, "half": 100, "empty": 100, "elsewhere": 100}},
		{name: "no app label: skipped", pod: pod("default", "new", "gold", "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			fw, snap := newFramework(t, nil, existing, nodes)
			infos, err := snap.NodeInfos().List()
			if err != nil {
				t.Fatal(err)
			}
			state := framework.NewCycleState()
			if st := fw.RunPreScorePlugins(ctx, state, tt.pod, infos); !st.IsSuccess() {
				t.Fatalf("PreScore: %v", st)
			}
			scores, st := fw.RunScorePlugins(ctx, state, tt.pod, infos)
			if !st.IsSuccess() {
				t.Fatalf("Score: %v", st)
			}
			for _, s := range scores {
				want := tt.want[s.Name]
				if s.TotalScore != want {
					t.Errorf("node %s: score %d, want %d", s.Name, s.TotalScore, want)
				}
			}
			if len(scores) != len(nodes) {
				t.Errorf("got %d node scores, want %d", len(scores), len(nodes))
			}
		})
	}
}

func TestNormalizeScore(t *testing.T) {
	p := &tiered.Plugin{}
	tests := []struct {
		name     string
		in, want []int64
	}{
		{name: "all empty", in: []int64{0, 0}, want: []int64{100, 100}},
		{name: "linear", in: []int64{0, 1, 2, 4}, want: []int64{100, 75, 50, 0}},
		{name: "all equal", in: []int64{3, 3}, want: []int64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := make(framework.NodeScoreList, len(tt.in))
			for i, v := range tt.in {
				list[i] = framework.NodeScore{Name: string(rune('a' + i)), Score: v}
			}
			if st := p.NormalizeScore(context.Background(), nil, nil, list); !st.IsSuccess() {
				t.Fatal(st)
			}
			for i := range list {
				if list[i].Score != tt.want[i] {
					t.Errorf("score[%d] = %d, want %d", i, list[i].Score, tt.want[i])
				}
			}
		})
	}
}
