package coordination_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/meta"
)

// A node heartbeat lease; renewTime has microsecond precision.
func ExampleLease() {
	holder, seconds := "node-1", int32(40)
	renew := meta.MicroTime{Time: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)}
	l := coordination.Lease{
		ObjectMeta: meta.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease"},
		Spec:       coordination.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &seconds, RenewTime: &renew},
	}
	b, _ := json.Marshal(l.Spec)
	fmt.Println(string(b))
	// Output:
	// {"holderIdentity":"node-1","leaseDurationSeconds":40,"renewTime":"2024-01-02T03:04:05.123456Z"}
}
