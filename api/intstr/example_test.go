package intstr_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/intstr"
)

// ExampleScaledValue resolves a Deployment's maxSurge and maxUnavailable
// the way the deployment controller does: a percentage of the replicas,
// rounded up for surge and down for unavailability.
func ExampleScaledValue() {
	surge, unavailable := intstr.FromString("25%"), intstr.FromString("25%")
	up, _ := intstr.ScaledValue(&surge, 10, true)
	down, _ := intstr.ScaledValue(&unavailable, 10, false)
	fmt.Println(up, down)

	n := intstr.FromInt(3)
	v, _ := intstr.ScaledValue(&n, 10, true)
	fmt.Println(v)

	bad := intstr.FromString("lots")
	_, err := intstr.ScaledValue(&bad, 10, true)
	fmt.Println(err)
	// Output:
	// 3 2
	// 3
	// intstr: invalid percentage: "lots"
}

// ExampleIntOrString shows the wire format: a JSON number or a JSON
// string, as in a Service's targetPort.
func ExampleIntOrString() {
	var ports []intstr.IntOrString
	_ = json.Unmarshal([]byte(`[8080, "http"]`), &ports)
	for _, p := range ports {
		fmt.Println(p.Type == intstr.Int, p.String())
	}
	out, _ := json.Marshal(ports)
	fmt.Println(string(out))
	// Output:
	// true 8080
	// false http
	// [8080,"http"]
}
