package client

import (
	"github.com/longshore/longshore/api/unstructured"
)

// Dynamic returns a client for any resource, built-in or custom, whose
// objects are unstructured. The GVR must say where the resource is served
// and whether it is namespaced (from discovery or the
// CustomResourceDefinition).
func Dynamic(c *Client, gvr GVR) *Resource[*unstructured.Object] {
	return &Resource[*unstructured.Object]{c: c, gvr: gvr, newT: func() *unstructured.Object { return &unstructured.Object{} }}
}
