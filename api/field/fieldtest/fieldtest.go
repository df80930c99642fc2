// Package fieldtest helps tests of validators compare a field.ErrorList
// with the errors they expect, by type and path.
package fieldtest

import (
	"strings"
	"testing"

	"github.com/longshore/longshore/api/field"
)

// Summary returns "<type> <field>" for each error, e.g.
// "FieldValueRequired spec.containers[0].name".
func Summary(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = string(e.Type) + " " + e.Field
	}
	return out
}

// ExpectErrors fails tb unless errs holds exactly the "<type> <field>"
// entries of want, in order; no want means no errors.
func ExpectErrors(tb testing.TB, errs field.ErrorList, want ...string) {
	tb.Helper()
	got := Summary(errs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		tb.Errorf("errors:\n  %s\nwant:\n  %s\nfull text: %v", strings.Join(got, "\n  "), strings.Join(want, "\n  "), errs)
	}
}
