// Package apps holds the apps/v1 kinds (Deployment, ReplicaSet,
// StatefulSet, DaemonSet, ControllerRevision) with Kubernetes' JSON.
package apps

//go:generate go run github.com/longshore/longshore/internal/deepcopygen
