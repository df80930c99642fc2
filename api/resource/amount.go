package resource

import (
	"math"
	"math/big"
)

// amount is the number mantissa × 10^scale. The mantissa lives in small
// unless it does not fit an int64, in which case it lives in big. A big
// mantissa is never mutated once an amount holds it, so amounts (and the
// Quantities that embed them) can be copied freely.
type amount struct {
	small int64
	big   *big.Int
	scale int32
}

var (
	bigTen  = big.NewInt(10)
	bigZero = new(big.Int)
)

// makeAmount takes ownership of m and returns m × 10^scale, moving the
// mantissa to the int64 fast path when it fits.
func makeAmount(m *big.Int, scale int32) amount {
	if m.IsInt64() {
		return amount{small: m.Int64(), scale: scale}
	}
	return amount{big: m, scale: scale}
}

// mant returns a fresh copy of the mantissa as a big.Int.
func (a amount) mant() *big.Int {
	if a.big != nil {
		return new(big.Int).Set(a.big)
	}
	return big.NewInt(a.small)
}

func (a amount) sign() int {
	if a.big != nil {
		return a.big.Sign()
	}
	switch {
	case a.small > 0:
		return 1
	case a.small < 0:
		return -1
	}
	return 0
}

func (a amount) neg() amount {
	if a.big != nil {
		return makeAmount(new(big.Int).Neg(a.big), a.scale)
	}
	if a.small == math.MinInt64 {
		return amount{big: new(big.Int).Neg(big.NewInt(a.small)), scale: a.scale}
	}
	return amount{small: -a.small, scale: a.scale}
}

// digits returns the number of decimal digits of |mantissa| (0 for zero).
func (a amount) digits() int64 {
	if a.big == nil {
		v := a.small
		if v == 0 {
			return 0
		}
		u := uint64(v)
		if v < 0 {
			u = uint64(-v)
		}
		n := int64(0)
		for u > 0 {
			u /= 10
			n++
		}
		return n
	}
	abs := new(big.Int).Abs(a.big)
	if abs.Sign() == 0 {
		return 0
	}
	// log10(2) estimate, then correct by at most one.
	n := int64(float64(abs.BitLen()-1)*0.30102999566398120) + 1
	if abs.Cmp(pow10(n)) >= 0 {
		n++
	}
	return n
}

// magnitude returns the decimal exponent just above |a|: 10^(m-1) <= |a| < 10^m.
// It is meaningless for zero.
func (a amount) magnitude() int64 { return a.digits() + int64(a.scale) }

// pow10 returns 10^n as a new big.Int; n must be >= 0.
func pow10(n int64) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(n), nil)
}

var smallPow10 = [...]int64{
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
}

// mulPow10 returns v × 10^n and whether it fit an int64.
func mulPow10(v int64, n int64) (int64, bool) {
	if v == 0 {
		return 0, true
	}
	if n < 0 || n >= int64(len(smallPow10)) {
		return 0, false
	}
	p := smallPow10[n]
	r := v * p
	if r/p != v {
		return 0, false
	}
	return r, true
}

// rescale returns the mantissa of a expressed at the smaller scale s (s <= a.scale).
func (a amount) rescale(s int32) *big.Int {
	m := a.mant()
	if d := int64(a.scale) - int64(s); d > 0 {
		m.Mul(m, pow10(d))
	}
	return m
}

// cmp compares a and b numerically.
func cmp(a, b amount) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	if a.big == nil && b.big == nil {
		if a.scale == b.scale {
			return cmpInt64(a.small, b.small)
		}
		if a.scale > b.scale {
			if v, ok := mulPow10(a.small, int64(a.scale)-int64(b.scale)); ok {
				return cmpInt64(v, b.small)
			}
		} else if v, ok := mulPow10(b.small, int64(b.scale)-int64(a.scale)); ok {
			return cmpInt64(a.small, v)
		}
	}
	// Same sign: the one with more integer digits has the larger magnitude.
	// This keeps the comparison of far-apart values from materialising a huge
	// power of ten.
	if ma, mb := a.magnitude(), b.magnitude(); ma != mb {
		if ma > mb {
			return sa
		}
		return -sa
	}
	s := min(a.scale, b.scale)
	return a.rescale(s).Cmp(b.rescale(s))
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// add returns a + b exactly.
func add(a, b amount) amount {
	if a.sign() == 0 {
		return b
	}
	if b.sign() == 0 {
		return a
	}
	if a.big == nil && b.big == nil {
		s := min(a.scale, b.scale)
		x, okx := mulPow10(a.small, int64(a.scale)-int64(s))
		y, oky := mulPow10(b.small, int64(b.scale)-int64(s))
		if okx && oky {
			if r := x + y; (r > x) == (y > 0) {
				return amount{small: r, scale: s}
			}
		}
	}
	s := min(a.scale, b.scale)
	m := a.rescale(s)
	return makeAmount(m.Add(m, b.rescale(s)), s)
}

// roundUp returns a expressed at scale s (s > a.scale), rounding the
// magnitude up (away from zero) when digits are dropped, and whether the
// result is exact.
func (a amount) roundUp(s int32) (amount, bool) {
	if a.scale >= s {
		return a, true
	}
	sign := a.sign()
	if sign == 0 {
		return amount{scale: s}, true
	}
	drop := int64(s) - int64(a.scale)
	if a.big == nil && drop < int64(len(smallPow10)) {
		p := smallPow10[drop]
		q, r := a.small/p, a.small%p
		if r == 0 {
			return amount{small: q, scale: s}, true
		}
		if sign > 0 {
			q++
		} else {
			q--
		}
		return amount{small: q, scale: s}, false
	}
	if a.digits() < drop {
		// |a| < 10^s: every digit goes, the value becomes one unit of 10^s.
		return amount{small: int64(sign), scale: s}, false
	}
	m := a.mant()
	m.Abs(m)
	q, r := new(big.Int).QuoRem(m, pow10(drop), new(big.Int))
	exact := r.Sign() == 0
	if !exact {
		q.Add(q, big.NewInt(1))
	}
	if sign < 0 {
		q.Neg(q)
	}
	return makeAmount(q, s), exact
}

// int64At returns a × 10^-s as an int64, rounded away from zero, saturating
// at the int64 bounds.
func (a amount) int64At(s int32) int64 {
	r, _ := a.roundUp(s)
	if r.big == nil {
		if v, ok := mulPow10(r.small, int64(r.scale)-int64(s)); ok {
			return v
		}
	}
	if sign := r.sign(); sign != 0 && r.magnitude()-int64(s) > 19 {
		if sign > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	m := r.rescale(s)
	if m.IsInt64() {
		return m.Int64()
	}
	if m.Sign() > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}

// float returns an approximation of a as a float64.
func (a amount) float() float64 {
	var m float64
	if a.big != nil {
		m, _ = new(big.Float).SetInt(a.big).Float64()
	} else {
		m = float64(a.small)
	}
	if m == 0 || a.scale == 0 {
		return m
	}
	if a.scale > 400 || a.scale < -400 {
		// Beyond float64 either way; let big.Float do the exact rounding.
		f := new(big.Float).SetFloat64(m)
		p := new(big.Float).SetInt(pow10(int64(abs32(a.scale))))
		if a.scale > 0 {
			f.Mul(f, p)
		} else {
			f.Quo(f, p)
		}
		r, _ := f.Float64()
		return r
	}
	if a.scale < 0 && a.scale >= -22 && math.Abs(m) < 1<<53 {
		// Both exact in float64: one rounding only.
		return m / math.Pow10(int(-a.scale))
	}
	return m * math.Pow10(int(a.scale))
}

func abs32(v int32) int64 {
	if v < 0 {
		return -int64(v)
	}
	return int64(v)
}
