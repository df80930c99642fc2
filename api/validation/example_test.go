package validation_test

import (
	"fmt"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/validation"
)

func ExampleIsDNS1123Label() {
	fmt.Println(validation.IsDNS1123Label("web-1"))
	fmt.Println(validation.IsDNS1123Label("web.1"))
	// Output:
	// []
	// [must not contain dots]
}

func ExampleValidateObjectMeta() {
	m := meta.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web server"}}
	errs := validation.ValidateObjectMeta(&m, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	for _, e := range errs {
		fmt.Println(string(e.Type), e.Field)
	}
	// Output:
	// FieldValueRequired metadata.namespace
	// FieldValueInvalid metadata.labels
}
