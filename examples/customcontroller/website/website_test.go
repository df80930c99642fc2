package website_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/examples/customcontroller/website"
)

func sample() *website.Website {
	return &website.Website{
		ObjectMeta: meta.ObjectMeta{Name: "hello", Namespace: "default", UID: "uid-1", Generation: 2},
		Spec:       website.Spec{Replicas: 3, Image: "nginx:1.27", Port: 8080},
	}
}

func TestCRD(t *testing.T) {
	crd, err := website.CRD()
	if err != nil {
		t.Fatal(err)
	}
	if crd.Name != website.CRDName || crd.Spec.Group != website.Group || crd.Spec.Names.Kind != website.Kind || crd.Spec.Names.Plural != website.Resource {
		t.Fatalf("names: %s %+v", crd.Name, crd.Spec.Names)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != website.Version || !crd.Spec.Versions[0].Served || !crd.Spec.Versions[0].Storage {
		t.Fatalf("versions: %+v", crd.Spec.Versions)
	}
	v := crd.Spec.Versions[0]
	if v.Subresources == nil || v.Subresources.Status == nil {
		t.Error("the status subresource must be enabled: the controller writes status through it")
	}
	spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
	for field, want := range map[string]string{"replicas": "1", "port": "80"} {
		if got := string(spec.Properties[field].Default); got != want {
			t.Errorf("spec.%s default = %s, want %s", field, got, want)
		}
	}
	// Every status field the controller writes must be in the schema, or
	// the server would prune it.
	st, err := json.Marshal(website.ComputeStatus(sample(), &apps.Deployment{}, "", meta.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	_ = json.Unmarshal(st, &fields)
	status := v.Schema.OpenAPIV3Schema.Properties["status"]
	for f := range fields {
		if _, ok := status.Properties[f]; !ok {
			t.Errorf("status.%s is written but not in the schema", f)
		}
	}
}

func TestUnstructuredRoundTrip(t *testing.T) {
	w := sample()
	w.Status = website.Status{ReadyReplicas: 1, Conditions: []meta.Condition{{Type: website.ConditionReady, Status: meta.ConditionFalse, Reason: "Progressing",
		LastTransitionTime: meta.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}}}
	obj, err := website.ToUnstructured(w)
	if err != nil {
		t.Fatal(err)
	}
	if obj.APIVersion != "demo.longshore.dev/v1" || obj.Kind != "Website" || obj.Name != "hello" {
		t.Fatalf("type and metadata: %s %s %s", obj.APIVersion, obj.Kind, obj.Name)
	}
	back, err := website.FromUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	back.TypeMeta = w.TypeMeta
	if !reflect.DeepEqual(back.Spec, w.Spec) || !website.StatusEqual(back.Status, w.Status) || back.UID != w.UID {
		t.Fatalf("round trip: got %+v, want %+v", back, w)
	}
	if !back.Status.Conditions[0].LastTransitionTime.Equal(w.Status.Conditions[0].LastTransitionTime.Time) {
		t.Errorf("transition time %v, want %v", back.Status.Conditions[0].LastTransitionTime, w.Status.Conditions[0].LastTransitionTime)
	}
}

func TestDesiredObjectsAreOwnedAndInSync(t *testing.T) {
	w := sample()
	d := website.DesiredDeployment(w)
	s := website.DesiredService(w)
	for _, m := range []*meta.ObjectMeta{&d.ObjectMeta, &s.ObjectMeta} {
		if !meta.IsControlledBy(m, &w.ObjectMeta) {
			t.Errorf("%s is not controlled by the website: %+v", m.Name, m.OwnerReferences)
		}
	}
	if !website.DeploymentInSync(d, w) || !website.ServiceInSync(s, w) {
		t.Fatal("desired objects are not in sync with their own website")
	}
}

func TestDeploymentInSync(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*apps.Deployment)
		want   bool
	}{
		{name: "as desired", mutate: func(*apps.Deployment) {}, want: true},
		{name: "server defaults and other labels do not matter", mutate: func(d *apps.Deployment) {
			d.Spec.Template.Spec.Containers[0].ImagePullPolicy = core.PullIfNotPresent
			d.Spec.Template.Labels["pod-template-hash"] = "abc"
			d.Spec.Strategy.Type = apps.RollingUpdateDeploymentStrategyType
		}, want: true},
		{name: "replicas", mutate: func(d *apps.Deployment) { n := int32(1); d.Spec.Replicas = &n }},
		{name: "replicas unset", mutate: func(d *apps.Deployment) { d.Spec.Replicas = nil }},
		{name: "image", mutate: func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:1.26" }},
		{name: "port", mutate: func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort = 80 }},
		{name: "container renamed", mutate: func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Name = "other" }},
		{name: "label removed", mutate: func(d *apps.Deployment) { delete(d.Spec.Template.Labels, website.LabelInstance) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sample()
			d := website.DesiredDeployment(w)
			tt.mutate(d)
			if got := website.DeploymentInSync(d, w); got != tt.want {
				t.Errorf("DeploymentInSync = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServiceInSync(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*core.Service)
		want   bool
	}{
		{name: "as desired", mutate: func(*core.Service) {}, want: true},
		{name: "allocated cluster IP does not matter", mutate: func(s *core.Service) { s.Spec.ClusterIP = "10.96.0.10" }, want: true},
		{name: "port", mutate: func(s *core.Service) { s.Spec.Ports[0].Port = 80 }},
		{name: "extra port", mutate: func(s *core.Service) { s.Spec.Ports = append(s.Spec.Ports, core.ServicePort{Port: 9090}) }},
		{name: "selector", mutate: func(s *core.Service) { s.Spec.Selector = map[string]string{"app": "x"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sample()
			s := website.DesiredService(w)
			tt.mutate(s)
			if got := website.ServiceInSync(s, w); got != tt.want {
				t.Errorf("ServiceInSync = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestComputeStatus(t *testing.T) {
	t0 := meta.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := meta.NewTime(t0.Add(time.Hour))
	dep := func(gen, observed int64, replicas, updated, ready int32) *apps.Deployment {
		return &apps.Deployment{ObjectMeta: meta.ObjectMeta{Generation: gen},
			Status: apps.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated, ReadyReplicas: ready}}
	}
	tests := []struct {
		name        string
		old         *meta.Condition
		dep         *apps.Deployment
		conflict    string
		wantStatus  meta.ConditionStatus
		wantReason  string
		wantReady   int32
		wantTransit meta.Time
	}{
		{name: "new deployment", dep: dep(1, 0, 0, 0, 0), wantStatus: meta.ConditionFalse, wantReason: website.ReasonProgressing, wantTransit: now},
		{name: "rolled out", dep: dep(2, 2, 3, 3, 3), wantStatus: meta.ConditionTrue, wantReason: website.ReasonAvailable, wantReady: 3, wantTransit: now},
		{name: "spec not observed yet", dep: dep(3, 2, 3, 3, 3), wantStatus: meta.ConditionFalse, wantReason: website.ReasonProgressing, wantReady: 3, wantTransit: now},
		{name: "old pods still ready", dep: dep(2, 2, 3, 1, 3), wantStatus: meta.ConditionFalse, wantReason: website.ReasonProgressing, wantReady: 3, wantTransit: now},
		{name: "surge pods", dep: dep(2, 2, 4, 3, 3), wantStatus: meta.ConditionFalse, wantReason: website.ReasonProgressing, wantReady: 3, wantTransit: now},
		{name: "transition time kept while the status holds", dep: dep(2, 2, 3, 3, 2),
			old:        &meta.Condition{Type: website.ConditionReady, Status: meta.ConditionFalse, LastTransitionTime: t0},
			wantStatus: meta.ConditionFalse, wantReason: website.ReasonProgressing, wantReady: 2, wantTransit: t0},
		{name: "transition time moves when the status flips", dep: dep(2, 2, 3, 3, 3),
			old:        &meta.Condition{Type: website.ConditionReady, Status: meta.ConditionFalse, LastTransitionTime: t0},
			wantStatus: meta.ConditionTrue, wantReason: website.ReasonAvailable, wantReady: 3, wantTransit: now},
		{name: "conflict", conflict: "deployment hello exists", wantStatus: meta.ConditionFalse, wantReason: website.ReasonConflict, wantTransit: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := sample()
			if tt.old != nil {
				w.Status.Conditions = []meta.Condition{*tt.old}
			}
			st := website.ComputeStatus(w, tt.dep, tt.conflict, now)
			c := st.Condition(website.ConditionReady)
			if c == nil {
				t.Fatal("no Ready condition")
			}
			if c.Status != tt.wantStatus || c.Reason != tt.wantReason || st.ReadyReplicas != tt.wantReady {
				t.Errorf("got %s/%s ready %d, want %s/%s ready %d", c.Status, c.Reason, st.ReadyReplicas, tt.wantStatus, tt.wantReason, tt.wantReady)
			}
			if !c.LastTransitionTime.Equal(tt.wantTransit.Time) {
				t.Errorf("lastTransitionTime %v, want %v", c.LastTransitionTime, tt.wantTransit)
			}
			if st.ObservedGeneration != w.Generation || c.ObservedGeneration != w.Generation {
				t.Errorf("observedGeneration %d/%d, want %d", st.ObservedGeneration, c.ObservedGeneration, w.Generation)
			}
			if tt.conflict != "" && c.Message != tt.conflict {
				t.Errorf("message %q, want %q", c.Message, tt.conflict)
			}
		})
	}
}

func TestStatusEqual(t *testing.T) {
	base := website.Status{ObservedGeneration: 1, ReadyReplicas: 2, Conditions: []meta.Condition{{Type: "Ready", Status: meta.ConditionTrue, Reason: "A", Message: "m"}}}
	tests := []struct {
		name   string
		mutate func(*website.Status)
		want   bool
	}{
		{name: "same", mutate: func(*website.Status) {}, want: true},
		{name: "transition time ignored", mutate: func(s *website.Status) { s.Conditions[0].LastTransitionTime = meta.Now() }, want: true},
		{name: "ready replicas", mutate: func(s *website.Status) { s.ReadyReplicas = 3 }},
		{name: "generation", mutate: func(s *website.Status) { s.ObservedGeneration = 2 }},
		{name: "condition status", mutate: func(s *website.Status) { s.Conditions[0].Status = meta.ConditionFalse }},
		{name: "message", mutate: func(s *website.Status) { s.Conditions[0].Message = "other" }},
		{name: "no conditions", mutate: func(s *website.Status) { s.Conditions = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := base
			other.Conditions = append([]meta.Condition(nil), base.Conditions...)
			tt.mutate(&other)
			if got := website.StatusEqual(base, other); got != tt.want {
				t.Errorf("StatusEqual = %v, want %v", got, tt.want)
			}
		})
	}
}
