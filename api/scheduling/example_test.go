package scheduling_test

import (
	"fmt"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/scheduling"
)

// Example decodes a PriorityClass manifest with the built-in scheme and
// defaults it, as the API server does on create.
func Example() {
	obj, err := api.Decode([]byte(`
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: batch-low
value: 100
description: best-effort batch jobs
`), api.DecodeOptions{Strict: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	pc := obj.(*scheduling.PriorityClass)
	scheduling.SetDefaultsPriorityClass(pc)
	fmt.Println(pc.Name, pc.Value, *pc.PreemptionPolicy)
	// Output: batch-low 100 PreemptLowerPriority
}

// ExampleSystemClasses lists the classes every API server creates at
// start; their values lie above what users may define.
func ExampleSystemClasses() {
	for _, pc := range scheduling.SystemClasses() {
		fmt.Println(pc.Name, pc.Value, pc.Value > scheduling.HighestUserDefinable)
	}
	// Output:
	// system-node-critical 2000001000 true
	// system-cluster-critical 2000000000 true
}
