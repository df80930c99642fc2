package fields

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		match     []Set
		noMatch   []Set
	}{
		{"", "", []Set{nil, {"a": "b"}}, nil},
		{",,", "", []Set{nil}, nil},
		{"metadata.name=web", "metadata.name=web", []Set{{"metadata.name": "web"}}, []Set{nil, {"metadata.name": "db"}}},
		{"status.phase==Running", "status.phase=Running", []Set{{"status.phase": "Running"}}, []Set{{"status.phase": "Pending"}}},
		{"spec.nodeName!=", "spec.nodeName!=", []Set{{"spec.nodeName": "n1"}}, []Set{nil, {"spec.nodeName": ""}}},
		{"spec.nodeName=", "spec.nodeName=", []Set{nil, {"spec.nodeName": ""}}, []Set{{"spec.nodeName": "n1"}}},
		{"metadata.name=x,spec.nodeName!=,status.phase==Running", "metadata.name=x,spec.nodeName!=,status.phase=Running",
			[]Set{{"metadata.name": "x", "spec.nodeName": "n", "status.phase": "Running"}},
			[]Set{{"metadata.name": "x", "status.phase": "Running"}}},
		{`a=x\,y\=z\\`, `a=x\,y\=z\\`, []Set{{"a": `x,y=z\`}}, []Set{{"a": "x"}}},
		{"b=2,a=1", "a=1,b=2", []Set{{"a": "1", "b": "2"}}, []Set{{"a": "1"}}},
		{"a=1,a!=2", "a!=2,a=1", []Set{{"a": "1"}}, []Set{{"a": "2"}}},
		{"a!b=c", "a!b=c", []Set{{"a!b": "c"}}, nil},
		{"a=b!=c", "a=b!\\=c", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if tt.in == "a=b!=c" {
				// "=" comes first, so the value is "b!=c", whose '=' is unescaped.
				if _, err := Parse(tt.in); err == nil {
					t.Error("accepted an unescaped '=' in a value")
				}
				return
			}
			s, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := s.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			if s.Empty() != (tt.canonical == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
			for _, fs := range tt.match {
				if !s.Matches(fs) {
					t.Errorf("does not match %v", fs)
				}
			}
			for _, fs := range tt.noMatch {
				if s.Matches(fs) {
					t.Errorf("matches %v", fs)
				}
			}
			back, err := Parse(s.String())
			if err != nil || back.String() != s.String() {
				t.Errorf("reparse: %v, %v", back, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a", `at offset 0: term "a": expected field=value`},
		{"a=b,c", `at offset 4: term "c": expected field=value`},
		{"=b", `empty field name`},
		{"a=b=c", `unescaped '='`},
		{`a=b\`, `ends in a lone`},
		{`a=\x`, `invalid escape sequence "\\x"`},
		{"a=1,,b", `at offset 5: term "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.in, s)
			}
			if !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("%v does not wrap ErrInvalidSelector", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	for _, v := range []string{"", "plain", `a,b`, `a=b`, `a\b`, `\\,,==`, "ünïcode"} {
		e := EscapeValue(v)
		got, err := UnescapeValue(e)
		if err != nil || got != v {
			t.Errorf("UnescapeValue(EscapeValue(%q)) = %q, %v", v, got, err)
		}
	}
	if got := EscapeValue(`a,b=c\d`); got != `a\,b\=c\\d` {
		t.Errorf("EscapeValue = %q", got)
	}
}

func TestHelpers(t *testing.T) {
	s := OneTermEqualSelector("spec.nodeName", "node-1")
	if v, ok := s.RequiresExactMatch("spec.nodeName"); !ok || v != "node-1" {
		t.Errorf("RequiresExactMatch = %q, %v", v, ok)
	}
	if _, ok := s.RequiresExactMatch("metadata.name"); ok {
		t.Error("RequiresExactMatch found an absent field")
	}
	ne := OneTermNotEqualSelector("spec.nodeName", "")
	if _, ok := ne.RequiresExactMatch("spec.nodeName"); ok {
		t.Error("a != term pins a value")
	}
	if ne.String() != "spec.nodeName!=" {
		t.Errorf("OneTermNotEqualSelector = %q", ne.String())
	}
	both := AndSelectors(s, ne, Everything())
	if both.String() != "spec.nodeName!=,spec.nodeName=node-1" {
		t.Errorf("AndSelectors = %q", both.String())
	}
	if !both.Matches(Set{"spec.nodeName": "node-1"}) || both.Matches(Set{}) {
		t.Error("AndSelectors matches wrongly")
	}
	if got := (Set{"b": "x,y", "a": "1"}).String(); got != `a=1,b=x\,y` {
		t.Errorf("Set.String = %q", got)
	}
	if !SelectorFromSet(nil).Empty() || !Everything().Empty() {
		t.Error("empty selectors are not Empty")
	}
	reqs := both.Requirements()
	reqs[0].Value = "mutated"
	if both.Requirements()[0].Value == "mutated" {
		t.Error("Requirements exposes internal state")
	}
	if !(Set{"a": ""}).Has("a") || (Set{}).Has("a") {
		t.Error("Set.Has is wrong")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "metadata.name=x,spec.nodeName!=,status.phase==Running", `a=x\,y\=z\\`, "a", "=", `\`, "a!b=c"} {
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
		fs := Set{}
		for i, r := range s.Requirements() {
			if i%2 == 0 {
				fs[r.Field] = r.Value
			}
		}
		if s.Matches(fs) != back.Matches(fs) {
			t.Fatalf("%q and %q disagree on %v", in, str, fs)
		}
	})
}
