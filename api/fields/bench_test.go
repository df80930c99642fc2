package fields

import "testing"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("metadata.name=x,spec.nodeName!=,status.phase==Running"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatches(b *testing.B) {
	s, _ := Parse("spec.nodeName=node-1,status.phase!=Succeeded")
	fs := Set{"metadata.name": "web", "spec.nodeName": "node-1", "status.phase": "Running"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Matches(fs) {
			b.Fatal("no match")
		}
	}
}
