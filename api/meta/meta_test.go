package meta

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestStatusJSON(t *testing.T) {
	s := &Status{
		TypeMeta: TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   StatusFailure,
		Message:  `pods "x" not found`,
		Reason:   StatusReasonNotFound,
		Details: &StatusDetails{Name: "x", Kind: "pods", RetryAfterSeconds: 2,
			Causes: []StatusCause{{Type: CauseTypeFieldValueInvalid, Message: "bad", Field: "spec.x"}}},
		Code: 404,
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods","causes":[{"reason":"FieldValueInvalid","message":"bad","field":"spec.x"}],"retryAfterSeconds":2},"code":404}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Status
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, s) {
		t.Errorf("round trip: %v %+v", err, back)
	}
	var err2 error = s
	if err2.Error() != `pods "x" not found` {
		t.Errorf("Error() = %q", err2.Error())
	}
	if (&Status{Reason: StatusReasonConflict}).Error() != "Conflict" {
		t.Error("Error() without a message should give the reason")
	}
}

func TestWatchEventAndDeleteOptions(t *testing.T) {
	ev := WatchEvent{Type: Added, Object: RawJSON(`{"kind":"Pod"}`)}
	b, _ := json.Marshal(ev)
	if string(b) != `{"type":"ADDED","object":{"kind":"Pod"}}` {
		t.Errorf("watch event %s", b)
	}
	grace := int64(0)
	policy := DeletePropagationForeground
	uid := "u1"
	opts := DeleteOptions{GracePeriodSeconds: &grace, PropagationPolicy: &policy, Preconditions: &Preconditions{UID: &uid}, DryRun: []string{DryRunAll}}
	b, _ = json.Marshal(opts)
	if string(b) != `{"gracePeriodSeconds":0,"preconditions":{"uid":"u1"},"propagationPolicy":"Foreground","dryRun":["All"]}` {
		t.Errorf("delete options %s", b)
	}
	b, _ = json.Marshal(Condition{Type: "Ready", Status: ConditionTrue})
	if string(b) != `{"type":"Ready","status":"True","lastTransitionTime":null,"reason":"","message":""}` {
		t.Errorf("condition %s", b)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		out     string
		wantErr bool
	}{
		{`"1h2m3s"`, time.Hour + 2*time.Minute + 3*time.Second, `"1h2m3s"`, false},
		{`"90s"`, 90 * time.Second, `"1m30s"`, false},
		{`"0s"`, 0, `"0s"`, false},
		{`90`, 0, "", true},
		{`"soon"`, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if tt.wantErr {
				return
			}
			b, _ := json.Marshal(d)
			if d.Duration != tt.want || string(b) != tt.out {
				t.Errorf("got %v %s", d.Duration, b)
			}
		})
	}
}

func TestTimes(t *testing.T) {
	var tm Time
	if err := json.Unmarshal([]byte(`"2024-01-02T04:04:05+01:00"`), &tm); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(tm); string(b) != `"2024-01-02T03:04:05Z"` {
		t.Errorf("time %s", b)
	}
	var mt MicroTime
	if err := json.Unmarshal([]byte(`"2024-01-02T03:04:05.1234567Z"`), &mt); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(mt); string(b) != `"2024-01-02T03:04:05.123456Z"` {
		t.Errorf("microtime %s", b)
	}
	if b, _ := json.Marshal(struct{ T Time }{}); string(b) != `{"T":null}` {
		t.Errorf("zero time %s", b)
	}
}

func TestParseGroupVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    GroupVersion
		wantErr bool
	}{
		{"v1", GroupVersion{Version: "v1"}, false},
		{"apps/v1", GroupVersion{Group: "apps", Version: "v1"}, false},
		{"rbac.authorization.k8s.io/v1", GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, false},
		{"", GroupVersion{}, true},
		{"a/b/c", GroupVersion{}, true},
		{"/v1", GroupVersion{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseGroupVersion(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %v, %v", got, err)
			}
			if err != nil && !errors.Is(err, ErrBadAPIVersion) {
				t.Errorf("error %v is not ErrBadAPIVersion", err)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
	tm := TypeMeta{}
	tm.SetGroupVersionKind(GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	if tm.APIVersion != "apps/v1" || tm.Kind != "Deployment" {
		t.Errorf("SetGroupVersionKind: %+v", tm)
	}
	if gvk, err := tm.GroupVersionKind(); err != nil || gvk.String() != "apps/v1, Kind=Deployment" {
		t.Errorf("GroupVersionKind: %v %v", gvk, err)
	}
}

func TestFinalizers(t *testing.T) {
	var m ObjectMeta
	if !m.AddFinalizer("a") || m.AddFinalizer("a") || !m.AddFinalizer("b") {
		t.Fatal("AddFinalizer results")
	}
	if !m.HasFinalizer("b") || m.HasFinalizer("c") {
		t.Error("HasFinalizer")
	}
	if !m.RemoveFinalizer("a") || m.RemoveFinalizer("a") {
		t.Error("RemoveFinalizer results")
	}
	if !slices.Equal(m.Finalizers, []string{"b"}) {
		t.Errorf("finalizers %v", m.Finalizers)
	}
	m.RemoveFinalizer("b")
	if m.Finalizers != nil {
		t.Errorf("empty finalizers should be nil, got %#v", m.Finalizers)
	}
}

func TestControllerRefs(t *testing.T) {
	owner := &ObjectMeta{Name: "rs", UID: "uid-1"}
	gvk := GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	ref := NewControllerRef(owner, gvk)
	if ref.APIVersion != "apps/v1" || ref.Kind != "ReplicaSet" || ref.Name != "rs" || ref.UID != "uid-1" || !*ref.Controller || !*ref.BlockOwnerDeletion {
		t.Errorf("ref %+v", ref)
	}
	f := false
	pod := &ObjectMeta{OwnerReferences: []OwnerReference{{Name: "other", UID: "uid-2", Controller: &f}, *ref}}
	if got := GetControllerOf(pod); got == nil || got.UID != "uid-1" {
		t.Errorf("GetControllerOf %+v", got)
	}
	if !IsControlledBy(pod, owner) || IsControlledBy(pod, &ObjectMeta{UID: "uid-2"}) || IsControlledBy(&ObjectMeta{}, owner) {
		t.Error("IsControlledBy")
	}
	if IsControlledBy(pod, &ObjectMeta{Name: "rs"}) {
		t.Error("an owner without UID controls nothing")
	}
}

func TestObjectMetaFields(t *testing.T) {
	m := &ObjectMeta{Name: "n", Namespace: "ns"}
	if got := ObjectMetaFields(m, true); len(got) != 2 || got["metadata.namespace"] != "ns" {
		t.Errorf("namespaced %v", got)
	}
	if got := ObjectMetaFields(m, false); len(got) != 1 || got["metadata.name"] != "n" {
		t.Errorf("cluster-scoped %v", got)
	}
	type set map[string]string
	fn := FieldsFunc(func(o *testObject) set { return set{"x": o.Name} })
	if got := fn(&testObject{ObjectMeta: ObjectMeta{Name: "a"}}); got["x"] != "a" {
		t.Errorf("FieldsFunc %v", got)
	}
	if got := fn(&otherObject{}); got != nil {
		t.Errorf("FieldsFunc on another type %v", got)
	}
	var called bool
	def := DefaultFunc(func(o *testObject) { called = true })
	def(&otherObject{})
	if called {
		t.Error("DefaultFunc ran on another type")
	}
	def(&testObject{})
	if !called {
		t.Error("DefaultFunc did not run")
	}
}

type testObject struct {
	TypeMeta
	ObjectMeta
}

func (o *testObject) DeepCopyObject() Object { c := *o; return &c }

type otherObject struct {
	TypeMeta
	ObjectMeta
}

func (o *otherObject) DeepCopyObject() Object { c := *o; return &c }
