package testenv_test

import (
	"fmt"
	"os"

	"github.com/longshore/longshore/internal/testenv"
)

// Required follows the LONGSHORE_E2E variable.
func ExampleRequired() {
	os.Setenv(testenv.EnvVar, "require")
	fmt.Println(testenv.Required())
	os.Unsetenv(testenv.EnvVar)
	fmt.Println(testenv.Required())
	// Output:
	// true
	// false
}
