package coordination

import "github.com/longshore/longshore/api/meta"

// SetDefaults reports whether this package knows obj's kind. Kubernetes
// defines no defaults for Leases, so there is nothing to apply; the
// function exists so that every group offers the same entry point.
func SetDefaults(obj meta.Object) bool {
	_, ok := obj.(*Lease)
	return ok
}
