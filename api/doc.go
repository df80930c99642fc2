// Package api is the scheme and codec of Longshore's API objects: a
// registry of every kind (group, version, kind, resource, scope, short
// names, constructors, defaulting and field-selector hooks) and the
// functions that read and write objects in the Kubernetes wire format.
//
// # Scheme
//
// Each group package (core, apps, autoscaling, coordination, networking,
// rbac) lists its kinds in register.go; NewBuiltinScheme collects them.
// Kinds are found by GroupVersionKind, by GroupVersionResource, by kind
// name, by kubectl-style name ("po", "pods", "deployments.apps") or by Go
// type. The package-level functions use a shared built-in scheme.
//
// # Codec
//
// Decode reads a JSON or YAML document (YAML is converted to JSON with
// sigs.k8s.io/yaml) and picks the Go type from apiVersion and kind.
// DecodeInto fills a value the caller chose; DecodeList reads list kinds;
// DecodeManifests reads a multi-document manifest. Encode and EncodeYAML
// write objects with apiVersion and kind set, without modifying them.
//
// # Strict decoding
//
// With DecodeOptions.Strict, every unknown field and every duplicate field
// is reported with its JSON path, as Kubernetes' strict decoding does:
//
//	strict decoding error: unknown field "spec.containers[0].imagee", duplicate field "metadata.name"
//
// Duplicate keys of a YAML document are found before its conversion to
// JSON (which would keep only one) and reported with their paths too.
// The error is a *StrictError (errors.Is(err, ErrStrict)) listing each
// problem, and the decoded object is returned with it.
// StrictProblems returns the same list without failing, for an API server
// running with fieldValidation=Warn. Field names match case-sensitively
// in the strict check (a "Name" key is unknown), as in Kubernetes; the
// lenient decoding itself is encoding/json's and so accepts such keys.
//
// # Performance
//
// Measured on the shared 2-core development machine (load average above
// 10, so treat them as rough) with
//
//	go test -run '^$' -bench . -benchtime=2000x -benchmem ./api
//
// on testdata/pod.yaml, a pod using every supported field (8.7 kB as JSON):
//
//	Decode JSON            248 µs/op   23 kB/op   532 allocs/op
//	Decode JSON, strict    327 µs/op   49 kB/op   898 allocs/op
//	Decode YAML           1.18 ms/op  376 kB/op  7220 allocs/op
//	Decode YAML, strict   ~1.5x YAML  677 kB/op 13972 allocs/op
//	Encode JSON             33 µs/op   12 kB/op    70 allocs/op
//	DeepCopyObject          25 µs/op   12 kB/op   185 allocs/op
//
// The strict check scans the JSON once more without building values; YAML
// costs the conversion to JSON (sigs.k8s.io/yaml), and strict YAML a
// second parse that finds duplicate keys (its time was measured under a
// load average of 22, so only the ratio is given).
//
// # Caveats
//
// Only the fields listed in each group package are modelled; a field
// Kubernetes has and Longshore lacks (for example ephemeralContainers or
// nfs volumes) is dropped by lenient decoding and reported as unknown by
// strict decoding.
package api
