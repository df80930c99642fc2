// Package intstr implements IntOrString, the Kubernetes value that is either
// an integer or a string on the wire (a port number or a port name, a count
// or a percentage).
package intstr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Type says which of the two forms an IntOrString holds.
type Type int

// The two forms.
const (
	Int Type = iota
	String
)

// IntOrString is an int32 or a string.
type IntOrString struct {
	Type   Type
	IntVal int32
	StrVal string
}

// FromInt returns an integer IntOrString.
func FromInt(v int32) IntOrString { return IntOrString{Type: Int, IntVal: v} }

// FromString returns a string IntOrString.
func FromString(s string) IntOrString { return IntOrString{Type: String, StrVal: s} }

// String returns the value as text.
func (v IntOrString) String() string {
	if v.Type == String {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IntValue returns the integer, or the string parsed as one (0 on failure).
func (v IntOrString) IntValue() int {
	if v.Type == String {
		i, _ := strconv.Atoi(v.StrVal)
		return i
	}
	return int(v.IntVal)
}

// MarshalJSON writes a JSON number or string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == String {
		return json.Marshal(v.StrVal)
	}
	return []byte(strconv.Itoa(int(v.IntVal))), nil
}

// UnmarshalJSON reads a JSON number or string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v.Type = String
		v.IntVal = 0
		return json.Unmarshal(b, &v.StrVal)
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("intstr: %s is neither an integer nor a string", b)
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return fmt.Errorf("intstr: %d overflows int32", n)
	}
	v.Type, v.IntVal, v.StrVal = Int, int32(n), ""
	return nil
}

// ErrNotPercent is returned by ScaledValue for a string that is not "N%".
var ErrNotPercent = errors.New("intstr: invalid percentage")

// ScaledValue resolves v against total: an integer is returned as is; a
// percentage "N%" is N% of total, rounded up or down as asked (Kubernetes
// rounds maxSurge up and maxUnavailable down).
func ScaledValue(v *IntOrString, total int, roundUp bool) (int, error) {
	if v == nil {
		return 0, nil
	}
	if v.Type == Int {
		return int(v.IntVal), nil
	}
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrNotPercent, v.StrVal)
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 {
		return 0, fmt.Errorf("%w: %q", ErrNotPercent, v.StrVal)
	}
	if roundUp {
		return int(math.Ceil(float64(p) * float64(total) / 100)), nil
	}
	return int(math.Floor(float64(p) * float64(total) / 100)), nil
}
