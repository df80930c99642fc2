// Package apierror is the error vocabulary of the Longshore API: errors that
// are Kubernetes Status objects, with the HTTP code and reason Kubernetes
// uses for each failure, and predicates (IsNotFound, IsConflict, ...) that
// work on errors built by the server and on errors decoded by the client.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/longshore/longshore/api/meta"
)

// Error is an API error: a Status object that is also a Go error.
type Error struct {
	Status meta.Status
}

// Error returns the Status message.
func (e *Error) Error() string { return e.Status.Message }

// Code returns the HTTP status code.
func (e *Error) Code() int { return int(e.Status.Code) }

// New builds an Error from its parts.
func New(code int, reason meta.StatusReason, message string, details *meta.StatusDetails) *Error {
	return &Error{Status: meta.Status{
		TypeMeta: meta.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   meta.StatusFailure,
		Message:  message,
		Reason:   reason,
		Details:  details,
		Code:     int32(code),
	}}
}

// FromStatus wraps a Status decoded from a response.
func FromStatus(s meta.Status) *Error { return &Error{Status: s} }

// GroupResource names a resource for messages ("pods", "deployments.apps").
type GroupResource struct {
	Group    string
	Resource string
}

// String returns "resource" or "resource.group".
func (gr GroupResource) String() string {
	if gr.Group == "" {
		return gr.Resource
	}
	return gr.Resource + "." + gr.Group
}

// NewNotFound: 404, "pods \"web\" not found".
func NewNotFound(gr GroupResource, name string) *Error {
	return New(http.StatusNotFound, meta.StatusReasonNotFound, fmt.Sprintf("%s %q not found", gr, name),
		&meta.StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewAlreadyExists: 409, "pods \"web\" already exists".
func NewAlreadyExists(gr GroupResource, name string) *Error {
	return New(http.StatusConflict, meta.StatusReasonAlreadyExists, fmt.Sprintf("%s %q already exists", gr, name),
		&meta.StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewConflict: 409, with Kubernetes' wording for stale updates.
func NewConflict(gr GroupResource, name string, err error) *Error {
	return New(http.StatusConflict, meta.StatusReasonConflict,
		fmt.Sprintf("Operation cannot be fulfilled on %s %q: %v", gr, name, err),
		&meta.StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// StaleMessage is the text Kubernetes gives for an update based on an old
// resourceVersion.
const StaleMessage = "the object has been modified; please apply your changes to the latest version and try again"

// NewInvalid: 422 with one cause per field error.
func NewInvalid(kind, group, name string, causes []meta.StatusCause) *Error {
	msgs := make([]string, 0, len(causes))
	for _, c := range causes {
		if c.Field != "" {
			msgs = append(msgs, c.Field+": "+c.Message)
		} else {
			msgs = append(msgs, c.Message)
		}
	}
	var msg string
	switch len(msgs) {
	case 0:
		msg = fmt.Sprintf("%s %q is invalid", kind, name)
	case 1:
		msg = fmt.Sprintf("%s %q is invalid: %s", kind, name, msgs[0])
	default:
		msg = fmt.Sprintf("%s %q is invalid: [%s]", kind, name, strings.Join(msgs, ", "))
	}
	return New(http.StatusUnprocessableEntity, meta.StatusReasonInvalid, msg,
		&meta.StatusDetails{Name: name, Group: group, Kind: kind, Causes: causes})
}

// NewBadRequest: 400.
func NewBadRequest(msg string) *Error {
	return New(http.StatusBadRequest, meta.StatusReasonBadRequest, msg, nil)
}

// NewUnauthorized: 401.
func NewUnauthorized(msg string) *Error {
	if msg == "" {
		msg = "Unauthorized"
	}
	return New(http.StatusUnauthorized, meta.StatusReasonUnauthorized, msg, nil)
}

// NewForbidden: 403 with Kubernetes' wording.
func NewForbidden(gr GroupResource, name string, reason string) *Error {
	var msg string
	if name == "" {
		msg = fmt.Sprintf("%s is forbidden: %s", gr, reason)
	} else {
		msg = fmt.Sprintf("%s %q is forbidden: %s", gr, name, reason)
	}
	return New(http.StatusForbidden, meta.StatusReasonForbidden, msg,
		&meta.StatusDetails{Name: name, Group: gr.Group, Kind: gr.Resource})
}

// NewMethodNotAllowed: 405.
func NewMethodNotAllowed(msg string) *Error {
	return New(http.StatusMethodNotAllowed, meta.StatusReasonMethodNotAllowed, msg, nil)
}

// NewGone: 410 (e.g. "too old resource version: 5 (120)").
func NewGone(msg string) *Error {
	return New(http.StatusGone, meta.StatusReasonExpired, msg, nil)
}

// NewRequestEntityTooLarge: 413.
func NewRequestEntityTooLarge(msg string) *Error {
	return New(http.StatusRequestEntityTooLarge, meta.StatusReasonRequestEntityTooLarge, msg, nil)
}

// NewUnsupportedMediaType: 415.
func NewUnsupportedMediaType(contentType string) *Error {
	return New(http.StatusUnsupportedMediaType, meta.StatusReasonUnsupportedMediaType,
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got %q)", contentType), nil)
}

// NewNotAcceptable: 406.
func NewNotAcceptable(accept string) *Error {
	return New(http.StatusNotAcceptable, meta.StatusReasonNotAcceptable,
		fmt.Sprintf("only the following media types are accepted: application/json, application/yaml (asked for %q)", accept), nil)
}

// NewTooManyRequests: 429 with a retry hint.
func NewTooManyRequests(msg string, retryAfterSeconds int) *Error {
	return New(http.StatusTooManyRequests, meta.StatusReasonTooManyRequests, msg,
		&meta.StatusDetails{RetryAfterSeconds: int32(retryAfterSeconds)})
}

// NewInternal: 500.
func NewInternal(err error) *Error {
	return New(http.StatusInternalServerError, meta.StatusReasonInternalError,
		fmt.Sprintf("Internal error occurred: %v", err),
		&meta.StatusDetails{Causes: []meta.StatusCause{{Message: err.Error()}}})
}

// NewServiceUnavailable: 503.
func NewServiceUnavailable(msg string) *Error {
	return New(http.StatusServiceUnavailable, meta.StatusReasonServiceUnavailable, msg, nil)
}

// NewTimeout: 504 (a read that waited too long for a resourceVersion).
func NewTimeout(msg string, retryAfterSeconds int) *Error {
	return New(http.StatusGatewayTimeout, meta.StatusReasonTimeout, msg,
		&meta.StatusDetails{RetryAfterSeconds: int32(retryAfterSeconds)})
}

// ReasonOf returns the Status reason of err, or "" for other errors.
func ReasonOf(err error) meta.StatusReason {
	var e *Error
	if errors.As(err, &e) {
		return e.Status.Reason
	}
	return meta.StatusReasonUnknown
}

// CodeOf returns the HTTP code of err, or 0 for other errors.
func CodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return int(e.Status.Code)
	}
	return 0
}

func is(err error, reason meta.StatusReason, code int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Status.Reason != "" {
		return e.Status.Reason == reason
	}
	return int(e.Status.Code) == code
}

// IsNotFound reports a 404 NotFound.
func IsNotFound(err error) bool { return is(err, meta.StatusReasonNotFound, http.StatusNotFound) }

// IsAlreadyExists reports a 409 AlreadyExists.
func IsAlreadyExists(err error) bool {
	return is(err, meta.StatusReasonAlreadyExists, http.StatusConflict)
}

// IsConflict reports a 409 Conflict (a stale resourceVersion).
func IsConflict(err error) bool { return is(err, meta.StatusReasonConflict, http.StatusConflict) }

// IsInvalid reports a 422 Invalid.
func IsInvalid(err error) bool {
	return is(err, meta.StatusReasonInvalid, http.StatusUnprocessableEntity)
}

// IsBadRequest reports a 400.
func IsBadRequest(err error) bool { return is(err, meta.StatusReasonBadRequest, http.StatusBadRequest) }

// IsUnauthorized reports a 401.
func IsUnauthorized(err error) bool {
	return is(err, meta.StatusReasonUnauthorized, http.StatusUnauthorized)
}

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return is(err, meta.StatusReasonForbidden, http.StatusForbidden) }

// IsGone reports a 410 (the resourceVersion is too old: relist).
func IsGone(err error) bool {
	return is(err, meta.StatusReasonExpired, http.StatusGone) || is(err, meta.StatusReasonGone, http.StatusGone)
}

// IsTooManyRequests reports a 429.
func IsTooManyRequests(err error) bool {
	return is(err, meta.StatusReasonTooManyRequests, http.StatusTooManyRequests)
}

// IsTimeout reports a 504 Timeout.
func IsTimeout(err error) bool { return is(err, meta.StatusReasonTimeout, http.StatusGatewayTimeout) }

// IsMethodNotAllowed reports a 405.
func IsMethodNotAllowed(err error) bool {
	return is(err, meta.StatusReasonMethodNotAllowed, http.StatusMethodNotAllowed)
}

// IsInternal reports a 500.
func IsInternal(err error) bool {
	return is(err, meta.StatusReasonInternalError, http.StatusInternalServerError)
}

// IsServiceUnavailable reports a 503.
func IsServiceUnavailable(err error) bool {
	return is(err, meta.StatusReasonServiceUnavailable, http.StatusServiceUnavailable)
}

// RetryAfterSeconds returns the server's retry hint, if any.
func RetryAfterSeconds(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) && e.Status.Details != nil && e.Status.Details.RetryAfterSeconds > 0 {
		return int(e.Status.Details.RetryAfterSeconds), true
	}
	return 0, false
}
