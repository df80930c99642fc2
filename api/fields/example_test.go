package fields_test

import (
	"fmt"

	"github.com/longshore/longshore/api/fields"
)

func ExampleParse() {
	sel, err := fields.Parse("status.phase==Running,spec.nodeName=node-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.String())
	node, ok := sel.RequiresExactMatch("spec.nodeName")
	fmt.Println(node, ok)
	fmt.Println(sel.Matches(fields.Set{"spec.nodeName": "node-1", "status.phase": "Running"}))
	// Output:
	// spec.nodeName=node-1,status.phase=Running
	// node-1 true
	// true
}
