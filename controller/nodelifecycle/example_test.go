package nodelifecycle_test

import (
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/controller/nodelifecycle"
)

// ExampleTolerates checks which tolerations let a pod stay on an
// unreachable node.
func ExampleTolerates() {
	taint := core.Taint{Key: core.TaintNodeUnreachable, Effect: core.TaintEffectNoExecute}
	for _, tol := range []core.Toleration{
		{Key: core.TaintNodeUnreachable, Operator: core.TolerationOpExists, Effect: core.TaintEffectNoExecute},
		{Key: core.TaintNodeNotReady, Operator: core.TolerationOpExists},
		{Operator: core.TolerationOpExists},
	} {
		fmt.Println(nodelifecycle.Tolerates(tol, taint))
	}
	// Output:
	// true
	// false
	// true
}
