package cri

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors shared by every RuntimeService and ImageService. Check them
// with errors.Is; implementations wrap them with context ("container %q: %w").
// Each maps onto one gRPC code (see Code), so cri/server sends the right code
// and cri/remote turns the code back into the sentinel.
var (
	// ErrNotFound: the sandbox, container or image does not exist
	// (codes.NotFound).
	ErrNotFound = errors.New("cri: not found")
	// ErrAlreadyExists: a sandbox or container with that name already exists
	// (codes.AlreadyExists).
	ErrAlreadyExists = errors.New("cri: already exists")
	// ErrInvalidArgument: the request is malformed (codes.InvalidArgument).
	ErrInvalidArgument = errors.New("cri: invalid argument")
	// ErrFailedPrecondition: the object is in the wrong state for the call,
	// e.g. starting a container twice (codes.FailedPrecondition).
	ErrFailedPrecondition = errors.New("cri: failed precondition")
	// ErrResourceExhausted: the runtime ran out of something, e.g. pod IPs
	// (codes.ResourceExhausted).
	ErrResourceExhausted = errors.New("cri: resource exhausted")
	// ErrUnavailable: the runtime cannot be reached or is not ready
	// (codes.Unavailable).
	ErrUnavailable = errors.New("cri: unavailable")
	// ErrDeadline: the call's deadline passed (codes.DeadlineExceeded). Errors
	// wrapping it from cri/remote also match context.DeadlineExceeded.
	ErrDeadline = errors.New("cri: deadline exceeded")
	// ErrCanceled: the call was canceled (codes.Canceled). Errors wrapping it
	// from cri/remote also match context.Canceled.
	ErrCanceled = errors.New("cri: canceled")
	// ErrUnimplemented: the runtime does not implement the call
	// (codes.Unimplemented).
	ErrUnimplemented = errors.New("cri: unimplemented")
)

// codeOf pairs each sentinel with its gRPC code, in the order Code checks them.
var codeOf = []struct {
	err  error
	code codes.Code
}{
	{ErrNotFound, codes.NotFound},
	{ErrAlreadyExists, codes.AlreadyExists},
	{ErrInvalidArgument, codes.InvalidArgument},
	{ErrFailedPrecondition, codes.FailedPrecondition},
	{ErrResourceExhausted, codes.ResourceExhausted},
	{ErrUnavailable, codes.Unavailable},
	{ErrDeadline, codes.DeadlineExceeded},
	{ErrCanceled, codes.Canceled},
	{ErrUnimplemented, codes.Unimplemented},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// Code returns the gRPC code for err: codes.OK for nil, the code of a gRPC
// status anywhere in err's chain, the code of a sentinel (or context error)
// err wraps, and codes.Unknown otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Code()
	}
	for _, c := range codeOf {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codes.Unknown
}

// ToStatus turns err into a gRPC status error carrying Code(err) and err's
// message, for servers to return. It returns nil for nil.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	return status.Error(Code(err), err.Error())
}

// FromStatus turns a gRPC error into an error that wraps the sentinel of its
// code (so errors.Is(err, ErrNotFound) works) and still carries the status
// (so status.Code(err) works). Codes without a sentinel keep only the
// status. It returns nil for nil and err unchanged when it is no gRPC status.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return &statusError{st: st}
}

// statusError is a gRPC status seen through the cri sentinels.
type statusError struct {
	st *status.Status
}

// Error names the code and the message.
func (e *statusError) Error() string { return "cri: " + e.st.Code().String() + ": " + e.st.Message() }

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *statusError) GRPCStatus() *status.Status { return e.st }

// Unwrap exposes the sentinel of the status code and, for deadline and
// cancellation, the matching context error.
func (e *statusError) Unwrap() []error {
	var errs []error
	for _, c := range codeOf {
		if c.code == e.st.Code() {
			errs = append(errs, c.err)
		}
	}
	return errs
}
