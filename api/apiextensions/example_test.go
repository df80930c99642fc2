package apiextensions_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/apiextensions"
)

// Example decodes a CustomResourceDefinition manifest, strictly, with the
// built-in scheme: the types follow apiextensions.k8s.io/v1 field by field.
func Example() {
	obj, err := api.Decode([]byte(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: websites.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: websites, singular: website, kind: Website}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [domain]
            properties:
              domain: {type: string}
              replicas: {type: integer, minimum: 1}
`), api.DecodeOptions{Strict: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	crd := obj.(*apiextensions.CustomResourceDefinition)
	v := crd.Spec.Versions[0]
	spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
	fmt.Println(crd.Spec.Names.Kind, crd.Spec.Scope, v.Name, v.Subresources.Status != nil)
	fmt.Println(spec.Required, *spec.Properties["replicas"].Minimum)
	// Output:
	// Website Namespaced v1 true
	// [domain] 1
}

// ExampleJSONSchemaPropsOrBool shows additionalProperties, which
// OpenAPI lets be either a boolean or a schema.
func ExampleJSONSchemaPropsOrBool() {
	var s apiextensions.JSONSchemaProps
	_ = json.Unmarshal([]byte(`{"type":"object","additionalProperties":{"type":"string"}}`), &s)
	fmt.Println(s.AdditionalProperties.Schema.Type)
	_ = json.Unmarshal([]byte(`{"type":"object","additionalProperties":false}`), &s)
	fmt.Println(s.AdditionalProperties.Schema == nil, s.AdditionalProperties.Allows)
	// Output:
	// string
	// true false
}
