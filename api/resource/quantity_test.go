package resource

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		format Format
		value  int64
		milli  int64
	}{
		{"0", "0", DecimalSI, 0, 0},
		{"-0", "0", DecimalSI, 0, 0},
		{"0Ki", "0", BinarySI, 0, 0},
		{"0e5", "0", DecimalExponent, 0, 0},
		{"1", "1", DecimalSI, 1, 1000},
		{"+5", "5", DecimalSI, 5, 5000},
		{"007", "7", DecimalSI, 7, 7000},
		{"100m", "100m", DecimalSI, 1, 100},
		{"0.5", "500m", DecimalSI, 1, 500},
		{".5", "500m", DecimalSI, 1, 500},
		{"1.", "1", DecimalSI, 1, 1000},
		{"1.G", "1G", DecimalSI, 1e9, 1e12},
		{"1000m", "1", DecimalSI, 1, 1000},
		{"1500m", "1500m", DecimalSI, 2, 1500},
		{"1.5", "1500m", DecimalSI, 2, 1500},
		{"-1.5", "-1500m", DecimalSI, -2, -1500},
		{"1000", "1k", DecimalSI, 1000, 1e6},
		{"100", "100", DecimalSI, 100, 1e5},
		{"129M", "129M", DecimalSI, 129e6, 129e9},
		{"1.5M", "1500k", DecimalSI, 15e5, 15e8},
		{"12345", "12345", DecimalSI, 12345, 12345000},
		{"1E", "1E", DecimalSI, 1e18, math.MaxInt64},
		{"1000E", "1e21", DecimalSI, math.MaxInt64, math.MaxInt64},
		{"5n", "5n", DecimalSI, 1, 1},
		{"0.1n", "1n", DecimalSI, 1, 1},
		{"-0.1n", "-1n", DecimalSI, -1, -1},
		{"1500u", "1500u", DecimalSI, 1, 2},
		{"1.2345", "1234500u", DecimalSI, 2, 1235},
		{"0.000000001", "1n", DecimalSI, 1, 1},
		{"1.23456789012345678901234567890", "1234567891n", DecimalSI, 2, 1235},
		{"18446744073709551616", "18446744073709551616", DecimalSI, math.MaxInt64, math.MaxInt64},
		{"-18446744073709551616", "-18446744073709551616", DecimalSI, math.MinInt64, math.MinInt64},
		{"123456789012345678901234567890000", "123456789012345678901234567890k", DecimalSI, math.MaxInt64, math.MaxInt64},
		{"2e3", "2e3", DecimalExponent, 2000, 2e6},
		{"2E3", "2e3", DecimalExponent, 2000, 2e6},
		{"1e+3", "1e3", DecimalExponent, 1000, 1e6},
		{"20e3", "20e3", DecimalExponent, 20000, 2e7},
		{"2e4", "20e3", DecimalExponent, 20000, 2e7},
		{"12e6", "12e6", DecimalExponent, 12e6, 12e9},
		{"1e-3", "1e-3", DecimalExponent, 1, 1},
		{"1e-20", "1e-9", DecimalExponent, 1, 1},
		{"1.5e0", "1500e-3", DecimalExponent, 2, 1500},
		{"1e21", "1e21", DecimalExponent, math.MaxInt64, math.MaxInt64},
		{"1Ki", "1Ki", BinarySI, 1024, 1024000},
		{"1024Ki", "1Mi", BinarySI, 1 << 20, 1 << 20 * 1000},
		{"1.5Gi", "1536Mi", BinarySI, 1536 << 20, 1536 << 20 * 1000},
		{"100Gi", "100Gi", BinarySI, 100 << 30, 100 << 30 * 1000},
		{"1000Ki", "1000Ki", BinarySI, 1024000, 1024000000},
		{"0.5Ki", "512", BinarySI, 512, 512000},
		{"1.1Ki", "1126400m", BinarySI, 1127, 1126400},
		{"1.0000001Ki", "1024000102400n", BinarySI, 1025, 1024001},
		{"0.0001Ki", "102400u", DecimalSI, 1, 103},
		{"-1Mi", "-1Mi", BinarySI, -(1 << 20), -(1 << 20) * 1000},
		{"8Ei", "9223372036854775807", BinarySI, math.MaxInt64, math.MaxInt64},
		{"-8Ei", "-9223372036854775807", BinarySI, -math.MaxInt64, math.MinInt64},
		{"99999999999999999999Ki", "9223372036854775807", BinarySI, math.MaxInt64, math.MaxInt64},
		{"7Ei", "7Ei", BinarySI, 7 << 60, math.MaxInt64},
		{"1e999", "1e999", DecimalExponent, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err != nil {
				t.Fatalf("ParseQuantity: %v", err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if q.Format != tt.format {
				t.Errorf("Format = %q, want %q", q.Format, tt.format)
			}
			if got := q.Value(); got != tt.value {
				t.Errorf("Value() = %d, want %d", got, tt.value)
			}
			if got := q.MilliValue(); got != tt.milli {
				t.Errorf("MilliValue() = %d, want %d", got, tt.milli)
			}
			back, err := ParseQuantity(q.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", q.String(), err)
			}
			if !back.Equal(q) || back.String() != q.String() {
				t.Errorf("reparse %q = %q, not equal", q.String(), back.String())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrFormatWrong},
		{".", ErrFormatWrong},
		{"-", ErrFormatWrong},
		{"+", ErrFormatWrong},
		{"1.2.3", ErrFormatWrong},
		{"1.1.M", ErrFormatWrong},
		{"1+1.0M", ErrFormatWrong},
		{"1Qi", ErrFormatWrong},
		{"1Ki5", ErrSuffix},
		{"0.1mi", ErrSuffix},
		{"0.1am", ErrFormatWrong},
		{"aoeu", ErrFormatWrong},
		{".5i", ErrSuffix},
		{"1i", ErrSuffix},
		{"1K", ErrSuffix},
		{"1e", ErrSuffix},
		{"1E+", ErrSuffix},
		{"-3.01e-", ErrSuffix},
		{"1e3e", ErrSuffix},
		{"1e1.5", ErrSuffix},
		{" 1", ErrFormatWrong},
		{"1 ", ErrFormatWrong},
		{"1e9999999999", ErrRange},
		{"1e1000", ErrRange},
		{"1" + strings.Repeat("0", 1000), ErrRange},
		{"1\x00", ErrFormatWrong},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if err == nil {
				t.Fatalf("ParseQuantity(%q) = %v, want error", tt.in, q)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
				t.Errorf("error %q does not name the input", err)
			}
		})
	}
}

func TestLongInputsStayCheap(t *testing.T) {
	// A megabyte of fraction digits must parse quickly to its nano value.
	in := "1." + strings.Repeat("0", 1<<20) + "1"
	q, err := ParseQuantity(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.String(); got != "1000000001n" {
		t.Errorf("String() = %q", got)
	}
	bin := "1." + strings.Repeat("0", 1<<20) + "1Ki"
	q, err = ParseQuantity(bin)
	if err != nil {
		t.Fatal(err)
	}
	if got := q.String(); got != "1024000000001n" {
		t.Errorf("binary String() = %q", got)
	}
	tiny := "0." + strings.Repeat("0", 1<<20) + "1Ki"
	if q = MustParse(tiny); q.String() != "1n" {
		t.Errorf("tiny String() = %q", q.String())
	}
	// Comparing far-apart values never builds the power of ten between them.
	if MustParse("1e999").Cmp(MustParse("1n")) != 1 || MustParse("-1e999").Cmp(MustParse("1n")) != -1 {
		t.Error("Cmp of far-apart values is wrong")
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		q    Quantity
		want string
	}{
		{"NewQuantity decimal", NewQuantity(1000, DecimalSI), "1k"},
		{"NewQuantity binary", NewQuantity(1<<30, BinarySI), "1Gi"},
		{"NewQuantity binary small", NewQuantity(1000, BinarySI), "1k"},
		{"NewQuantity exponent", NewQuantity(5000, DecimalExponent), "5e3"},
		{"NewQuantity min", NewQuantity(math.MinInt64, DecimalSI), "-9223372036854775808"},
		{"NewMilliQuantity", NewMilliQuantity(1500, DecimalSI), "1500m"},
		{"NewMilliQuantity whole", NewMilliQuantity(2000, DecimalSI), "2"},
		{"NewMilliQuantity binary fraction", NewMilliQuantity(1536500, BinarySI), "1536500m"},
		{"NewScaledQuantity", NewScaledQuantity(5, Giga), "5G"},
		{"NewScaledQuantity nano", NewScaledQuantity(5, Nano), "5n"},
		{"unknown format", Quantity{a: amount{small: 3000}, Format: "odd"}, "3e3"},
		{"zero value", Quantity{}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		op         string
		x, y, want string
	}{
		{"add", "1", "500m", "1500m"},
		{"add", "1Gi", "1Gi", "2Gi"},
		{"add", "1Mi", "1Ki", "1025Ki"},
		{"add", "0", "1Ki", "1Ki"},
		{"add", "1.5", "-1.5", "0"},
		{"add", "9223372036854775807", "1", "9223372036854775808"},
		{"add", "18446744073709551616", "-18446744073709551616", "0"},
		{"add", "1n", "1e21", "1000000000000000000000000000001n"},
		{"sub", "1", "500m", "500m"},
		{"sub", "0", "1Ki", "-1Ki"},
		{"sub", "-9223372036854775808", "1", "-9223372036854775809"},
		{"sub", "2Gi", "1Gi", "1Gi"},
		{"add", "7Ei", "7Ei", "14Ei"},
		{"add", "7Ei", "1", "8070450532247928833"},
		{"sub", "-7Ei", "7Ei", "-14Ei"},
		{"add", "1e30", "1", "1000000000000000000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.x+" "+tt.y, func(t *testing.T) {
			q := MustParse(tt.x)
			if tt.op == "add" {
				q.Add(MustParse(tt.y))
			} else {
				q.Sub(MustParse(tt.y))
			}
			if got := q.String(); got != tt.want {
				t.Errorf("= %q, want %q", got, tt.want)
			}
			// A BinarySI value past 2^63-1 (reachable only by arithmetic)
			// re-parses capped, as in Kubernetes.
			if want := MustParse(tt.want); !q.Equal(want) && !(want.Format == BinarySI && want.CmpInt64(math.MaxInt64) == 0) && !(want.Format == BinarySI && want.CmpInt64(-math.MaxInt64) == 0) {
				t.Errorf("%q not Equal to %q", q.String(), tt.want)
			}
		})
	}
	q := MustParse("1500m")
	q.Neg()
	if q.String() != "-1500m" {
		t.Errorf("Neg = %q", q.String())
	}
	x := MustParse("1")
	y := x
	y.Add(MustParse("1"))
	if x.String() != "1" || y.String() != "2" {
		t.Errorf("Add changed a copy: x=%s y=%s", x.String(), y.String())
	}
}

func TestCmp(t *testing.T) {
	tests := []struct {
		x, y string
		want int
	}{
		{"1", "1000m", 0},
		{"1Ki", "1024", 0},
		{"1k", "1Ki", -1},
		{"1Ki", "1k", 1},
		{"-1", "1", -1},
		{"0", "-1n", 1},
		{"1e21", "1E", 1},
		{"999999999999999999999", "1e21", -1},
		{"1000000000000000000001", "1e21", 1},
		{"1e21", "1000000000000000000000", 0},
		{"-1e21", "-999999999999999999999", -1},
		{"1.000000001", "1", 1},
		{"9223372036854775807", "9223372036854775807000m", 0},
	}
	for _, tt := range tests {
		t.Run(tt.x+" vs "+tt.y, func(t *testing.T) {
			x, y := MustParse(tt.x), MustParse(tt.y)
			if got := x.Cmp(y); got != tt.want {
				t.Errorf("Cmp = %d, want %d", got, tt.want)
			}
			if got := y.Cmp(x); got != -tt.want {
				t.Errorf("reverse Cmp = %d, want %d", got, -tt.want)
			}
		})
	}
	if MustParse("5").CmpInt64(4) != 1 || MustParse("4").CmpInt64(4) != 0 {
		t.Error("CmpInt64 is wrong")
	}
}

func TestAccessors(t *testing.T) {
	tests := []struct {
		in     string
		nano   int64
		i64    int64
		ok     bool
		approx float64
	}{
		{"1", 1e9, 1, true, 1},
		{"1.5", 15e8, 0, false, 1.5},
		{"1.2345", 1234500000, 0, false, 1.2345},
		{"-2k", -2e12, -2000, true, -2000},
		{"1Gi", 1 << 30 * 1e9 / (1 << 30) * (1 << 30), 1 << 30, true, 1 << 30},
		{"18446744073709551616", math.MaxInt64, 0, false, 18446744073709551616},
		{"1e999", math.MaxInt64, 0, false, math.Inf(1)},
		{"5n", 5, 0, false, 5e-9},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := MustParse(tt.in)
			if got := q.ScaledValue(Nano); got != tt.nano {
				t.Errorf("ScaledValue(Nano) = %d, want %d", got, tt.nano)
			}
			got, ok := q.AsInt64()
			if got != tt.i64 || ok != tt.ok {
				t.Errorf("AsInt64() = %d, %v, want %d, %v", got, ok, tt.i64, tt.ok)
			}
			if f := q.AsApproximateFloat64(); f != tt.approx {
				t.Errorf("AsApproximateFloat64() = %v, want %v", f, tt.approx)
			}
		})
	}
	if !(Quantity{}).IsZero() || MustParse("1n").IsZero() {
		t.Error("IsZero is wrong")
	}
	if MustParse("-1").Sign() != -1 || MustParse("0").Sign() != 0 || MustParse("1").Sign() != 1 {
		t.Error("Sign is wrong")
	}
	if got := MustParse("1Mi").DeepCopy(); got.String() != "1Mi" {
		t.Errorf("DeepCopy = %q", got.String())
	}
}

func TestJSON(t *testing.T) {
	type holder struct {
		Q Quantity `json:"q"`
	}
	tests := []struct {
		in, want string
	}{
		{`{"q":"1.5Gi"}`, `{"q":"1536Mi"}`},
		{`{"q":"100m"}`, `{"q":"100m"}`},
		{`{"q":1.5}`, `{"q":"1500m"}`},
		{`{"q":-3}`, `{"q":"-3"}`},
		{`{"q":1e3}`, `{"q":"1e3"}`},
		{`{"q":" 2 "}`, `{"q":"2"}`},
		{`{"q":null}`, `{"q":"0"}`},
		{`{"q":"1\u004bi"}`, `{"q":"1Ki"}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var h holder
			if err := json.Unmarshal([]byte(tt.in), &h); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("= %s, want %s", out, tt.want)
			}
		})
	}
	for _, bad := range []string{`{"q":"1Qi"}`, `{"q":true}`, `{"q":"1`, `{"q":[1]}`} {
		var h holder
		if err := json.Unmarshal([]byte(bad), &h); err == nil {
			t.Errorf("Unmarshal(%s) = nil error", bad)
		}
	}
}

func TestSaturation(t *testing.T) {
	tests := []struct {
		in           string
		value, milli int64
		nano         int64
	}{
		{"-1e999", math.MinInt64, math.MinInt64, math.MinInt64},
		{"9223372036854775807", math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"-9223372036854775808", math.MinInt64, math.MinInt64, math.MinInt64},
		{"9223372036854775.807", 9223372036854776, math.MaxInt64, math.MaxInt64},
		{"9223372036854775.807m", 9223372036855, 9223372036854776, math.MaxInt64},
		{"-0.5n", -1, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := MustParse(tt.in)
			if v := q.Value(); v != tt.value {
				t.Errorf("Value() = %d, want %d", v, tt.value)
			}
			if v := q.MilliValue(); v != tt.milli {
				t.Errorf("MilliValue() = %d, want %d", v, tt.milli)
			}
			if v := q.ScaledValue(Nano); v != tt.nano {
				t.Errorf("ScaledValue(Nano) = %d, want %d", v, tt.nano)
			}
		})
	}
	var out Quantity
	src := MustParse("18446744073709551616")
	src.DeepCopyInto(&out)
	if !out.Equal(src) {
		t.Error("DeepCopyInto lost the value")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse of bad input did not panic")
		}
	}()
	MustParse("bogus")
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"0", "1.5Gi", "2e3", "129M", "100m", "-1.2345", "8Ei", "1e-20", ".5", "1.", "18446744073709551616", "1e999", "0.1Ki"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		str := q.String()
		back, err := ParseQuantity(str)
		if err != nil {
			t.Fatalf("ParseQuantity(%q) ok, but its String %q does not parse: %v", s, str, err)
		}
		if !back.Equal(q) {
			t.Fatalf("ParseQuantity(%q).String() = %q parses to %q, a different value", s, str, back.String())
		}
		if again := back.String(); again != str {
			t.Fatalf("String not stable: %q then %q", str, again)
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var j Quantity
		if err := json.Unmarshal(b, &j); err != nil || !j.Equal(q) {
			t.Fatalf("JSON round trip of %q: %s, %v", s, b, err)
		}
		_ = q.Value()
		_ = q.MilliValue()
		_ = q.AsApproximateFloat64()
		sum := q
		sum.Add(back)
		sum.Sub(q)
		if !sum.Equal(q) {
			t.Fatalf("q + q - q = %q, want %q", sum.String(), str)
		}
	})
}

func TestRoundUp(t *testing.T) {
	tests := []struct {
		in    string
		scale Scale
		want  string
		exact bool
	}{
		{"1.0001", Milli, "1001m", false},
		{"-1.0001", Milli, "-1001m", false},
		{"1500m", Milli, "1500m", true},
		{"1.5Gi", Milli, "1536Mi", true},
		{"1n", Milli, "1m", false},
		{"1n", 0, "1", false},
		{"1234", Kilo, "2k", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := MustParse(tt.in)
			if exact := q.RoundUp(tt.scale); exact != tt.exact {
				t.Errorf("exact = %v", exact)
			}
			if q.String() != tt.want {
				t.Errorf("= %q, want %q", q.String(), tt.want)
			}
		})
	}
}
