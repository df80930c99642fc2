package api

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"
)

func benchPod(b *testing.B) (yamlDoc, jsonDoc []byte) {
	b.Helper()
	y, err := os.ReadFile("testdata/pod.yaml")
	if err != nil {
		b.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		b.Fatal(err)
	}
	return y, j
}

func BenchmarkDecode(b *testing.B) {
	y, j := benchPod(b)
	for _, bc := range []struct {
		name string
		doc  []byte
		opts DecodeOptions
	}{
		{"json", j, DecodeOptions{}},
		{"json-strict", j, DecodeOptions{Strict: true}},
		{"yaml", y, DecodeOptions{}},
		{"yaml-strict", y, DecodeOptions{Strict: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(bc.doc, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	_, j := benchPod(b)
	obj, err := Decode(j, DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(obj); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeepCopy(b *testing.B) {
	_, j := benchPod(b)
	obj, err := Decode(j, DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = obj.DeepCopyObject()
	}
}
