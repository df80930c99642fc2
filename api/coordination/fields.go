package coordination

import (
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// LeaseFields returns the fields field selectors can use on a Lease:
// metadata.name and metadata.namespace, as in Kubernetes.
func LeaseFields(o *Lease) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}
