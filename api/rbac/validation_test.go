package rbac

import (
	"testing"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/meta"
)

func TestValidateRoles(t *testing.T) {
	ns := meta.ObjectMeta{Name: "pod-reader", Namespace: "default"}
	cluster := meta.ObjectMeta{Name: "system:admin"}
	read := PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	tests := []struct {
		name string
		errs field.ErrorList
		want []string
	}{
		{"role", ValidateRole(&Role{ObjectMeta: ns, Rules: []PolicyRule{read}}), nil},
		{"no verbs", ValidateRole(&Role{ObjectMeta: ns, Rules: []PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}}}}),
			[]string{"FieldValueRequired rules[0].verbs"}},
		{"no groups or resources", ValidateRole(&Role{ObjectMeta: ns, Rules: []PolicyRule{read, {Verbs: []string{"get"}}}}),
			[]string{"FieldValueRequired rules[1].apiGroups", "FieldValueRequired rules[1].resources"}},
		{"non-resource in role", ValidateRole(&Role{ObjectMeta: ns, Rules: []PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}),
			[]string{"FieldValueInvalid rules[0].nonResourceURLs"}},
		{"bad role name", ValidateRole(&Role{ObjectMeta: meta.ObjectMeta{Name: "a/b", Namespace: "default"}}), []string{"FieldValueInvalid metadata.name"}},
		{"cluster role", ValidateClusterRole(&ClusterRole{ObjectMeta: cluster, Rules: []PolicyRule{read, {Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}), nil},
		{"mixed rule", ValidateClusterRole(&ClusterRole{ObjectMeta: cluster, Rules: []PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/x"}, Resources: []string{"pods"}}}}),
			[]string{"FieldValueInvalid rules[0].nonResourceURLs"}},
		{"empty aggregation", ValidateClusterRole(&ClusterRole{ObjectMeta: cluster, AggregationRule: &AggregationRule{}}),
			[]string{"FieldValueRequired aggregationRule.clusterRoleSelectors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fieldtest.ExpectErrors(t, tt.errs, tt.want...) })
	}
}

func TestValidateBindings(t *testing.T) {
	valid := func() *RoleBinding {
		rb := &RoleBinding{ObjectMeta: meta.ObjectMeta{Name: "read", Namespace: "default", ResourceVersion: "1"},
			RoleRef:  RoleRef{Kind: "Role", Name: "pod-reader"},
			Subjects: []Subject{{Kind: UserKind, Name: "alice"}, {Kind: ServiceAccountKind, Name: "default"}}}
		SetDefaultsRoleBinding(rb)
		return rb
	}
	tests := []struct {
		name   string
		mutate func(*RoleBinding)
		want   []string
	}{
		{"valid", func(*RoleBinding) {}, nil},
		{"bad roleRef kind", func(rb *RoleBinding) { rb.RoleRef.Kind = "Group" }, []string{"FieldValueNotSupported roleRef.kind"}},
		{"bad roleRef group", func(rb *RoleBinding) { rb.RoleRef.APIGroup = "example.com" }, []string{"FieldValueNotSupported roleRef.apiGroup"}},
		{"no roleRef name", func(rb *RoleBinding) { rb.RoleRef.Name = "" }, []string{"FieldValueRequired roleRef.name"}},
		{"bad subject kind", func(rb *RoleBinding) { rb.Subjects[0].Kind = "Robot" }, []string{"FieldValueNotSupported subjects[0].kind"}},
		{"sa with group", func(rb *RoleBinding) { rb.Subjects[1].APIGroup = GroupName }, []string{"FieldValueNotSupported subjects[1].apiGroup"}},
		{"no subject name", func(rb *RoleBinding) { rb.Subjects[0].Name = "" }, []string{"FieldValueRequired subjects[0].name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb := valid()
			tt.mutate(rb)
			fieldtest.ExpectErrors(t, ValidateRoleBinding(rb), tt.want...)
		})
	}
	n := valid()
	n.RoleRef.Name = "other"
	fieldtest.ExpectErrors(t, ValidateRoleBindingUpdate(n, valid()), "FieldValueInvalid roleRef")
	n = valid()
	n.Subjects = n.Subjects[:1]
	fieldtest.ExpectErrors(t, ValidateRoleBindingUpdate(n, valid()))

	crb := &ClusterRoleBinding{ObjectMeta: meta.ObjectMeta{Name: "admins", ResourceVersion: "1"}, RoleRef: RoleRef{Kind: "Role", Name: "x"},
		Subjects: []Subject{{Kind: ServiceAccountKind, Name: "ctrl"}}}
	SetDefaultsClusterRoleBinding(crb)
	fieldtest.ExpectErrors(t, ValidateClusterRoleBinding(crb), "FieldValueNotSupported roleRef.kind", "FieldValueRequired subjects[0].namespace")
	changed := crb.DeepCopy()
	changed.RoleRef.Kind = "ClusterRole"
	changed.Subjects[0].Namespace = "kube-system"
	fieldtest.ExpectErrors(t, ValidateClusterRoleBindingUpdate(changed, crb), "FieldValueInvalid roleRef")
	for _, k := range Kinds() {
		obj := k.New()
		if _, ok := Validate(obj); !ok {
			t.Errorf("Validate does not know %s", k.Kind)
		}
		if _, ok := ValidateUpdate(obj, obj.DeepCopyObject()); !ok {
			t.Errorf("ValidateUpdate does not know %s", k.Kind)
		}
	}
}
