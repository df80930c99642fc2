package coordination

import "testing"

func TestSetDefaultsChangesNothing(t *testing.T) {
	l := &Lease{}
	if !SetDefaults(l) {
		t.Fatal("Lease not known")
	}
	if l.Spec.LeaseDurationSeconds != nil || l.Spec.HolderIdentity != nil {
		t.Errorf("Lease was defaulted: %+v", l.Spec)
	}
}
