package coordination

import (
	"testing"

	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/meta"
)

func ptr[T any](v T) *T { return &v }

func TestValidateLease(t *testing.T) {
	om := meta.ObjectMeta{Name: "node-1", Namespace: "kube-node-lease", ResourceVersion: "1"}
	tests := []struct {
		name string
		spec LeaseSpec
		want []string
	}{
		{"valid", LeaseSpec{HolderIdentity: ptr("node-1"), LeaseDurationSeconds: ptr(int32(40))}, nil},
		{"zero duration", LeaseSpec{LeaseDurationSeconds: ptr(int32(0))}, []string{"FieldValueInvalid spec.leaseDurationSeconds"}},
		{"negative transitions", LeaseSpec{LeaseTransitions: ptr(int32(-1))}, []string{"FieldValueInvalid spec.leaseTransitions"}},
		{"bad strategy", LeaseSpec{Strategy: ptr(CoordinatedLeaseStrategy("Newest"))}, []string{"FieldValueNotSupported spec.strategy"}},
		{"preferred without strategy", LeaseSpec{PreferredHolder: ptr("a")}, []string{"FieldValueForbidden spec.preferredHolder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateLease(&Lease{ObjectMeta: om, Spec: tt.spec}), tt.want...)
		})
	}
	old := &Lease{ObjectMeta: om}
	n := old.DeepCopy()
	n.Spec.HolderIdentity = ptr("node-2")
	fieldtest.ExpectErrors(t, ValidateLeaseUpdate(n, old))
	n.Namespace = "other"
	fieldtest.ExpectErrors(t, ValidateLeaseUpdate(n, old), "FieldValueInvalid metadata.namespace")
	if _, ok := Validate(old); !ok {
		t.Error("Validate does not know Lease")
	}
	if errs, ok := ValidateUpdate(n, old); !ok || len(errs) != 1 {
		t.Errorf("ValidateUpdate = %v, %v", errs, ok)
	}
	if !SetDefaults(old) {
		t.Error("SetDefaults does not know Lease")
	}
}
