package networking

import (
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
)

// NetworkPolicyFields returns the fields field selectors can use on a NetworkPolicy:
// metadata.name and metadata.namespace, as in Kubernetes.
func NetworkPolicyFields(o *NetworkPolicy) fields.Set {
	return fields.Set(meta.ObjectMetaFields(&o.ObjectMeta, true))
}
