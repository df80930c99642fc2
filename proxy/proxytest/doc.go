// Package proxytest holds what tests of proxy backends share: the
// behavioural conformance suite (Run) that every proxy.Backend must pass,
// network-namespace topologies for end-to-end tests (a "node" with "pod"
// namespaces on veth pairs), endpoint servers that answer with their name,
// and FakeBackend, a recording backend for testing what drives one.
//
// The topologies need root and the ip command; they gate themselves with
// internal/testenv, so such tests skip on a developer's machine and fail
// under LONGSHORE_E2E=require. They use only 198.18.0.0/15 inside the
// namespaces they create, and delete them in t.Cleanup.
package proxytest
