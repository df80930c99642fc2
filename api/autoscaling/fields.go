package autoscaling

import (
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// ScaleFields returns the fields field selectors can use on a Scale:
// metadata.name and metadata.namespace, as in Kubernetes.
func ScaleFields(o *Scale) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}
