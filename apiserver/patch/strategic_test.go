package patch

import (
	"errors"
	"reflect"
	"testing"
)

// Test types mirroring the tags Kubernetes puts on core/v1.
type tMeta struct {
	Name       string            `json:"name,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Finalizers []string          `json:"finalizers,omitempty" patchStrategy:"merge"`
}

type tPort struct {
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type tEnv struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type tContainer struct {
	Name  string   `json:"name"`
	Image string   `json:"image,omitempty"`
	Args  []string `json:"args,omitempty"`
	Ports []tPort  `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
	Env   []tEnv   `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
}

type tVolumeSource struct {
	EmptyDir *struct{} `json:"emptyDir,omitempty"`
	HostPath *struct {
		Path string `json:"path"`
	} `json:"hostPath,omitempty"`
}

type tVolume struct {
	Name          string `json:"name"`
	tVolumeSource `json:",inline" patchStrategy:"retainKeys"`
}

type tSpec struct {
	Containers  []tContainer        `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	Volumes     []tVolume           `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
	Tolerations []map[string]string `json:"tolerations,omitempty"`
}

type tPod struct {
	Kind     string `json:"kind,omitempty"`
	Metadata tMeta  `json:"metadata"`
	Spec     tSpec  `json:"spec"`
}

const base = `{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},
"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
{"name":"side","image":"busybox"}],"tolerations":[{"key":"k"}]}}`

func TestStrategicMerge(t *testing.T) {
	tests := []struct{ name, patch, want string }{
		{"change image by merge key",
			`{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:2","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],"tolerations":[{"key":"k"}]}}`},
		{"add container and env, delete env",
			`{"spec":{"containers":[{"name":"web","env":[{"name":"C","value":"3"},{"name":"A","$patch":"delete"}]},{"name":"new","image":"x"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"B","value":"2"},{"name":"C","value":"3"}]},{"name":"side","image":"busybox"},{"name":"new","image":"x"}],"tolerations":[{"key":"k"}]}}`},
		{"delete container",
			`{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}],"tolerations":[{"key":"k"}]}}`},
		{"list without strategy is replaced; label removed by null",
			`{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"tolerations":[{"key":"z"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"b":"2","c":"3"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],"tolerations":[{"key":"z"}]}}`},
		{"primitive merge list union and delete",
			`{"metadata":{"finalizers":["y"],"$deleteFromPrimitiveList/finalizers":["x"]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["y"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],"tolerations":[{"key":"k"}]}}`},
		{"replace whole list",
			`{"spec":{"containers":[{"name":"only","image":"i"},{"$patch":"replace"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"only","image":"i"}],"tolerations":[{"key":"k"}]}}`},
		{"replace map",
			`{"metadata":{"labels":{"z":"9","$patch":"replace"}}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"z":"9"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],"tolerations":[{"key":"k"}]}}`},
		{"set element order",
			`{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"web"}],"containers":[{"name":"web","image":"nginx:3"}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"side","image":"busybox"},{"name":"web","image":"nginx:3","ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}],"tolerations":[{"key":"k"}]}}`},
		{"merge by integer key",
			`{"spec":{"containers":[{"name":"web","ports":[{"containerPort":443},{"containerPort":80,"protocol":"TCP"}]}]}}`,
			`{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x"]},"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],"tolerations":[{"key":"k"}]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Strategic([]byte(base), []byte(tc.patch), reflect.TypeOf(&tPod{}))
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, got, tc.want)
		})
	}
}

func TestStrategicRetainKeys(t *testing.T) {
	doc := `{"metadata":{},"spec":{"containers":[],"volumes":[{"name":"v","emptyDir":{}}]}}`
	// kubectl apply switching a volume's source sends $retainKeys.
	patch := `{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"},"$retainKeys":["hostPath","name"]}]}}`
	got, err := Strategic([]byte(doc), []byte(patch), reflect.TypeOf(tPod{}))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, `{"metadata":{},"spec":{"containers":[],"volumes":[{"name":"v","hostPath":{"path":"/x"}}]}}`)
}

func TestStrategicErrors(t *testing.T) {
	for _, p := range []string{`[1]`, `{"spec":{"containers":[{"image":"no-name"}]}}`, `{"metadata":{"$patch":"explode"}}`, `{"spec":{"containers":[1]}}`, `{bad`} {
		if _, err := Strategic([]byte(base), []byte(p), reflect.TypeOf(tPod{})); !errors.Is(err, ErrInvalid) {
			t.Errorf("patch %s: err = %v, want ErrInvalid", p, err)
		}
	}
}
