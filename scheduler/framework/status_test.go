package framework

import (
	"errors"
	"io"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name                          string
		s                             *Status
		code                          Code
		success, rejected, wait, skip bool
		msg                           string
	}{
		{"nil", nil, Success, true, false, false, false, ""},
		{"success no reasons", NewStatus(Success), Success, true, false, false, false, ""},
		{"error", NewStatus(Error, "boom"), Error, false, false, false, false, "boom"},
		{"unschedulable", NewStatus(Unschedulable, "Insufficient cpu", "Insufficient memory"), Unschedulable, false, true, false, false, "Insufficient cpu, Insufficient memory"},
		{"unresolvable", NewStatus(UnschedulableAndUnresolvable, "x"), UnschedulableAndUnresolvable, false, true, false, false, "x"},
		{"pending", NewStatus(Pending, "gated"), Pending, false, true, false, false, "gated"},
		{"wait", NewStatus(Wait), Wait, false, false, true, false, ""},
		{"skip", NewStatus(Skip), Skip, false, false, false, true, ""},
		{"as status", AsStatus(io.EOF), Error, false, false, false, false, "EOF"},
		{"as status nil", AsStatus(nil), Success, true, false, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Code(); got != tt.code {
				t.Errorf("Code() = %v, want %v", got, tt.code)
			}
			if tt.s.IsSuccess() != tt.success || tt.s.IsRejected() != tt.rejected || tt.s.IsWait() != tt.wait || tt.s.IsSkip() != tt.skip {
				t.Errorf("predicates of %v wrong", tt.s)
			}
			if got := tt.s.Message(); got != tt.msg {
				t.Errorf("Message() = %q, want %q", got, tt.msg)
			}
			if (tt.s.AsError() == nil) != tt.success {
				t.Errorf("AsError() = %v with success %v", tt.s.AsError(), tt.success)
			}
		})
	}
}

func TestStatusErrorsAndPlugin(t *testing.T) {
	s := AsStatus(io.ErrUnexpectedEOF).WithPlugin("P")
	if !errors.Is(s.AsError(), io.ErrUnexpectedEOF) {
		t.Errorf("AsError lost the wrapped error: %v", s.AsError())
	}
	if s.Plugin() != "P" {
		t.Errorf("Plugin() = %q", s.Plugin())
	}
	if !errors.Is(NewStatus(Error, "x").AsError(), ErrInternal) {
		t.Error("Error status built from reasons does not wrap ErrInternal")
	}
	var nilStatus *Status
	if nilStatus.WithPlugin("x") != nil || nilStatus.Plugin() != "" || nilStatus.String() != "Success" {
		t.Error("nil status methods misbehave")
	}
	a, b := NewStatus(Unschedulable, "a"), NewStatus(Unschedulable, "a")
	if !a.Equal(b) || a.Equal(NewStatus(Unschedulable, "b")) || a.Equal(nil) || !nilStatus.Equal(nil) {
		t.Error("Equal wrong")
	}
	a.AppendReason("c")
	if a.Message() != "a, c" {
		t.Errorf("AppendReason: %q", a.Message())
	}
	if Code(42).String() != "Code(42)" || Unschedulable.String() != "Unschedulable" {
		t.Error("Code.String wrong")
	}
}
