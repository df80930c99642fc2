package framework

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the outcome class of a plugin call.
type Code int

// The status codes. A nil *Status means Success.
const (
	// Success: the plugin ran and the pod may go on.
	Success Code = iota
	// Error: an internal error; the pod is retried with back-off.
	Error
	// Unschedulable: the pod does not fit now; preemption may help.
	Unschedulable
	// UnschedulableAndUnresolvable: the pod does not fit and preempting
	// pods on the node would not change that.
	UnschedulableAndUnresolvable
	// Wait: a Permit plugin holds the pod until it is allowed or rejected.
	Wait
	// Skip: the plugin has nothing to do for this pod in this cycle; the
	// framework skips its later calls (Filter after PreFilter, Score after
	// PreScore, or the next Bind plugin after Bind).
	Skip
	// Pending: a PreEnqueue plugin keeps the pod out of the active queue
	// until a cluster event changes its answer.
	Pending
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Wait", "Skip", "Pending"}

// String returns the code's name.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// ErrInternal is wrapped by the error of a Status built from reasons alone
// with the Error code.
var ErrInternal = errors.New("scheduler plugin error")

// Status is the result of a plugin call: a code, human-readable reasons
// and the name of the plugin that failed. The nil *Status is Success, and
// every method works on nil.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// NewStatus returns a status with the code and reasons. A Success status
// with no reasons is returned as nil.
func NewStatus(code Code, reasons ...string) *Status {
	if code == Success && len(reasons) == 0 {
		return nil
	}
	s := &Status{code: code, reasons: reasons}
	if code == Error {
		s.err = fmt.Errorf("%w: %s", ErrInternal, strings.Join(reasons, ", "))
	}
	return s
}

// AsStatus wraps err in an Error status; a nil err gives nil.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the status code; Success for nil.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// Reasons returns the reasons, for example "Insufficient cpu".
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	if s.err != nil && len(s.reasons) == 0 {
		return []string{s.err.Error()}
	}
	return s.reasons
}

// Message joins the reasons with ", ".
func (s *Status) Message() string { return strings.Join(s.Reasons(), ", ") }

// Plugin returns the name of the plugin that produced the status.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin sets the failing plugin's name and returns s. It is a no-op on
// nil.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil {
		s.plugin = name
	}
	return s
}

// AppendReason adds a reason.
func (s *Status) AppendReason(reason string) {
	if s != nil {
		s.reasons = append(s.reasons, reason)
	}
}

// IsSuccess reports whether the status is nil or has the Success code.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsWait reports whether the code is Wait.
func (s *Status) IsWait() bool { return s.Code() == Wait }

// IsSkip reports whether the code is Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether the pod was found not to fit: Unschedulable,
// UnschedulableAndUnresolvable or Pending.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable || c == Pending
}

// AsError returns nil for Success and Skip-free successes, and an error
// otherwise. For an Error status it is the wrapped error, which errors.Is
// can inspect.
func (s *Status) AsError() error {
	if s.IsSuccess() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}

// Equal reports whether two statuses have the same code, reasons and
// plugin.
func (s *Status) Equal(o *Status) bool {
	if s == nil || o == nil {
		return s.IsSuccess() && o.IsSuccess()
	}
	if s.code != o.code || s.plugin != o.plugin || len(s.reasons) != len(o.reasons) {
		return false
	}
	for i := range s.reasons {
		if s.reasons[i] != o.reasons[i] {
			return false
		}
	}
	return true
}

// String returns "Code: reasons" for logs.
func (s *Status) String() string {
	if s == nil {
		return "Success"
	}
	return s.code.String() + ": " + s.Message()
}
