package apps_test

import (
	"fmt"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/intstr"
)

// A rolling update resolves its percentages against the replica count.
func ExampleRollingUpdateDeployment() {
	maxSurge, maxUnavailable := intstr.FromString("25%"), intstr.FromInt(1)
	ru := apps.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}
	surge, _ := intstr.ScaledValue(ru.MaxSurge, 10, true)
	unavailable, _ := intstr.ScaledValue(ru.MaxUnavailable, 10, false)
	fmt.Println(surge, unavailable)
	// Output: 3 1
}

// Kinds lists what the package registers with the api scheme.
func ExampleKinds() {
	for _, k := range apps.Kinds() {
		fmt.Println(k.Kind, k.Resource, k.ShortNames)
	}
	// Output:
	// Deployment deployments [deploy]
	// ReplicaSet replicasets [rs]
	// StatefulSet statefulsets [sts]
	// DaemonSet daemonsets [ds]
	// ControllerRevision controllerrevisions []
}
