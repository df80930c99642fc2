package deepcopytest_test

import (
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/internal/deepcopytest"
)

// Shared finds the places where a copy still points into the original.
func ExampleShared() {
	var pod core.Pod
	deepcopytest.Fill(&pod, 1)
	shallow := pod
	shallow.Spec.Containers = pod.DeepCopy().Spec.Containers
	fmt.Println(len(deepcopytest.Shared(&pod, pod.DeepCopy())), deepcopytest.Shared(&pod, &shallow)[:2])
	// Output: 0 [.ObjectMeta.DeletionTimestamp .ObjectMeta.DeletionGracePeriodSeconds]
}
