package resource

import "testing"

var (
	sinkQ Quantity
	sinkS string
	sinkI int
)

func BenchmarkParseQuantity(b *testing.B) {
	for _, in := range []string{"100m", "1.5Gi", "18446744073709551616", "1.23456789012345678901234567890"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q, err := ParseQuantity(in)
				if err != nil {
					b.Fatal(err)
				}
				sinkQ = q
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	for _, in := range []string{"100m", "1.5Gi", "18446744073709551616"} {
		q := MustParse(in)
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkS = q.String()
			}
		})
	}
}

func BenchmarkAddCmp(b *testing.B) {
	x, y := MustParse("250m"), MustParse("1.5")
	b.ReportAllocs()
	for b.Loop() {
		s := x
		s.Add(y)
		sinkI = s.Cmp(y)
	}
}
