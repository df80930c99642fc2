package runtimetest_test

import (
	"fmt"
	"strings"

	"github.com/longshore/longshore/cri/runtimetest"
)

// The checks Run performs, each a subtest.
func ExampleChecks() {
	fmt.Println(strings.Join(runtimetest.Checks(), "\n"))
	// Output:
	// Version
	// Images
	// Pull
	// SandboxLifecycle
	// ContainerLifecycle
	// ExitCode
	// StopKillsIgnoringTERM
	// ExecSync
	// Logs
	// Filters
	// Events
	// SharedLocalhost
	// ConcurrentPods
	// Cleanup
}
