package field_test

import (
	"fmt"

	"github.com/longshore/longshore/api/field"
)

func Example() {
	containers := field.NewPath("spec").Child("containers")
	var errs field.ErrorList
	errs = append(errs, field.Required(containers.Index(0).Child("name"), ""))
	errs = append(errs, field.NotSupported(containers.Index(1).Child("imagePullPolicy"), "Sometimes",
		[]string{"Always", "IfNotPresent", "Never"}))
	for _, e := range errs {
		fmt.Println(e)
	}
	fmt.Println(errs.ToAggregate() != nil)
	// Output:
	// spec.containers[0].name: Required value
	// spec.containers[1].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"
	// true
}
