package api

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"sigs.k8s.io/yaml"
)

// readDocs returns the documents of a fixture as JSON.
func readDocs(tb testing.TB, name string) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := SplitYAML(data)
	if err != nil {
		tb.Fatal(err)
	}
	if len(docs) == 0 {
		tb.Fatalf("%s: no documents", name)
	}
	out := make([][]byte, len(docs))
	for i, d := range docs {
		js, err := yaml.YAMLToJSON(d)
		if err != nil {
			tb.Fatalf("%s document %d: %v", name, i, err)
		}
		out[i] = js
	}
	return out
}

// generic decodes JSON into maps and slices, dropping null members: a
// non-pointer Time that is zero is written as null by Kubernetes too, and
// null means absent.
func generic(tb testing.TB, js []byte) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		tb.Fatalf("%v\n%s", err, js)
	}
	return dropNulls(v)
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(e)
		}
	case []any:
		for i := range t {
			t[i] = dropNulls(t[i])
		}
	}
	return v
}

// diff lists the paths where a and b differ.
func diff(path string, a, b any, out *[]string) {
	switch at := a.(type) {
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, path+": type differs")
			return
		}
		for k, av := range at {
			bv, ok := bt[k]
			if !ok {
				*out = append(*out, "lost "+path+"."+k)
				continue
			}
			diff(path+"."+k, av, bv, out)
		}
		for k := range bt {
			if _, ok := at[k]; !ok {
				*out = append(*out, "added "+path+"."+k)
			}
		}
	case []any:
		bt, ok := b.([]any)
		if !ok || len(bt) != len(at) {
			*out = append(*out, path+": list differs")
			return
		}
		for i := range at {
			diff(path+"["+strconv.Itoa(i)+"]", at[i], bt[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, path+": "+jsonText(a)+" became "+jsonText(b))
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRoundTripFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "strict-") || strings.HasPrefix(name, "wire-") {
			continue
		}
		for i, doc := range readDocs(t, name) {
			n++
			t.Run(name+"#"+strconv.Itoa(i), func(t *testing.T) {
				obj, err := Decode(doc, DecodeOptions{Strict: true})
				if err != nil {
					t.Fatalf("strict decode: %v", err)
				}
				out, err := Encode(obj)
				if err != nil {
					t.Fatal(err)
				}
				var problems []string
				diff("", generic(t, doc), generic(t, out), &problems)
				if len(problems) > 0 {
					t.Errorf("round trip of %s changed it:\n%s", obj.GetTypeMeta().Kind, strings.Join(problems, "\n"))
				}
				// The YAML encoding must decode to the same object.
				y, err := EncodeYAML(obj)
				if err != nil {
					t.Fatal(err)
				}
				back, err := Decode(y, DecodeOptions{Strict: true})
				if err != nil {
					t.Fatalf("decode YAML: %v", err)
				}
				out2, _ := Encode(back)
				if !reflect.DeepEqual(generic(t, out), generic(t, out2)) {
					t.Errorf("YAML round trip differs:\n%s\n%s", out, out2)
				}
			})
		}
	}
	// Every kind with a list in the built-in scheme has a fixture.
	if n < 25 {
		t.Errorf("only %d fixture documents", n)
	}
}

func TestFixturesCoverEveryKind(t *testing.T) {
	seen := map[meta.GroupVersionKind]bool{}
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "strict-") {
			continue
		}
		for _, doc := range readDocs(t, filepath.Base(f)) {
			gvk, err := peekGVK(doc)
			if err != nil {
				t.Fatal(err)
			}
			seen[gvk] = true
		}
	}
	for _, k := range Builtin().Kinds() {
		if !seen[k.GVK] {
			t.Errorf("no fixture for %s", k.GVK)
		}
	}
}

func TestStrictFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/strict-pod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`unknown field "metadata.lables"`,
		`unknown field "spec.containers[0].imagee"`,
		`unknown field "spec.containers[0].ports[1].containerport"`,
		`unknown field "spec.containers[1].resources.limit"`,
		`unknown field "spec.nodename"`,
		`unknown field "spec.volumes[0].emptyDir.sizelimit"`,
		`unknown field "status.phaze"`,
		`unknown field "extra"`,
	}
	t.Run("strict", func(t *testing.T) {
		obj, err := Decode(data, DecodeOptions{Strict: true})
		var se *StrictError
		if !errors.As(err, &se) || !errors.Is(err, ErrStrict) {
			t.Fatalf("got %v, want a *StrictError", err)
		}
		got := slices.Clone(se.Problems)
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
		if obj == nil || obj.GetObjectMeta().Name != "typo" {
			t.Errorf("strict decoding should still return the object, got %v", obj)
		}
		if !strings.HasPrefix(err.Error(), `strict decoding error: unknown field "`) {
			t.Errorf("message %q", err)
		}
	})
	t.Run("lenient", func(t *testing.T) {
		obj, err := Decode(data, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod := obj.(*core.Pod)
		if pod.Spec.Containers[0].Name != "web" || pod.Spec.Containers[1].Image != "busybox" {
			t.Errorf("known fields lost: %+v", pod.Spec.Containers)
		}
	})
	t.Run("warn", func(t *testing.T) {
		got, err := StrictProblems(data, &core.Pod{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("got %d problems, want %d: %q", len(got), len(want), got)
		}
	})
}

func TestStrictDuplicates(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"json duplicate", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},"data":{"k":"1","k":"2"}}`,
			[]string{`duplicate field "metadata.name"`, `duplicate field "data.k"`}},
		{"json case mismatch", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"Name":"a"}}`,
			[]string{`unknown field "metadata.Name"`}},
		{"json nested list", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b","env":[{"name":"X","valu":"1"}]}]}}`,
			[]string{`unknown field "spec.containers[1].env[0].valu"`}},
		{"escaped keys", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"na\u006de":"a","name":"b","x\"y":1}}`,
			[]string{`duplicate field "metadata.name"`, `unknown field "metadata.x\"y"`}},
		{"map of structs", `{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b","a":"c"}},"spec":{"containers":[],"nodeSelector":{"k":"v"},"overhead":{"cpu":"1","cpu":"2"}}}`,
			[]string{`duplicate field "metadata.labels.a"`, `duplicate field "spec.overhead.cpu"`}},
		{"many keys", `{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":"","l":"","m":"","n":"","o":"","p":"","q":"","r":"","a":""}}`,
			[]string{`duplicate field "data.a"`}},
		{"nested unknown object skipped whole", `{"apiVersion":"v1","kind":"Pod","spex":{"a":[{"b":"}"}],"c":{}},"metadata":{"name":"p"}}`,
			[]string{`unknown field "spex"`}},
		{"clean", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.doc), DecodeOptions{Strict: true})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var se *StrictError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *StrictError", err)
			}
			if !slices.Equal(se.Problems, tt.want) {
				t.Errorf("got %q, want %q", se.Problems, tt.want)
			}
			if _, err := Decode([]byte(tt.doc), DecodeOptions{}); err != nil {
				t.Errorf("lenient decoding failed: %v", err)
			}
		})
	}
	t.Run("invalid JSON", func(t *testing.T) {
		if _, err := StrictProblems([]byte(`{"a":`), &core.Pod{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("yaml duplicate key", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n  containers:\n  - name: c\n    image: nginx\n    image: busybox\n    imagee: z\n"
		_, err := Decode([]byte(doc), DecodeOptions{Strict: true})
		var se *StrictError
		if !errors.As(err, &se) {
			t.Fatalf("got %v", err)
		}
		want := []string{`duplicate field "metadata.name"`, `duplicate field "spec.containers[0].image"`, `unknown field "spec.containers[0].imagee"`}
		if !slices.Equal(se.Problems, want) {
			t.Errorf("got %q, want %q", se.Problems, want)
		}
	})
}

func TestWireForms(t *testing.T) {
	// Non-canonical Quantity, IntOrString, Time and MicroTime inputs are
	// read and written back in the canonical Kubernetes form.
	doc := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":"2024-01-02T04:04:05+01:00"},
	"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"0.5","memory":"1024Mi"}},
	"livenessProbe":{"httpGet":{"port":"http"}},"readinessProbe":{"tcpSocket":{"port":8080}}}]}}`
	obj, err := Decode([]byte(doc), DecodeOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	pod := obj.(*core.Pod)
	c := pod.Spec.Containers[0]
	if got := c.Resources.Limits.Cpu(); got.MilliValue() != 500 {
		t.Errorf("cpu %v", got.String())
	}
	if c.LivenessProbe.HTTPGet.Port.StrVal != "http" || c.ReadinessProbe.TCPSocket.Port.IntVal != 8080 {
		t.Errorf("ports %+v %+v", c.LivenessProbe.HTTPGet.Port, c.ReadinessProbe.TCPSocket.Port)
	}
	out, err := Encode(pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cpu":"500m"`, `"memory":"1Gi"`, `"port":"http"`, `"port":8080`, `"creationTimestamp":"2024-01-02T03:04:05Z"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("encoding lacks %s:\n%s", want, out)
		}
	}

	lease := `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},"spec":{"renewTime":"2024-01-02T03:04:05.1Z","acquireTime":"2024-01-02T03:04:05.123456789Z"}}`
	lo, err := Decode([]byte(lease), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ = Encode(lo)
	for _, want := range []string{`"renewTime":"2024-01-02T03:04:05.100000Z"`, `"acquireTime":"2024-01-02T03:04:05.123456Z"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("encoding lacks %s:\n%s", want, out)
		}
	}
	if l := lo.(*coordination.Lease); l.Spec.RenewTime.Nanosecond() != 100000000 {
		t.Errorf("renewTime %v", l.Spec.RenewTime)
	}

	cm := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"},"binaryData":{"x":"AAEC"}}`
	co, err := Decode([]byte(cm), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := co.(*core.ConfigMap).BinaryData["x"]; !slices.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("binaryData %v", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"no kind", `{"apiVersion":"v1","metadata":{"name":"x"}}`, ErrMissingKind},
		{"unknown kind", `{"apiVersion":"v1","kind":"Gadget"}`, ErrUnknownKind},
		{"unknown group", `{"apiVersion":"example.com/v1","kind":"Pod"}`, ErrUnknownKind},
		{"list via Decode", `{"apiVersion":"v1","kind":"PodList","items":[]}`, ErrUnknownKind},
		{"bad json", `{"apiVersion":"v1",`, ErrMalformed},
		{"bad yaml", "apiVersion: v1\nkind: [\n", ErrMalformed},
		{"wrong type", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":"x"}}`, ErrMalformed},
		{"empty", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Decode([]byte(tt.doc), DecodeOptions{})
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if obj != nil {
				t.Errorf("got an object with the error: %#v", obj)
			}
		})
	}
}

func TestDecodeIntoAndList(t *testing.T) {
	var d apps.Deployment
	if err := DecodeInto([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 2\n"), &d, true); err != nil {
		t.Fatal(err)
	}
	if d.Name != "d" || *d.Spec.Replicas != 2 || d.Kind != "Deployment" {
		t.Errorf("got %+v", d)
	}
	if err := DecodeInto([]byte(`{"apiVersion":"v1","kind":"Pod"}`), &d, false); !errors.Is(err, ErrKindMismatch) {
		t.Errorf("kind mismatch: got %v", err)
	}
	// Without apiVersion/kind the target decides, and TypeMeta is filled.
	var p core.Pod
	if err := DecodeInto([]byte(`{"metadata":{"name":"p"}}`), &p, true); err != nil || p.APIVersion != "v1" || p.Kind != "Pod" {
		t.Errorf("got %v, %+v", err, p.TypeMeta)
	}
	if err := DecodeInto([]byte(`{}`), p, false); !errors.Is(err, ErrMalformed) {
		t.Errorf("non-pointer: got %v", err)
	}

	list := `{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`
	l, err := DecodeList([]byte(list), DecodeOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	items := l.GetItems()
	if len(items) != 2 || items[1].GetObjectMeta().Name != "b" || l.GetListMeta().ResourceVersion != "7" {
		t.Errorf("list %+v", l)
	}
	out, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"kind":"PodList"`) || !strings.Contains(string(out), `"apiVersion":"v1"`) {
		t.Errorf("list encoding %s", out)
	}
}

func TestEncodeDoesNotModify(t *testing.T) {
	p := &core.Pod{}
	p.Name = "x"
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != "" || p.APIVersion != "" {
		t.Errorf("Encode set TypeMeta on the caller's object: %+v", p.TypeMeta)
	}
	if !strings.HasPrefix(string(out), `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"`) {
		t.Errorf("got %s", out)
	}
	if _, err := Encode(&struct{ meta.TypeMeta }{}); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unregistered type: got %v", err)
	}
	var nilPod *core.Pod
	if _, err := Encode(nilPod); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil pod: got %v", err)
	}
}

func TestDecodeManifests(t *testing.T) {
	manifest := `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
--- # a comment after the separator
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata:
    name: s
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: d
  spec:
    replicass: 1
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  nmae: typo
`
	objs, err := DecodeManifests([]byte(manifest), DecodeOptions{Strict: true})
	var se *StrictError
	if !errors.As(err, &se) {
		t.Fatalf("got %v", err)
	}
	want := []string{`document 1: unknown field "spec.replicass"`, `document 2: unknown field "metadata.nmae"`}
	if !slices.Equal(se.Problems, want) {
		t.Errorf("problems %q, want %q", se.Problems, want)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetTypeMeta().Kind+"/"+o.GetObjectMeta().Name)
	}
	if w := []string{"ConfigMap/a", "Secret/s", "Deployment/d", "ServiceAccount/sa"}; !slices.Equal(names, w) {
		t.Errorf("objects %q, want %q", names, w)
	}
	if _, err := DecodeManifests([]byte(manifest), DecodeOptions{}); err != nil {
		t.Errorf("lenient: %v", err)
	}
	if _, err := DecodeManifests([]byte("kind: Pod\n---\n"), DecodeOptions{}); !errors.Is(err, ErrMissingKind) {
		t.Errorf("missing apiVersion: got %v", err)
	}
}

func TestSplitYAML(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a: 1\n", 1},
		{"---\na: 1\n---\nb: 2\n", 2},
		{"a: 1\n---\n# only a comment\n---\n\n", 1},
		{"a: |\n  ---not a separator\n", 1},
		{"a: 1\n---x\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			docs, err := SplitYAML([]byte(tt.in))
			if err != nil || len(docs) != tt.want {
				t.Errorf("got %d docs (%v), want %d", len(docs), err, tt.want)
			}
		})
	}
}
