package rbac

import "testing"

func TestSetDefaultsBindings(t *testing.T) {
	rb := &RoleBinding{RoleRef: RoleRef{Kind: "Role", Name: "r"}, Subjects: []Subject{
		{Kind: UserKind, Name: "alice"}, {Kind: GroupKind, Name: "devs"}, {Kind: ServiceAccountKind, Name: "sa", Namespace: "a"}}}
	SetDefaultsRoleBinding(rb)
	if rb.RoleRef.APIGroup != GroupName {
		t.Errorf("roleRef.apiGroup = %q", rb.RoleRef.APIGroup)
	}
	for i, want := range []string{GroupName, GroupName, ""} {
		if rb.Subjects[i].APIGroup != want {
			t.Errorf("subject %d apiGroup = %q, want %q", i, rb.Subjects[i].APIGroup, want)
		}
	}
	crb := &ClusterRoleBinding{Subjects: []Subject{{Kind: UserKind, Name: "bob"}}}
	if !SetDefaults(crb) {
		t.Fatal("ClusterRoleBinding not known")
	}
	if crb.RoleRef.APIGroup != GroupName || crb.Subjects[0].APIGroup != GroupName {
		t.Errorf("cluster binding defaults: %+v", crb)
	}
	for _, k := range Kinds() {
		if !SetDefaults(k.New()) {
			t.Errorf("SetDefaults does not know %s", k.Kind)
		}
	}
}
