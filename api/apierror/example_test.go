package apierror_test

import (
	"fmt"

	"github.com/longshore/longshore/api/apierror"
)

func ExampleIsNotFound() {
	err := fmt.Errorf("get pod: %w", apierror.NewNotFound(apierror.GroupResource{Resource: "pods"}, "web"))
	fmt.Println(apierror.IsNotFound(err), apierror.CodeOf(err))
	fmt.Println(err)
	// Output:
	// true 404
	// get pod: pods "web" not found
}
