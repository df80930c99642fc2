// Package cri is Longshore's contract for container runtimes: Go interfaces
// that mirror the Kubernetes Container Runtime Interface (CRI) v1, so a node
// agent is written once and runs on containerd, CRI-O, Longshore's own shim
// or an in-memory fake.
//
// # Shape
//
// The vocabulary is the CRI's own message types
// (k8s.io/cri-api/pkg/apis/runtime/v1, imported as runtimeapi). Every call
// takes a context first and the CRI request message, and returns the CRI
// response message: new CRI fields flow through without changing these
// interfaces. RuntimeService is composed of small interfaces
// (PodSandboxManager, ContainerManager, ContainerStatsManager, ...) so a
// consumer can ask for only what it uses. Optional abilities, such as
// PodSandboxMetricsLister, are separate interfaces found by type assertion.
//
// GetContainerEvents is a stream: it calls a function for every event until
// its context ends.
//
// # Errors
//
// Implementations report failures with the sentinel errors of this package
// (ErrNotFound, ErrAlreadyExists, ErrUnavailable, ErrDeadline,
// ErrUnimplemented, ...), wrapped with context. Code maps an error onto its
// gRPC code, ToStatus builds the gRPC status a server returns, and FromStatus
// turns a received status back into an error that matches the sentinel with
// errors.Is.
//
// # Implementations
//
//   - cri/remote: a gRPC client for any CRI v1 runtime on a unix socket.
//   - cri/server: serves any RuntimeService and ImageService over CRI v1 gRPC.
//   - cri/fake: an in-memory runtime with a simulated lifecycle, for tests
//     and hollow nodes.
//   - cri/containerd: Longshore's own CRI shim over containerd's client.
//   - cri/runtimetest: the conformance suite every implementation passes.
//   - cri/ocibuild: OCI image archives (pause, test server, busybox) for
//     tests against real runtimes.
package cri
