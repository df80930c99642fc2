package resource

import (
	"math/big"
	"strconv"
)

var decimalSuffixByExp = map[int64]string{
	-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E",
}

var binarySuffixByPow = [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}

// maxBinaryMagnitude bounds the values String writes in BinarySI; larger
// ones (only reachable by arithmetic) are written in DecimalSI so that
// formatting never expands a huge power of ten.
const maxBinaryMagnitude = 40

// AppendCanonical appends the canonical form of q to b and returns the
// extended buffer. The canonical form has no fraction digits, the largest
// suffix of q's family that loses nothing, and a sign only when negative.
// A BinarySI quantity under 1024 in magnitude, or not an integer, is written
// in DecimalSI so that nothing is rounded; a DecimalSI exponent past "E"
// falls back to exponent form.
func (q Quantity) AppendCanonical(b []byte) []byte {
	a := q.a
	if a.sign() == 0 {
		return append(b, '0')
	}
	format := q.Format
	switch format {
	case DecimalSI, DecimalExponent:
	case BinarySI:
		if cmp(a, amount{small: 1024}) < 0 && cmp(a, amount{small: -1024}) > 0 {
			format = DecimalSI
		} else if a.magnitude() > maxBinaryMagnitude {
			format = DecimalSI
		} else if r, exact := a.roundUp(0); exact {
			return appendBinary(b, r)
		} else {
			format = DecimalSI
		}
	default:
		format = DecimalExponent
	}
	var e int64
	if v, ve, ok := canonicalSmall(a); ok {
		b, e = strconv.AppendInt(b, v, 10), ve
	} else {
		var m string
		m, e = canonicalDecimal(a)
		b = append(b, m...)
	}
	if format == DecimalSI {
		if suf, ok := decimalSuffixByExp[e]; ok {
			return append(b, suf...)
		}
	}
	if e == 0 {
		return b
	}
	b = append(b, 'e')
	return strconv.AppendInt(b, e, 10)
}

// canonicalSmall is canonicalDecimal for an int64 mantissa whose
// canonical form still fits an int64; ok is false otherwise.
func canonicalSmall(a amount) (v, e int64, ok bool) {
	if a.big != nil {
		return 0, 0, false
	}
	v, e = a.small, int64(a.scale)
	for v%10 == 0 {
		v /= 10
		e++
	}
	switch e % 3 {
	case 1, -2:
		v, ok = mulPow10(v, 1)
		e--
	case 2, -1:
		v, ok = mulPow10(v, 2)
		e -= 2
	default:
		ok = true
	}
	return v, e, ok
}

// canonicalDecimal returns the digits and the exponent (a multiple of 3)
// of a with no trailing zeros beyond what the exponent needs.
func canonicalDecimal(a amount) (string, int64) {
	e := int64(a.scale)
	m := a.mant()
	q, r := new(big.Int), new(big.Int)
	for _, step := range []struct {
		div *big.Int
		n   int64
	}{{pow10(16), 16}, {bigTen, 1}} {
		for {
			q.QuoRem(m, step.div, r)
			if r.Sign() != 0 {
				break
			}
			m, q = q, m
			e += step.n
		}
	}
	switch e % 3 {
	case 1, -2:
		m.Mul(m, bigTen)
		e--
	case 2, -1:
		m.Mul(m, big.NewInt(100))
		e -= 2
	}
	return m.String(), e
}

// appendBinary writes the integer r with the largest binary suffix that
// divides it.
func appendBinary(b []byte, r amount) []byte {
	if r.big == nil {
		if v, ok := mulPow10(r.small, int64(r.scale)); ok {
			k := 0
			for k < len(binarySuffixByPow)-1 && v%1024 == 0 {
				v /= 1024
				k++
			}
			b = strconv.AppendInt(b, v, 10)
			return append(b, binarySuffixByPow[k]...)
		}
	}
	m := r.rescale(0) // roundUp(0) left r.scale >= 0
	k := 0
	q, rem := new(big.Int), new(big.Int)
	d := big.NewInt(1024)
	for k < len(binarySuffixByPow)-1 {
		q.QuoRem(m, d, rem)
		if rem.Sign() != 0 {
			break
		}
		m, q = q, m
		k++
	}
	b = append(b, m.String()...)
	return append(b, binarySuffixByPow[k]...)
}
