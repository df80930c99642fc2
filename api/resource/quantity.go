package resource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Quantity is a fixed-point number with the wire form of Kubernetes'
// resource.Quantity: "100m", "1536Mi", "2e3". The zero value is 0 in
// DecimalSI. A Quantity is a value: copy it freely; Add, Sub and Neg change
// only the Quantity they are called on.
type Quantity struct {
	a amount
	// Format is the suffix family String uses. Parsing keeps the family of
	// the input; change it at will.
	Format Format
}

// Format is the suffix family of a Quantity's string form.
type Format string

// The three suffix families.
const (
	// DecimalExponent writes "12e6".
	DecimalExponent Format = "DecimalExponent"
	// BinarySI writes "12Mi" (12 × 2^20).
	BinarySI Format = "BinarySI"
	// DecimalSI writes "12M" (12 × 10^6).
	DecimalSI Format = "DecimalSI"
)

// Scale is a power of ten, the unit of NewScaledQuantity and ScaledValue.
type Scale int32

// Common scales.
const (
	Nano  Scale = -9
	Micro Scale = -6
	Milli Scale = -3
	Kilo  Scale = 3
	Mega  Scale = 6
	Giga  Scale = 9
	Tera  Scale = 12
	Peta  Scale = 15
	Exa   Scale = 18
)

// NewQuantity returns value in the given format.
func NewQuantity(value int64, format Format) Quantity {
	return Quantity{a: amount{small: value}, Format: format}
}

// NewMilliQuantity returns value/1000 in the given format.
func NewMilliQuantity(value int64, format Format) Quantity {
	return Quantity{a: amount{small: value, scale: int32(Milli)}, Format: format}
}

// NewScaledQuantity returns value × 10^scale in DecimalSI.
func NewScaledQuantity(value int64, scale Scale) Quantity {
	return Quantity{a: amount{small: value, scale: int32(scale)}, Format: DecimalSI}
}

// MustParse is ParseQuantity that panics on error. It is meant for
// constants written in code (MustParse("100m")), never for input.
func MustParse(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(fmt.Sprintf("resource.MustParse(%q): %v", s, err))
	}
	return q
}

// String returns the canonical form of q (see the package doc).
func (q Quantity) String() string {
	var buf [32]byte
	return string(q.AppendCanonical(buf[:0]))
}

// IsZero reports whether q is zero.
func (q Quantity) IsZero() bool { return q.a.sign() == 0 }

// Sign returns -1, 0 or 1 as q is negative, zero or positive.
func (q Quantity) Sign() int { return q.a.sign() }

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than y.
func (q Quantity) Cmp(y Quantity) int { return cmp(q.a, y.a) }

// CmpInt64 compares q with the integer y.
func (q Quantity) CmpInt64(y int64) int { return cmp(q.a, amount{small: y}) }

// Equal reports whether q and y are the same number, whatever their formats.
func (q Quantity) Equal(y Quantity) bool { return cmp(q.a, y.a) == 0 }

// Add sets q to q + y. A zero q takes y's format.
func (q *Quantity) Add(y Quantity) {
	if q.IsZero() {
		q.Format = y.Format
	}
	q.a = add(q.a, y.a)
}

// Sub sets q to q - y. A zero q takes y's format.
func (q *Quantity) Sub(y Quantity) {
	if q.IsZero() {
		q.Format = y.Format
	}
	q.a = add(q.a, y.a.neg())
}

// Neg sets q to -q.
func (q *Quantity) Neg() { q.a = q.a.neg() }

// Value returns q as an integer, rounded away from zero ("1.1" is 2,
// "-1.1" is -2) and saturated at the int64 bounds.
func (q Quantity) Value() int64 { return q.a.int64At(0) }

// MilliValue returns q × 1000 as an integer, rounded away from zero and
// saturated at the int64 bounds.
func (q Quantity) MilliValue() int64 { return q.a.int64At(int32(Milli)) }

// ScaledValue returns q / 10^scale as an integer, rounded away from zero
// and saturated at the int64 bounds: ScaledValue(Nano) is nanounits.
func (q Quantity) ScaledValue(scale Scale) int64 { return q.a.int64At(int32(scale)) }

// AsInt64 returns q as an int64 when q is an integer that fits.
func (q Quantity) AsInt64() (int64, bool) {
	r, exact := q.a.roundUp(0)
	if !exact {
		return 0, false
	}
	if r.big == nil {
		return mulPow10(r.small, int64(r.scale))
	}
	if r.magnitude() > 19 {
		return 0, false
	}
	m := r.rescale(0)
	return m.Int64(), m.IsInt64()
}

// AsApproximateFloat64 returns q as the nearest float64 (±Inf beyond its
// range).
func (q Quantity) AsApproximateFloat64() float64 { return q.a.float() }

// DeepCopy returns a copy of q. Quantities share no mutable state, so this
// is a plain copy; it exists for generated deep-copy code.
func (q Quantity) DeepCopy() Quantity { return q }

// DeepCopyInto copies q into out.
func (q *Quantity) DeepCopyInto(out *Quantity) { *out = *q }

// MarshalJSON writes q's canonical string as a JSON string.
func (q Quantity) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 34)
	b = append(b, '"')
	b = q.AppendCanonical(b)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a JSON string, or a JSON number as Kubernetes also
// accepts, and null as zero. Surrounding spaces inside the string are
// ignored, as Kubernetes ignores them.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*q = Quantity{}
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("quantity: %w", err)
		}
	} else {
		s = string(b)
	}
	p, err := ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*q = p
	return nil
}

// RoundUp rounds q up in magnitude to a multiple of 10^scale (RoundUp(Milli)
// makes "1.0001" into "1001m") and reports whether q was already exact.
// Defaulting rounds resource lists to milli units this way, as Kubernetes
// does.
func (q *Quantity) RoundUp(scale Scale) bool {
	r, exact := q.a.roundUp(int32(scale))
	q.a = r
	return exact
}
