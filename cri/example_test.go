package cri_test

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/longshore/longshore/cri"
)

// A runtime wraps a sentinel; the server sends its code; the client gets the
// sentinel back.
func ExampleFromStatus() {
	err := fmt.Errorf("container %q: %w", "abc", cri.ErrNotFound)
	wire := cri.ToStatus(err) // what cri/server returns
	fmt.Println(status.Code(wire))

	got := cri.FromStatus(wire) // what cri/remote returns
	fmt.Println(errors.Is(got, cri.ErrNotFound), status.Code(got) == codes.NotFound)
	// Output:
	// NotFound
	// true true
}
