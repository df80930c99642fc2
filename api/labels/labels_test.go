package labels

import (
	"errors"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/meta"
)

func TestParseMatches(t *testing.T) {
	tests := []struct {
		sel       string
		canonical string
		match     []Set
		noMatch   []Set
	}{
		{"", "", []Set{nil, {"a": "b"}}, nil},
		{"   ", "", []Set{{"a": "b"}}, nil},
		{"a=b", "a=b", []Set{{"a": "b"}, {"a": "b", "c": "d"}}, []Set{nil, {"a": "c"}, {"b": "b"}}},
		{"a==b", "a==b", []Set{{"a": "b"}}, []Set{{"a": "c"}}},
		{"a!=b", "a!=b", []Set{nil, {"a": "c"}}, []Set{{"a": "b"}}},
		{"a=", "a=", []Set{{"a": ""}}, []Set{nil, {"a": "x"}}},
		{"a", "a", []Set{{"a": ""}, {"a": "x"}}, []Set{nil, {"b": "x"}}},
		{"!a", "!a", []Set{nil, {"b": "x"}}, []Set{{"a": ""}}},
		{" ! a ", "!a", []Set{nil}, []Set{{"a": "1"}}},
		{"a in (x,y)", "a in (x,y)", []Set{{"a": "x"}, {"a": "y"}}, []Set{nil, {"a": "z"}}},
		{"a in (y, x, y)", "a in (x,y)", []Set{{"a": "x"}}, []Set{{"a": ""}}},
		{"a in ()", "a in ()", []Set{{"a": ""}}, []Set{nil, {"a": "x"}}},
		{"a notin (x)", "a notin (x)", []Set{nil, {"a": "y"}}, []Set{{"a": "x"}}},
		{"a>3", "a>3", []Set{{"a": "4"}}, []Set{nil, {"a": "3"}, {"a": "x"}}},
		{"a<3", "a<3", []Set{{"a": "2"}, {"a": "0"}}, []Set{{"a": "3"}, {"a": "nope"}}},
		{"in=notin", "in=notin", []Set{{"in": "notin"}}, nil},
		{"a in (in,notin)", "a in (in,notin)", []Set{{"a": "in"}}, nil},
		{"x=y,a=b,c!=d,e in (f,g),h notin (i),j,!k", "a=b,c!=d,e in (f,g),h notin (i),j,!k,x=y",
			[]Set{{"a": "b", "e": "f", "j": "", "x": "y"}},
			[]Set{{"a": "b", "e": "f", "j": "", "x": "y", "k": "1"}, {"a": "b", "e": "f", "x": "y"}}},
		{"example.com/app=web,tier in (fe)", "example.com/app=web,tier in (fe)", []Set{{"example.com/app": "web", "tier": "fe"}}, []Set{{"app": "web", "tier": "fe"}}},
		{"a!=2,a!=1", "a!=1,a!=2", []Set{{"a": "3"}}, []Set{{"a": "1"}, {"a": "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := s.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			if s.Empty() != (tt.canonical == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
			for _, ls := range tt.match {
				if !s.Matches(ls) {
					t.Errorf("does not match %v", ls)
				}
			}
			for _, ls := range tt.noMatch {
				if s.Matches(ls) {
					t.Errorf("matches %v", ls)
				}
			}
			back, err := Parse(s.String())
			if err != nil || back.String() != s.String() {
				t.Errorf("reparse %q: %v, %v", s.String(), back, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		sel  string
		want string // a part of the message
	}{
		{",", `at offset 0: found ",", expected a label key`},
		{"a=b,", "at offset 4: found end of input, expected a label key"},
		{"a=b,,c", `at offset 4: found ",", expected a label key`},
		{"!", "found end of input, expected a label key after '!'"},
		{"!a=b", `at offset 2: found "=", expected ',' or end of input after '!a'`},
		{"a b", `at offset 2: found "b", expected one of`},
		{"a in b", `at offset 5: found "b", expected '('`},
		{"a in (b", "found end of input, expected a value, ',' or ')'"},
		{"a in (b c)", `at offset 8: found "c", expected a value, ',' or ')'`},
		{"a=b=c", `at offset 3: found "=", expected ',' or end of input`},
		{"a=(b)", `found "(", expected a value`},
		{"-a=b", `at offset 0: key "-a"`},
		{"a/b/c", `key "a/b/c"`},
		{"a=-b", `value "-b"`},
		{"a=" + strings.Repeat("x", 64), "must be no more than 63 characters"},
		{"a>b", "the value must be an integer"},
		{"a<", "the value must be an integer"},
		{"a in (b) c", `found "c", expected ',' or end of input`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.sel, s)
			}
			if !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("error %v does not wrap ErrInvalidSelector", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestNewRequirement(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		op     Operator
		values []string
		ok     bool
	}{
		{"equals", "a", Equals, []string{"b"}, true},
		{"equals two", "a", Equals, []string{"b", "c"}, false},
		{"in empty", "a", In, nil, false},
		{"exists with values", "a", Exists, []string{"b"}, false},
		{"does not exist", "a", DoesNotExist, nil, true},
		{"gt", "a", GreaterThan, []string{"5"}, true},
		{"gt two", "a", GreaterThan, []string{"5", "6"}, false},
		{"bad operator", "a", "like", []string{"b"}, false},
		{"bad key", "", Exists, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequirement(tt.key, tt.op, tt.values)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("error %v does not wrap ErrInvalidSelector", err)
			}
			if r != nil && (r.Key() != tt.key || r.Operator() != tt.op) {
				t.Errorf("accessors: %q %q", r.Key(), r.Operator())
			}
		})
	}
	r, _ := NewRequirement("a", In, []string{"c", "b"})
	vs := r.Values()
	vs[0] = "mutated"
	if r.Values()[0] != "b" {
		t.Error("Values() exposes internal state")
	}
}

func TestSelectorHelpers(t *testing.T) {
	if !Everything().Matches(Set{"a": "b"}) || !Everything().Empty() || Everything().String() != "" {
		t.Error("Everything is wrong")
	}
	if Nothing().Matches(Set{}) || Nothing().Empty() {
		t.Error("Nothing is wrong")
	}
	if _, selectable := Nothing().Requirements(); selectable {
		t.Error("Nothing is selectable")
	}
	if got := SelectorFromSet(Set{"b": "2", "a": "1"}).String(); got != "a=1,b=2" {
		t.Errorf("SelectorFromSet = %q", got)
	}
	if !SelectorFromSet(nil).Empty() {
		t.Error("SelectorFromSet(nil) is not empty")
	}
	if got := (Set{"b": "2", "a": "1"}).String(); got != "a=1,b=2" {
		t.Errorf("Set.String = %q", got)
	}
	if _, err := ValidatedSelectorFromSet(Set{"a": "-"}); err == nil {
		t.Error("ValidatedSelectorFromSet accepted a bad value")
	}
	s, _ := Parse("b=1,x in (y)")
	r, _ := NewRequirement("a", Exists, nil)
	added := s.Add(*r)
	if got := added.String(); got != "a,b=1,x in (y)" {
		t.Errorf("Add = %q", got)
	}
	if s.String() != "b=1,x in (y)" {
		t.Errorf("Add changed the original: %q", s.String())
	}
	reqs, ok := added.Requirements()
	if !ok || len(reqs) != 3 || reqs[0].Key() != "a" {
		t.Errorf("Requirements = %v, %v", reqs, ok)
	}
	for _, tt := range []struct {
		label, value string
		found        bool
	}{{"b", "1", true}, {"x", "y", true}, {"a", "", false}, {"zz", "", false}} {
		v, found := added.RequiresExactMatch(tt.label)
		if v != tt.value || found != tt.found {
			t.Errorf("RequiresExactMatch(%q) = %q, %v", tt.label, v, found)
		}
	}
}

func TestFromLabelSelector(t *testing.T) {
	tests := []struct {
		name    string
		ls      *meta.LabelSelector
		want    string
		wantErr bool
		nothing bool
	}{
		{"nil", nil, "", false, true},
		{"empty", &meta.LabelSelector{}, "", false, false},
		{"labels", &meta.LabelSelector{MatchLabels: map[string]string{"b": "2", "a": "1"}}, "a=1,b=2", false, false},
		{"expressions", &meta.LabelSelector{
			MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []meta.LabelSelectorRequirement{
				{Key: "tier", Operator: meta.LabelSelectorOpIn, Values: []string{"fe", "be"}},
				{Key: "env", Operator: meta.LabelSelectorOpNotIn, Values: []string{"dev"}},
				{Key: "canary", Operator: meta.LabelSelectorOpDoesNotExist},
				{Key: "owner", Operator: meta.LabelSelectorOpExists},
			}}, "app=web,!canary,env notin (dev),owner,tier in (be,fe)", false, false},
		{"bad operator", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: "Like"}}}, "", true, false},
		{"in without values", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: meta.LabelSelectorOpIn}}}, "", true, false},
		{"exists with values", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: meta.LabelSelectorOpExists, Values: []string{"x"}}}}, "", true, false},
		{"bad label value", &meta.LabelSelector{MatchLabels: map[string]string{"a": "b c"}}, "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromLabelSelector(tt.ls)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidSelector) {
					t.Errorf("error %v does not wrap ErrInvalidSelector", err)
				}
				return
			}
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.nothing && s.Matches(Set{}) {
				t.Error("nil selector matches the empty set")
			}
			if tt.ls != nil && len(tt.ls.MatchLabels)+len(tt.ls.MatchExpressions) == 0 && !s.Matches(Set{"x": "y"}) {
				t.Error("empty selector does not match")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a=b,c!=d,e in (f,g),h notin (i),j,!k", "a==b", "x>1", "a in ()", "a in (,b)", "k8s.io/a=b", "a=", "!a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		str := s.String()
		back, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) ok, its String %q fails: %v", in, str, err)
		}
		if back.String() != str {
			t.Fatalf("String not stable: %q then %q", str, back.String())
		}
		// The reparsed selector agrees with the original on label sets made of
		// its own keys and values.
		reqs, _ := s.Requirements()
		ls := Set{}
		for i, r := range reqs {
			if i%2 == 0 {
				if vs := r.Values(); len(vs) > 0 {
					ls[r.Key()] = vs[0]
				} else {
					ls[r.Key()] = ""
				}
			}
		}
		if s.Matches(ls) != back.Matches(ls) {
			t.Fatalf("%q and %q disagree on %v", in, str, ls)
		}
	})
}
