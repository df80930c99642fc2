// Package core holds the core/v1 API kinds (Pod, Node, Service, Endpoints,
// Namespace, ConfigMap, Secret, ServiceAccount, Event, PersistentVolume,
// PersistentVolumeClaim, Binding) with the JSON Kubernetes writes for them:
// the same field names, the same omitempty and pointer choices, so that
// objects read from or written by kubectl and client-go round-trip.
//
// Every struct has generated DeepCopy and DeepCopyInto methods; every kind
// satisfies meta.Object and every list meta.ListObject. register.go lists
// the kinds for the api scheme, fields.go the fields each kind supports in
// field selectors.
//
// # Not modelled
//
// Ephemeral containers, resource claims, container resize policies,
// volume devices, Windows options, volume sources other than hostPath,
// emptyDir, configMap, secret, persistentVolumeClaim, downwardAPI,
// projected, nfs and csi, and persistent volume sources other than
// hostPath, local and nfs.
// Lenient decoding drops them; strict decoding reports them as unknown.
package core

//go:generate go run github.com/longshore/longshore/internal/deepcopygen
