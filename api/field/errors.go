package field

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrorType is the class of a field error. Its value is the string
// Kubernetes puts in a Status cause's "reason".
type ErrorType string

// The error types.
const (
	// ErrorTypeNotFound: the value refers to something that does not exist.
	ErrorTypeNotFound ErrorType = "FieldValueNotFound"
	// ErrorTypeRequired: a required value is missing.
	ErrorTypeRequired ErrorType = "FieldValueRequired"
	// ErrorTypeDuplicate: the value must be unique and is not.
	ErrorTypeDuplicate ErrorType = "FieldValueDuplicate"
	// ErrorTypeInvalid: the value is malformed or out of range.
	ErrorTypeInvalid ErrorType = "FieldValueInvalid"
	// ErrorTypeNotSupported: the value is not one of a fixed set.
	ErrorTypeNotSupported ErrorType = "FieldValueNotSupported"
	// ErrorTypeForbidden: the field may not be set, or not to this value.
	ErrorTypeForbidden ErrorType = "FieldValueForbidden"
	// ErrorTypeTooLong: the value is longer than allowed.
	ErrorTypeTooLong ErrorType = "FieldValueTooLong"
	// ErrorTypeTooMany: the list has more items than allowed.
	ErrorTypeTooMany ErrorType = "FieldValueTooMany"
	// ErrorTypeInternal: validation itself failed.
	ErrorTypeInternal ErrorType = "InternalError"
	// ErrorTypeTypeInvalid: the value has the wrong type.
	ErrorTypeTypeInvalid ErrorType = "FieldValueTypeInvalid"
)

// String returns the human form of t used in error text ("Required value").
func (t ErrorType) String() string {
	switch t {
	case ErrorTypeNotFound:
		return "Not found"
	case ErrorTypeRequired:
		return "Required value"
	case ErrorTypeDuplicate:
		return "Duplicate value"
	case ErrorTypeInvalid, ErrorTypeTypeInvalid:
		return "Invalid value"
	case ErrorTypeNotSupported:
		return "Unsupported value"
	case ErrorTypeForbidden:
		return "Forbidden"
	case ErrorTypeTooLong:
		return "Too long"
	case ErrorTypeTooMany:
		return "Too many"
	case ErrorTypeInternal:
		return "Internal error"
	}
	return "unknown error type " + strconv.Quote(string(t))
}

// omitValue marks an Error whose bad value is not shown.
type omitValue struct{}

// Error is one problem with one field.
type Error struct {
	// Type is the class of the problem.
	Type ErrorType
	// Field is the path of the field, as Path.String writes it.
	Field string
	// BadValue is the offending value; it is not shown for Required,
	// Forbidden, TooLong and Internal errors.
	BadValue any
	// Detail explains the problem; it may be empty.
	Detail string
}

// Error returns "<field>: <type>[: <value>][: <detail>]", as Kubernetes
// writes it: `spec.containers[0].name: Required value`.
func (e *Error) Error() string {
	return e.Field + ": " + e.ErrorBody()
}

// ErrorBody returns the text of e without the field path.
func (e *Error) ErrorBody() string {
	var s string
	switch e.Type {
	case ErrorTypeRequired, ErrorTypeForbidden, ErrorTypeTooLong, ErrorTypeInternal:
		s = e.Type.String()
	default:
		if _, omit := e.BadValue.(omitValue); omit {
			s = e.Type.String()
		} else {
			s = e.Type.String() + ": " + formatValue(e.BadValue)
		}
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func formatValue(v any) string {
	if v == nil {
		return "null"
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "null"
		}
		v = rv.Elem().Interface()
	}
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool:
		return fmt.Sprint(t)
	case fmt.Stringer:
		return t.String()
	}
	return fmt.Sprintf("%#v", v)
}

// NotFound reports that the value at path refers to something missing.
func NotFound(path *Path, value any) *Error {
	return &Error{Type: ErrorTypeNotFound, Field: path.String(), BadValue: value}
}

// Required reports that the field at path must be set.
func Required(path *Path, detail string) *Error {
	return &Error{Type: ErrorTypeRequired, Field: path.String(), Detail: detail}
}

// Duplicate reports that value at path repeats an earlier one.
func Duplicate(path *Path, value any) *Error {
	return &Error{Type: ErrorTypeDuplicate, Field: path.String(), BadValue: value}
}

// Invalid reports that value at path is malformed or out of range.
func Invalid(path *Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeInvalid, Field: path.String(), BadValue: value, Detail: detail}
}

// NotSupported reports that value at path is not one of valid, which the
// detail lists (`supported values: "Always", "Never"`).
func NotSupported[T ~string](path *Path, value any, valid []T) *Error {
	detail := ""
	if len(valid) > 0 {
		quoted := make([]string, len(valid))
		for i, v := range valid {
			quoted[i] = strconv.Quote(string(v))
		}
		detail = "supported values: " + strings.Join(quoted, ", ")
	}
	return &Error{Type: ErrorTypeNotSupported, Field: path.String(), BadValue: value, Detail: detail}
}

// Forbidden reports that the field at path may not be set, or not so.
func Forbidden(path *Path, detail string) *Error {
	return &Error{Type: ErrorTypeForbidden, Field: path.String(), Detail: detail}
}

// TooLong reports that value at path is longer than maxLength bytes; a
// negative maxLength leaves the limit out of the message.
func TooLong(path *Path, value any, maxLength int) *Error {
	detail := "value is too long"
	switch {
	case maxLength == 1:
		detail = "may not be more than 1 byte"
	case maxLength >= 0:
		detail = fmt.Sprintf("may not be more than %d bytes", maxLength)
	}
	return &Error{Type: ErrorTypeTooLong, Field: path.String(), BadValue: value, Detail: detail}
}

// TooMany reports that the list at path has actual items where at most max
// are allowed; a negative actual leaves the count out.
func TooMany(path *Path, actual, max int) *Error {
	var bad any = actual
	if actual < 0 {
		bad = omitValue{}
	}
	return &Error{Type: ErrorTypeTooMany, Field: path.String(), BadValue: bad,
		Detail: fmt.Sprintf("must have at most %d items", max)}
}

// InternalError reports that validating the field at path failed with err.
func InternalError(path *Path, err error) *Error {
	return &Error{Type: ErrorTypeInternal, Field: path.String(), Detail: err.Error()}
}

// TypeInvalid reports that value at path has the wrong type.
func TypeInvalid(path *Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeTypeInvalid, Field: path.String(), BadValue: value, Detail: detail}
}

// ErrorList is what a validator returns: nil or empty when all is well.
type ErrorList []*Error

// ToAggregate returns the list as one error, or nil when it is empty.
// Repeated messages appear once. The result unwraps to the *Error values,
// so errors.As finds them.
func (list ErrorList) ToAggregate() error {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	agg := make(Aggregate, 0, len(list))
	for _, e := range list {
		if e == nil {
			continue
		}
		msg := e.Error()
		if seen[msg] {
			continue
		}
		seen[msg] = true
		agg = append(agg, e)
	}
	if len(agg) == 0 {
		return nil
	}
	return agg
}

// Filter returns the errors of list for which drop returns false.
func (list ErrorList) Filter(drop func(*Error) bool) ErrorList {
	var out ErrorList
	for _, e := range list {
		if !drop(e) {
			out = append(out, e)
		}
	}
	return out
}

// Aggregate is several errors as one, as ErrorList.ToAggregate returns them.
type Aggregate []error

// Error returns the single message, or "[msg1, msg2, ...]" for several, as
// Kubernetes writes an aggregate.
func (a Aggregate) Error() string {
	if len(a) == 1 {
		return a[0].Error()
	}
	msgs := make([]string, len(a))
	for i, e := range a {
		msgs[i] = e.Error()
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (a Aggregate) Unwrap() []error { return a }

var _ error = (*Error)(nil)
var _ interface{ Unwrap() []error } = Aggregate(nil)

// Is reports whether target is an *Error of the same Type (Field and values
// ignored), so errors.Is(err, &field.Error{Type: field.ErrorTypeRequired})
// asks "is some field missing?".
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil {
		return false
	}
	return t.Type == e.Type && (t.Field == "" || t.Field == e.Field)
}
