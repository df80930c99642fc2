package validation

import (
	"strings"
	"testing"
	"time"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

func ptr[T any](v T) *T { return &v }

func TestValidateObjectMeta(t *testing.T) {
	valid := func() meta.ObjectMeta {
		return meta.ObjectMeta{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}}
	}
	tests := []struct {
		name       string
		mutate     func(*meta.ObjectMeta)
		namespaced bool
		want       []string
	}{
		{"valid", func(*meta.ObjectMeta) {}, true, nil},
		{"no name", func(m *meta.ObjectMeta) { m.Name = "" }, true, []string{"FieldValueRequired metadata.name"}},
		{"generateName only", func(m *meta.ObjectMeta) { m.Name, m.GenerateName = "", "web-" }, true, nil},
		{"bad generateName", func(m *meta.ObjectMeta) { m.Name, m.GenerateName = "", "Web-" }, true, []string{"FieldValueInvalid metadata.generateName"}},
		{"bad name", func(m *meta.ObjectMeta) { m.Name = "Web" }, true, []string{"FieldValueInvalid metadata.name"}},
		{"no namespace", func(m *meta.ObjectMeta) { m.Namespace = "" }, true, []string{"FieldValueRequired metadata.namespace"}},
		{"bad namespace", func(m *meta.ObjectMeta) { m.Namespace = "a.b" }, true, []string{"FieldValueInvalid metadata.namespace"}},
		{"namespace on cluster kind", func(*meta.ObjectMeta) {}, false, []string{"FieldValueForbidden metadata.namespace"}},
		{"negative generation", func(m *meta.ObjectMeta) { m.Generation = -1 }, true, []string{"FieldValueInvalid metadata.generation"}},
		{"bad label key", func(m *meta.ObjectMeta) { m.Labels["-x"] = "y" }, true, []string{"FieldValueInvalid metadata.labels"}},
		{"bad label value", func(m *meta.ObjectMeta) { m.Labels["x"] = "y z" }, true, []string{"FieldValueInvalid metadata.labels"}},
		{"bad annotation key", func(m *meta.ObjectMeta) { m.Annotations = map[string]string{"a b": ""} }, true, []string{"FieldValueInvalid metadata.annotations"}},
		{"uppercase annotation key", func(m *meta.ObjectMeta) { m.Annotations = map[string]string{"Example.COM/X": ""} }, true, nil},
		{"annotations at limit", func(m *meta.ObjectMeta) {
			m.Annotations = map[string]string{"k": strings.Repeat("v", TotalAnnotationSizeLimit-1)}
		}, true, nil},
		{"annotations too large", func(m *meta.ObjectMeta) {
			m.Annotations = map[string]string{"k": strings.Repeat("v", TotalAnnotationSizeLimit)}
		}, true, []string{"FieldValueTooLong metadata.annotations"}},
		{"owner ref missing fields", func(m *meta.ObjectMeta) {
			m.OwnerReferences = []meta.OwnerReference{{APIVersion: "apps/"}}
		}, true, []string{
			"FieldValueInvalid metadata.ownerReferences.apiVersion",
			"FieldValueInvalid metadata.ownerReferences.kind",
			"FieldValueInvalid metadata.ownerReferences.name",
			"FieldValueInvalid metadata.ownerReferences.uid",
		}},
		{"two controllers", func(m *meta.ObjectMeta) {
			r := meta.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "a", UID: "1", Controller: ptr(true)}
			r2 := r
			r2.Name = "b"
			m.OwnerReferences = []meta.OwnerReference{r, r2}
		}, true, []string{"FieldValueInvalid metadata.ownerReferences"}},
		{"bad finalizer", func(m *meta.ObjectMeta) { m.Finalizers = []string{"example.com/ok", "not ok"} }, true, []string{"FieldValueInvalid metadata.finalizers"}},
		{"conflicting finalizers", func(m *meta.ObjectMeta) { m.Finalizers = []string{"orphan", "foregroundDeletion"} }, true, []string{"FieldValueInvalid metadata.finalizers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.mutate(&m)
			fieldtest.ExpectErrors(t, ValidateObjectMeta(&m, tt.namespaced, NameIsDNSSubdomain, field.NewPath("metadata")), tt.want...)
		})
	}
}

func TestValidateObjectMetaUpdate(t *testing.T) {
	created := meta.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	old := func() meta.ObjectMeta {
		return meta.ObjectMeta{Name: "web", Namespace: "default", UID: "u1", ResourceVersion: "5",
			Generation: 2, CreationTimestamp: created, Finalizers: []string{"a.io/x"}}
	}
	deleting := old()
	deleting.DeletionTimestamp = ptr(meta.NewTime(created.Add(time.Hour)))
	tests := []struct {
		name   string
		old    meta.ObjectMeta
		mutate func(*meta.ObjectMeta)
		want   []string
	}{
		{"unchanged", old(), func(*meta.ObjectMeta) {}, nil},
		{"labels may change", old(), func(m *meta.ObjectMeta) { m.Labels = map[string]string{"a": "b"} }, nil},
		{"same instant other zone", old(), func(m *meta.ObjectMeta) { m.CreationTimestamp = meta.NewTime(created.In(time.FixedZone("x", 3600))) }, nil},
		{"no resourceVersion", old(), func(m *meta.ObjectMeta) { m.ResourceVersion = "" }, []string{"FieldValueInvalid metadata.resourceVersion"}},
		{"generation down", old(), func(m *meta.ObjectMeta) { m.Generation = 1 }, []string{"FieldValueInvalid metadata.generation"}},
		{"name", old(), func(m *meta.ObjectMeta) { m.Name = "other" }, []string{"FieldValueInvalid metadata.name"}},
		{"namespace", old(), func(m *meta.ObjectMeta) { m.Namespace = "other" }, []string{"FieldValueInvalid metadata.namespace"}},
		{"uid", old(), func(m *meta.ObjectMeta) { m.UID = "u2" }, []string{"FieldValueInvalid metadata.uid"}},
		{"creationTimestamp", old(), func(m *meta.ObjectMeta) { m.CreationTimestamp = meta.NewTime(created.Add(time.Second)) }, []string{"FieldValueInvalid metadata.creationTimestamp"}},
		{"deletionTimestamp set by update", old(), func(m *meta.ObjectMeta) { m.DeletionTimestamp = ptr(created) }, []string{"FieldValueInvalid metadata.deletionTimestamp"}},
		{"grace period", old(), func(m *meta.ObjectMeta) { m.DeletionGracePeriodSeconds = ptr(int64(3)) }, []string{"FieldValueInvalid metadata.deletionGracePeriodSeconds"}},
		{"new finalizer while deleting", deleting, func(m *meta.ObjectMeta) { m.Finalizers = append(m.Finalizers, "b.io/y") }, []string{"FieldValueForbidden metadata.finalizers"}},
		{"finalizer removed while deleting", deleting, func(m *meta.ObjectMeta) { m.Finalizers = nil }, nil},
		{"new finalizer while alive", old(), func(m *meta.ObjectMeta) { m.Finalizers = append(m.Finalizers, "b.io/y") }, nil},
		{"bad label", old(), func(m *meta.ObjectMeta) { m.Labels = map[string]string{"a": "-"} }, []string{"FieldValueInvalid metadata.labels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.old
			n.Finalizers = append([]string(nil), tt.old.Finalizers...)
			if tt.old.DeletionTimestamp != nil {
				n.DeletionTimestamp = ptr(*tt.old.DeletionTimestamp)
			}
			tt.mutate(&n)
			o := tt.old
			fieldtest.ExpectErrors(t, ValidateObjectMetaUpdate(&n, &o, field.NewPath("metadata")), tt.want...)
		})
	}
}

func TestValidateImmutableFieldText(t *testing.T) {
	errs := ValidateImmutableField("b", "a", field.NewPath("spec", "selector"))
	if len(errs) != 1 || errs[0].Error() != `spec.selector: Invalid value: "b": field is immutable` {
		t.Errorf("got %v", errs)
	}
}

func TestSemanticEqual(t *testing.T) {
	type inner struct {
		Q resource.Quantity
		T *meta.Time
		L []string
		M map[string]int
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"nil nil", nil, nil, true},
		{"nil value", nil, 1, false},
		{"types differ", int32(1), int64(1), false},
		{"strings", "a", "a", true},
		{"quantity forms", resource.MustParse("1"), resource.MustParse("1000m"), true},
		{"quantity values", resource.MustParse("1"), resource.MustParse("1001m"), false},
		{"nested quantity", inner{Q: resource.MustParse("1Ki")}, inner{Q: resource.MustParse("1024")}, true},
		{"nil vs empty slice", inner{L: nil}, inner{L: []string{}}, true},
		{"nil vs empty map", inner{M: nil}, inner{M: map[string]int{}}, true},
		{"map values", inner{M: map[string]int{"a": 1}}, inner{M: map[string]int{"a": 2}}, false},
		{"map keys", inner{M: map[string]int{"a": 1}}, inner{M: map[string]int{"b": 1}}, false},
		{"slice values", inner{L: []string{"a"}}, inner{L: []string{"b"}}, false},
		{"time zones", inner{T: ptr(meta.NewTime(now))}, inner{T: ptr(meta.NewTime(now.Local()))}, true},
		{"time nil", inner{T: ptr(meta.NewTime(now))}, inner{}, false},
		{"micro time", meta.MicroTime{Time: now}, meta.MicroTime{Time: now.Local()}, true},
		{"pointers", ptr(int64(1)), ptr(int64(1)), true},
		{"pointers differ", ptr(int64(1)), ptr(int64(2)), false},
		{"floats", 1.5, 1.5, true},
		{"arrays", [2]int{1, 2}, [2]int{1, 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SemanticEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("SemanticEqual = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateLabelSelector(t *testing.T) {
	tests := []struct {
		name string
		sel  *meta.LabelSelector
		want []string
	}{
		{"nil", nil, nil},
		{"valid", &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}, MatchExpressions: []meta.LabelSelectorRequirement{
			{Key: "tier", Operator: meta.LabelSelectorOpIn, Values: []string{"fe"}},
			{Key: "canary", Operator: meta.LabelSelectorOpDoesNotExist}}}, nil},
		{"bad label", &meta.LabelSelector{MatchLabels: map[string]string{"app": "-"}}, []string{"FieldValueInvalid spec.selector.matchLabels"}},
		{"in without values", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: meta.LabelSelectorOpIn}}},
			[]string{"FieldValueRequired spec.selector.matchExpressions[0].values"}},
		{"exists with values", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: meta.LabelSelectorOpExists, Values: []string{"x"}}}},
			[]string{"FieldValueForbidden spec.selector.matchExpressions[0].values"}},
		{"bad operator and key", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "-a", Operator: "Like"}}},
			[]string{"FieldValueNotSupported spec.selector.matchExpressions[0].operator", "FieldValueInvalid spec.selector.matchExpressions[0].key"}},
		{"bad value", &meta.LabelSelector{MatchExpressions: []meta.LabelSelectorRequirement{{Key: "a", Operator: meta.LabelSelectorOpNotIn, Values: []string{"ok", "not ok"}}}},
			[]string{"FieldValueInvalid spec.selector.matchExpressions[0].values[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateLabelSelector(tt.sel, field.NewPath("spec", "selector")), tt.want...)
		})
	}
	if !IsEmptySelector(&meta.LabelSelector{}) || IsEmptySelector(nil) || IsEmptySelector(&meta.LabelSelector{MatchLabels: map[string]string{"a": "b"}}) {
		t.Error("IsEmptySelector is wrong")
	}
}

func TestValidateUpdateAs(t *testing.T) {
	called := false
	fn := func(n, old *meta.ObjectMeta) field.ErrorList {
		called = true
		return ValidateObjectMetaUpdate(n, old, field.NewPath("metadata"))
	}
	a := &meta.ObjectMeta{Name: "a", ResourceVersion: "1"}
	fieldtest.ExpectErrors(t, ValidateUpdateAs(a, any(&meta.ObjectMeta{Name: "b"}), fn), "FieldValueInvalid metadata.name")
	if !called {
		t.Error("fn not called")
	}
	called = false
	fieldtest.ExpectErrors(t, ValidateUpdateAs(a, any(&meta.TypeMeta{}), fn), "FieldValueInvalid kind")
	if called {
		t.Error("fn called for a mismatched type")
	}
}
