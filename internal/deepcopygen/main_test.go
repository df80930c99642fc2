package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// apiPackages are the packages whose zz_generated.deepcopy.go this
// generator owns.
var apiPackages = []string{"meta", "core", "apps", "autoscaling", "coordination", "networking", "rbac"}

func TestGeneratedFilesUpToDate(t *testing.T) {
	for _, p := range apiPackages {
		t.Run(p, func(t *testing.T) {
			dir := filepath.Join("..", "..", "api", p)
			want, err := Generate(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, OutputFile))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s is out of date: run go generate ./api/...", dir, OutputFile)
			}
			if err := run(dir, true); err != nil {
				t.Errorf("check mode: %v", err)
			}
		})
	}
}

func TestGenerateSample(t *testing.T) {
	src, err := Generate(filepath.Join("testdata", "sample"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{
		"func (in *Outer) DeepCopyInto(out *Outer) {",
		"func (in Labels) DeepCopyInto(out *Labels) {",
		"out.Mode = new(Mode)",
		"in.Inner.DeepCopyInto(&out.Inner)",
		"out.Raw = make(json.RawMessage, len(in.Raw))",
		"make(map[string][]byte, len(in.ByKey))",
		"\t\"encoding/json\"\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("generated code lacks %q:\n%s", want, s)
		}
	}
	for _, unwanted := range []string{"DeepCopyObject", "Mode) DeepCopy", "in.hidden"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("generated code has %q", unwanted)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		dir  string
		want error
	}{
		{filepath.Join("testdata", "bad"), ErrUnsupported},
		{filepath.Join("testdata", "unexported"), ErrUnsupported},
		{filepath.Join("testdata", "missing"), os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			if _, err := Generate(tt.dir); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	// Check mode fails when the file differs.
	dir := t.TempDir()
	src, _ := os.ReadFile(filepath.Join("testdata", "sample", "sample.go"))
	if err := os.WriteFile(filepath.Join(dir, "sample.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, true); err == nil {
		t.Error("check passed without a generated file")
	}
	if err := run(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, true); err != nil {
		t.Errorf("check after generating: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, OutputFile), []byte("package sample\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, true); err == nil {
		t.Error("check passed with a stale file")
	}
}
