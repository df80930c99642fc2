package fieldtest_test

import (
	"fmt"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/field/fieldtest"
)

func ExampleSummary() {
	errs := field.ErrorList{field.Required(field.NewPath("spec", "containers").Index(0).Child("name"), "")}
	fmt.Println(fieldtest.Summary(errs))
	// Output: [FieldValueRequired spec.containers[0].name]
}
