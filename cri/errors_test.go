package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil", nil, codes.OK},
		{"wrapped not found", fmt.Errorf("pod x: %w", ErrNotFound), codes.NotFound},
		{"already exists", ErrAlreadyExists, codes.AlreadyExists},
		{"invalid", ErrInvalidArgument, codes.InvalidArgument},
		{"precondition", ErrFailedPrecondition, codes.FailedPrecondition},
		{"exhausted", ErrResourceExhausted, codes.ResourceExhausted},
		{"unavailable", ErrUnavailable, codes.Unavailable},
		{"deadline", ErrDeadline, codes.DeadlineExceeded},
		{"ctx deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"ctx canceled", context.Canceled, codes.Canceled},
		{"unimplemented", ErrUnimplemented, codes.Unimplemented},
		{"status", status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied},
		{"wrapped status", fmt.Errorf("call: %w", status.Error(codes.Aborted, "no")), codes.Aborted},
		{"plain", io.EOF, codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Fatalf("Code(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrAlreadyExists, ErrInvalidArgument, ErrFailedPrecondition,
		ErrResourceExhausted, ErrUnavailable, ErrDeadline, ErrCanceled, ErrUnimplemented}
	for _, s := range sentinels {
		t.Run(s.Error(), func(t *testing.T) {
			wire := ToStatus(fmt.Errorf("ctx: %w", s))
			st, ok := status.FromError(wire)
			if !ok || st.Message() != "ctx: "+s.Error() {
				t.Fatalf("ToStatus: %v ok=%v", st, ok)
			}
			got := FromStatus(wire)
			if !errors.Is(got, s) {
				t.Fatalf("FromStatus(%v) does not match %v", wire, s)
			}
			if status.Code(got) != Code(s) {
				t.Fatalf("status.Code = %v, want %v", status.Code(got), Code(s))
			}
			for _, other := range sentinels {
				if other != s && errors.Is(got, other) {
					t.Fatalf("%v also matches %v", got, other)
				}
			}
		})
	}
}

func TestFromStatusContextErrors(t *testing.T) {
	if err := FromStatus(status.Error(codes.DeadlineExceeded, "slow")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline status must match context.DeadlineExceeded: %v", err)
	}
	if err := FromStatus(status.Error(codes.Canceled, "gone")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled status must match context.Canceled: %v", err)
	}
	if err := FromStatus(status.Error(codes.Internal, "boom")); Code(err) != codes.Internal || errors.Is(err, ErrNotFound) {
		t.Fatalf("internal status: %v", err)
	}
	if FromStatus(nil) != nil || ToStatus(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if err := FromStatus(io.EOF); err != io.EOF {
		t.Fatalf("non-status error must be unchanged: %v", err)
	}
}
