package fieldtest

import (
	"testing"

	"github.com/longshore/longshore/api/field"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

func TestExpectErrors(t *testing.T) {
	errs := field.ErrorList{field.Required(field.NewPath("a"), ""), field.Invalid(field.NewPath("b").Index(1), 1, "x")}
	tests := []struct {
		name string
		want []string
		fail bool
	}{
		{"match", []string{"FieldValueRequired a", "FieldValueInvalid b[1]"}, false},
		{"order matters", []string{"FieldValueInvalid b[1]", "FieldValueRequired a"}, true},
		{"missing", []string{"FieldValueRequired a"}, true},
		{"none expected", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			ExpectErrors(r, errs, tt.want...)
			if r.failed != tt.fail {
				t.Errorf("failed = %v, want %v", r.failed, tt.fail)
			}
		})
	}
	r := &recorder{TB: t}
	ExpectErrors(r, nil)
	if r.failed {
		t.Error("no errors, none expected, but failed")
	}
}
