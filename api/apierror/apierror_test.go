package apierror

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/longshore/longshore/api/meta"
)

func TestPredicates(t *testing.T) {
	gr := GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		err  error
		is   func(error) bool
		code int
	}{
		{NewNotFound(gr, "web"), IsNotFound, 404},
		{NewAlreadyExists(gr, "web"), IsAlreadyExists, 409},
		{NewConflict(gr, "web", errors.New(StaleMessage)), IsConflict, 409},
		{NewInvalid("Deployment", "apps", "web", []meta.StatusCause{{Type: meta.CauseTypeFieldValueRequired, Field: "spec.selector", Message: "Required value"}}), IsInvalid, 422},
		{NewBadRequest("bad"), IsBadRequest, 400},
		{NewUnauthorized(""), IsUnauthorized, 401},
		{NewForbidden(gr, "web", "no"), IsForbidden, 403},
		{NewGone("too old resource version: 1 (5)"), IsGone, 410},
		{NewTooManyRequests("slow down", 1), IsTooManyRequests, 429},
		{NewInternal(errors.New("x")), IsInternal, 500},
		{NewServiceUnavailable("x"), IsServiceUnavailable, 503},
		{NewTimeout("x", 1), IsTimeout, 504},
		{NewMethodNotAllowed("x"), IsMethodNotAllowed, 405},
	}
	all := []func(error) bool{IsNotFound, IsAlreadyExists, IsConflict, IsInvalid, IsBadRequest, IsUnauthorized, IsForbidden, IsGone, IsTooManyRequests, IsInternal, IsServiceUnavailable, IsTimeout, IsMethodNotAllowed}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i, " ", tc.err), func(t *testing.T) {
			wrapped := fmt.Errorf("context: %w", tc.err)
			if !tc.is(wrapped) || CodeOf(wrapped) != tc.code {
				t.Fatalf("predicate or code (%d) wrong for wrapped error", CodeOf(wrapped))
			}
			n := 0
			for _, p := range all {
				if p(tc.err) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d predicates match, want exactly 1", n)
			}
			// Decoded from the wire, the predicates still work.
			data, err := json.Marshal(tc.err.(*Error).Status)
			if err != nil {
				t.Fatal(err)
			}
			var s meta.Status
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatal(err)
			}
			if !tc.is(FromStatus(s)) {
				t.Fatalf("predicate fails after a JSON round trip: %s", data)
			}
		})
	}
	if IsNotFound(errors.New("not found")) || IsNotFound(nil) {
		t.Fatal("plain errors are not API errors")
	}
	if s, ok := RetryAfterSeconds(NewTooManyRequests("x", 3)); !ok || s != 3 {
		t.Fatal("retry-after lost")
	}
}

func TestInvalidMessage(t *testing.T) {
	err := NewInvalid("Pod", "", "web", []meta.StatusCause{
		{Field: "spec.containers[0].name", Message: "Required value"},
		{Field: "spec.containers[0].image", Message: "Required value"},
	})
	want := `Pod "web" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value]`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err.Error(), want)
	}
}
