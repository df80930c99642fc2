// Package fake is an in-memory cri.RuntimeService and cri.ImageService with
// a simulated lifecycle, for unit tests and for hollow nodes (thousands of
// simulated kubelets in one process).
//
// # Lifecycle
//
// Sandboxes get an IP from Options.PodCIDR (inside 198.18.0.0/15) when they
// run and give it back when they stop; host-network sandboxes report
// Options.HostIP. Containers go created → running → exited. What a running
// container does is read from its command line (Command then Args):
//
//   - true, false: exit 0 or 1 at once;
//   - sleep N: exit 0 after N seconds of the runtime's Clock;
//   - echo TEXT: write TEXT to the log, exit 0;
//   - sh -c SCRIPT: statements separated by ";", "&&" or newlines among
//     echo TEXT [>&2], exit N, sleep N, true, false and trap "" TERM;
//   - anything else (a server, an unknown statement): run until stopped.
//
// echo output is written to the container's log (the sandbox's
// LogDirectory joined with the container's LogPath) in the CRI format
// "<RFC3339Nano> stdout F text". StopContainer ends a container at once
// with 143, unless its script trapped TERM: then it is killed with 137
// when the grace period has passed on the Clock. ExecSync simulates its
// command the same way (stdout, stderr, exit code, timeout) unless
// Options.ExecSync or SetExecSync supplies the answers.
//
// # Time
//
// Options.Clock drives sleeps and timeouts. RealClock is the default; a
// ManualClock moves only when the test calls Advance, so "sleep 30" exits
// the moment the test advances 30 seconds. Calls that wait (StopContainer
// with a grace period, ExecSync of a sleep) wait on that clock.
//
// # Test hooks
//
// FailNext makes the next N calls of a method fail; CallCount and Calls
// (with Options.RecordCalls) report what was called; GetContainerEvents
// streams created/started/stopped/deleted events of sandboxes and
// containers; ContainerStats and PodSandboxStats report simulated usage;
// IPsInUse shows leaked addresses.
//
// # Cost
//
// A Runtime is a few maps behind one mutex; a running container is a record
// and at most one clock timer, no goroutine. On the project's 2-core
// machine (go test -run XXX -bench . -benchmem -benchtime=2000x ./cri/fake/):
//
//	BenchmarkPodLifecycle  37.7 µs/op  2890 B/op  48 allocs/op  (run, create, start, stop, remove)
//	BenchmarkHollowNode    59206 heap-bytes/node  (one fake holding 30 running pods)
package fake
