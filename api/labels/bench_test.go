package labels

import "testing"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("app=web,tier in (fe,be),env!=dev,!canary"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatches(b *testing.B) {
	s, _ := Parse("app=web,tier in (fe,be),env!=dev,!canary")
	ls := Set{"app": "web", "tier": "fe", "env": "prod", "pod-template-hash": "abc"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Matches(ls) {
			b.Fatal("no match")
		}
	}
}
