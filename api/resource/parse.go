package resource

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Errors returned by ParseQuantity, wrapped with the offending input.
var (
	// ErrFormatWrong: the text is not <sign><digits>[.<digits>]<suffix>.
	ErrFormatWrong = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	// ErrSuffix: the suffix is none of the known ones.
	ErrSuffix = errors.New("unable to parse quantity's suffix")
	// ErrRange: the exponent does not fit an int32, or the value is 10^1000
	// or more in magnitude.
	ErrRange = errors.New("quantity out of range")
)

// maxMagnitude bounds the decimal exponent of a parsed value: no resource
// comes near 10^1000, and the bound keeps arithmetic on hostile input cheap
// (Kubernetes has no such bound).
const maxMagnitude = 1000

// binaryFracDigits is how many fraction digits of a binarySI number are
// kept exactly before the rest collapses into one sticky digit; 70 or more
// keeps nano rounding of a value times 2^60 exact.
const binaryFracDigits = 80

var decimalSuffixes = map[string]int32{
	"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}

var binarySuffixes = map[string]uint{
	"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60,
}

// ParseQuantity parses the Kubernetes quantity syntax:
//
//	<quantity>  ::= <sign>? <number> <suffix>
//	<number>    ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//	<suffix>    ::= Ki | Mi | Gi | Ti | Pi | Ei
//	              | n | u | m | "" | k | M | G | T | P | E
//	              | (e | E) <sign>? <digits>
//
// The suffix family becomes the Quantity's Format. Values are kept exactly
// down to 10^-9; a finer non-zero remainder rounds the magnitude up ("0.1n"
// is 1n). A binarySI value is capped at 2^63-1 in magnitude, as Kubernetes
// caps it. Unlike Kubernetes, a number needs at least one digit ("." and
// "-" are errors, not zero), and values of 10^1000 or more are refused.
func ParseQuantity(s string) (Quantity, error) {
	q, err := parse(s)
	if err != nil {
		return Quantity{}, fmt.Errorf("parse quantity %q: %w", s, err)
	}
	return q, nil
}

func parse(s string) (Quantity, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if len(intPart)+len(frac) == 0 {
		return Quantity{}, ErrFormatWrong
	}
	suffix := s[i:]
	if exp, ok := decimalSuffixes[suffix]; ok {
		return parseDecimal(neg, intPart, frac, int64(exp), DecimalSI)
	}
	if shift, ok := binarySuffixes[suffix]; ok {
		return parseBinary(neg, intPart, frac, shift)
	}
	if len(suffix) < 2 || (suffix[0] != 'e' && suffix[0] != 'E') {
		if strings.Trim(suffix, "eEinumkKMGTP+-0123456789") != "" {
			return Quantity{}, ErrFormatWrong
		}
		return Quantity{}, ErrSuffix
	}
	digits := suffix[1:]
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return Quantity{}, ErrSuffix
	}
	exp, err := strconv.ParseInt(suffix[1:], 10, 32)
	if err != nil {
		return Quantity{}, ErrRange
	}
	return parseDecimal(neg, intPart, frac, exp, DecimalExponent)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// joinDigits returns intPart+frac without leading zeros, and the scale of
// its last digit before any exponent.
func joinDigits(intPart, frac string) (string, int64) {
	sc := -int64(len(frac))
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		return strings.TrimLeft(frac, "0"), sc
	}
	if frac == "" {
		return intPart, sc
	}
	return intPart + frac, sc
}

// trimZeros moves trailing zeros of ds into the scale.
func trimZeros(ds string, sc int64) (string, int64) {
	t := len(ds) - len(strings.TrimRight(ds, "0"))
	return ds[:len(ds)-t], sc + int64(t)
}

// mantissa converts a digit string without leading zeros to a big.Int.
func mantissa(ds string, neg bool) *big.Int {
	m := new(big.Int)
	if len(ds) <= 18 {
		v, _ := strconv.ParseInt(ds, 10, 64)
		m.SetInt64(v)
	} else {
		m.SetString(ds, 10)
	}
	if neg {
		m.Neg(m)
	}
	return m
}

func parseDecimal(neg bool, intPart, frac string, exp int64, format Format) (Quantity, error) {
	ds, sc := joinDigits(intPart, frac)
	if ds == "" {
		return Quantity{Format: format}, nil
	}
	sc += exp
	if int64(len(ds))+sc > maxMagnitude {
		return Quantity{}, ErrRange
	}
	ds, sc = trimZeros(ds, sc)
	sign := int64(1)
	if neg {
		sign = -1
	}
	if sc < int64(Nano) {
		// Digits below nano go; they are non-zero (the trailing zeros are
		// gone), so the magnitude rounds up.
		k := int64(Nano) - sc
		if k >= int64(len(ds)) {
			return Quantity{a: amount{small: sign, scale: int32(Nano)}, Format: format}, nil
		}
		ds = ds[:int64(len(ds))-k]
		sc = int64(Nano)
		m := mantissa(ds, false)
		m.Add(m, big.NewInt(1))
		if neg {
			m.Neg(m)
		}
		return Quantity{a: makeAmount(m, int32(sc)), Format: format}, nil
	}
	if len(ds) <= 18 {
		v, _ := strconv.ParseInt(ds, 10, 64)
		return Quantity{a: amount{small: sign * v, scale: int32(sc)}, Format: format}, nil
	}
	return Quantity{a: makeAmount(mantissa(ds, neg), int32(sc)), Format: format}, nil
}

var maxBinary = amount{small: math.MaxInt64}

func parseBinary(neg bool, intPart, frac string, shift uint) (Quantity, error) {
	ds, sc := joinDigits(intPart, frac)
	if ds == "" {
		return Quantity{Format: BinarySI}, nil
	}
	capped := Quantity{a: maxBinary, Format: BinarySI}
	if neg {
		capped.a = maxBinary.neg()
	}
	if int64(len(ds))+sc > 19 {
		return capped, nil
	}
	ds, sc = trimZeros(ds, sc)
	if sc == 0 && len(ds) <= 18 {
		v, _ := strconv.ParseInt(ds, 10, 64)
		if v <= math.MaxInt64>>shift {
			v <<= shift
			if neg {
				v = -v
			}
			return Quantity{a: amount{small: v}, Format: BinarySI}, nil
		}
		return capped, nil
	}
	if len(ds) <= 18 && sc >= int64(Nano) {
		// Exact without rounding: the fraction has at most nine digits.
		v, _ := strconv.ParseInt(ds, 10, 64)
		if v <= math.MaxInt64>>shift {
			v <<= shift
			if neg {
				v = -v
			}
			a := amount{small: v, scale: int32(sc)}
			if cmp(amount{small: v / signOf(neg), scale: int32(sc)}, maxBinary) > 0 {
				return capped, nil
			}
			format := BinarySI
			if cmp(amount{small: v / signOf(neg), scale: int32(sc)}, amount{small: 1}) < 0 {
				format = DecimalSI
			}
			return Quantity{a: a, Format: format}, nil
		}
	}
	if -sc > binaryFracDigits {
		// Keep binaryFracDigits exact digits and one sticky non-zero digit
		// for the rest, which rounds exactly like the whole tail.
		k := -sc - binaryFracDigits
		if k >= int64(len(ds)) {
			return Quantity{a: amount{small: signOf(neg), scale: int32(Nano)}, Format: DecimalSI}, nil
		}
		ds = ds[:int64(len(ds))-k] + "1"
		sc = -binaryFracDigits - 1
	}
	m := mantissa(ds, neg)
	m.Lsh(m, shift)
	a, _ := makeAmount(m, int32(sc)).roundUp(int32(Nano))
	abs := a
	if neg {
		abs = a.neg()
	}
	if cmp(abs, maxBinary) > 0 {
		return capped, nil
	}
	format := BinarySI
	if cmp(abs, amount{small: 1}) < 0 {
		format = DecimalSI
	}
	return Quantity{a: a, Format: format}, nil
}

func signOf(neg bool) int64 {
	if neg {
		return -1
	}
	return 1
}
