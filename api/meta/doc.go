// Package meta holds the object metadata shared by every Longshore API type,
// with the JSON of Kubernetes' meta/v1: TypeMeta, ObjectMeta, ListMeta,
// owner references, label selectors, timestamps, the Status error object
// and watch events.
package meta
